import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from products.models import Product
from tests.factories import ProductFactory
from tests.products.test_images import GENERATED_NAME, exif_with_gps, image_bytes, stored_files


def legacy_picture(name, content):
    """A product whose picture was stored as uploaded, before pictures had sizes."""
    stored = default_storage.save(name, ContentFile(content))
    product = ProductFactory()
    Product.objects.filter(pk=product.pk).update(image=stored)
    return Product.objects.get(pk=product.pk), stored


def run():
    out, err = io.StringIO(), io.StringIO()
    call_command("reencode_pictures", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_strips_old_uploads_and_makes_their_sizes(settings, client):
    jpeg = image_bytes("JPEG", size=(40, 30), exif=exif_with_gps())
    product, old_name = legacy_picture("products/2024/01/my house.jpg", jpeg)

    output, _ = run()

    product.refresh_from_db()
    # The second line is the avatars' (tests/stores/test_avatar_sizes.py).
    assert output.splitlines()[0] == "Re-encoded 1 picture; skipped 0."
    assert GENERATED_NAME.fullmatch(product.image.name)
    assert (product.image_width, product.image_height) == (30, 40)
    assert not (settings.MEDIA_ROOT / old_name).exists()
    for path in stored_files(settings, product):
        with Image.open(path) as stored:
            assert not stored.getexif()
    body = client.get(product.get_absolute_url()).content.decode()
    assert "srcset=" in body
    assert run()[0].splitlines()[0] == "Re-encoded 0 pictures; skipped 0."


@pytest.mark.django_db(transaction=True)
def test_skips_and_reports_a_file_that_is_not_a_picture(settings):
    product, old_name = legacy_picture("products/2024/01/notes.png", b"not a picture")

    output, errors = run()

    product.refresh_from_db()
    assert output.splitlines()[0] == "Re-encoded 0 pictures; skipped 1."
    assert f"Skipped product {product.pk} ({old_name}): Upload a JPEG" in errors
    assert product.image.name == old_name
