from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from products.models import Product, delete_file_on_commit
from stores.models import FEATURED_CACHE_KEY, Store


@receiver([post_save, post_delete], sender=Store)
@receiver([post_save, post_delete], sender=Product)
def refresh_featured_stores(**kwargs):
    """The landing page shows stores and product counts: drop its cached copy.

    Now, for this connection's next read, and again after the commit, in case a
    visitor cached the old list meanwhile from outside the transaction.
    """
    cache.delete(FEATURED_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(FEATURED_CACHE_KEY), robust=True)


@receiver(post_delete, sender=Store)
def delete_avatar_of_deleted_store(instance, **kwargs):
    if instance.avatar:
        delete_file_on_commit(instance.avatar.storage, instance.avatar.name)
