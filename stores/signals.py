from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from products.models import Product
from stores.models import Store
from stores.views import HOME_STORES_CACHE_KEY


@receiver([post_save, post_delete], sender=Store)
@receiver([post_save, post_delete], sender=Product)
def refresh_home_page(**kwargs):
    """The landing page shows stores and product counts: drop its cached copy."""
    cache.delete(HOME_STORES_CACHE_KEY)
