from django.apps import AppConfig
from django.core import checks


class YumroadSiteConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "yumroad_site"

    def ready(self):
        from yumroad_site import retirement

        retirement.connect()
        checks.register(site_cache_check, checks.Tags.caches)


def site_cache_check(**kwargs):
    from django.core.cache import caches

    from yumroad_site.cache_backend import SiteCache

    if isinstance(caches["default"], SiteCache):
        return []
    return [
        checks.Error(
            "The default cache is not one the page cache can use.",
            hint="CACHES['default'] must be yumroad_site.redis_cache.RedisCache or "
            "yumroad_site.file_cache.FileBasedCache (yumroad_site/cache_backend.py).",
            id="yumroad_site.E001",
        )
    ]
