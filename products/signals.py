from django.db.models.signals import post_delete
from django.dispatch import receiver

from products.models import FILE_FIELDS, Product, delete_file_on_commit


@receiver(post_delete, sender=Product)
def delete_files_of_deleted_product(instance, **kwargs):
    # A receiver, so that deletes through the admin, querysets and cascades count too.
    for field in FILE_FIELDS:
        file = getattr(instance, field)
        if file:
            delete_file_on_commit(file.storage, file.name)
