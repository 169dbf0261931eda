from django.db.models.signals import post_delete
from django.dispatch import receiver

from stores.models import Store, delete_avatar_on_commit


@receiver(post_delete, sender=Store)
def delete_avatar_of_deleted_store(instance, **kwargs):
    if instance.avatar:
        delete_avatar_on_commit(instance.avatar.storage, instance.avatar.name)
