import logging

from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from stores.models import Store
from yumroad_site.cache import catalogue_changed
from yumroad_site.files import delete_file_on_commit

logger = logging.getLogger(__name__)


@receiver([post_save, post_delete], sender=Store)
def retire_cached_catalogue(**kwargs):
    """Stores show on every catalogue page: retire the cached copies (products do so in
    products/signals.py)."""
    catalogue_changed()


@receiver(post_migrate)
def retire_cached_catalogue_after_migrating(sender, **kwargs):
    """A migration may change products in bulk, which sends no signal. A cache that
    can't be reached doesn't stop a deployment: its copies expire within minutes."""
    if sender.name == "products":
        try:
            catalogue_changed()
        except Exception:
            logger.warning("Could not retire the cached catalogue after migrating.", exc_info=True)


@receiver(post_delete, sender=Store)
def delete_avatar_of_deleted_store(instance, **kwargs):
    if instance.avatar:
        delete_file_on_commit(instance.avatar.storage, instance.avatar.name)
