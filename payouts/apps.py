from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payouts"

    def ready(self):
        from orders.services import stripe_event_handler_add
        from payouts import receivers  # noqa: F401
        from payouts.services import account_updated

        stripe_event_handler_add("account.updated", account_updated)
