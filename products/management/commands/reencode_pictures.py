from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from django.template.defaultfilters import pluralize

from products.models import Product
from stores.models import Store
from yumroad_site import pictures


class Command(BaseCommand):
    help = (
        "Re-encode the product pictures and store avatars uploaded before they had sizes: "
        "strip their metadata (GPS included), store them under a generated name, and make "
        "their sizes. Run once after upgrading; running it again does nothing."
    )

    def handle(self, **options):
        done = skipped = 0
        for product in Product.objects.exclude(image="").filter(image_width=None).iterator():
            if not self._reencode(product, "image", f"product {product.pk}"):
                skipped += 1
                continue
            # Saving stores the sizes and, once committed, removes the old file.
            product.save()
            done += 1
        self.stdout.write(f"Re-encoded {done} picture{pluralize(done)}; skipped {skipped}.")
        done = skipped = 0
        for store in Store.objects.exclude(avatar="").filter(avatar_width=None).iterator():
            old = store.avatar.name
            if not self._reencode(store, "avatar", f"store {store.pk}"):
                skipped += 1
                continue
            with transaction.atomic():
                # Saving stores the sizes.
                store.save(update_fields=["avatar"])
                storage = store.avatar.storage
                transaction.on_commit(lambda storage=storage, old=old: storage.delete(old))
            done += 1
        self.stdout.write(f"Re-encoded {done} avatar{pluralize(done)}; skipped {skipped}.")

    def _reencode(self, instance, field, label):
        """Put the re-encoded picture of `instance`'s `field` in its place, unsaved; or
        say why it can't, and return False."""
        file = getattr(instance, field)
        try:
            with file.open("rb") as opened:
                pictures.picture_check(opened)
                setattr(instance, field, pictures.picture_encode(opened))
        except (OSError, ValidationError) as error:
            message = error.messages[0] if isinstance(error, ValidationError) else error
            self.stderr.write(f"Skipped {label} ({file.name}): {message}")
            return False
        return True
