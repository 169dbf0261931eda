from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.template.defaultfilters import pluralize

from products.models import Product
from yumroad_site import pictures


class Command(BaseCommand):
    help = (
        "Re-encode the pictures uploaded before pictures had sizes: strip their metadata "
        "(GPS included), store them under a generated name, and make their sizes. Run "
        "once after upgrading; running it again does nothing."
    )

    def handle(self, **options):
        done = skipped = 0
        for product in Product.objects.exclude(image="").filter(image_width=None).iterator():
            try:
                with product.image.open("rb") as file:
                    pictures.picture_check(file)
                    product.image = pictures.picture_encode(file)
            except (OSError, ValidationError) as error:
                message = error.messages[0] if isinstance(error, ValidationError) else error
                self.stderr.write(f"Skipped product {product.pk} ({product.image.name}): {message}")
                skipped += 1
                continue
            # Saving stores the sizes and, once committed, removes the old file.
            product.save()
            done += 1
        self.stdout.write(f"Re-encoded {done} picture{pluralize(done)}; skipped {skipped}.")
