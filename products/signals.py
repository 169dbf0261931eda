from django.db.models.signals import post_delete
from django.dispatch import receiver

from products.models import Product, delete_picture_on_commit
from yumroad_site.files import delete_file_on_commit


@receiver(post_delete, sender=Product)
def delete_files_of_deleted_product(instance, **kwargs):
    # A receiver, so that deletes through the admin, querysets and cascades count too.
    if instance.image:
        delete_picture_on_commit(instance.image.storage, instance.image.name)
    if instance.file:
        delete_file_on_commit(instance.file.storage, instance.file.name)
