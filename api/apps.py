from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"

    def ready(self):
        from accounts.views import settings_section_add
        from api import receivers  # noqa: F401
        from api.views import tokens_section, webhooks_section

        settings_section_add("api/_tokens.html", tokens_section)
        settings_section_add("api/_webhooks_section.html", webhooks_section)
