"""manage.py orphan_files: stored files that no product or store refers to."""

import os
import time
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from products.storage import private_storage
from tests.factories import ProductFactory
from tests.products.test_files import pdf_upload
from tests.products.test_resubmission import png_upload
from yumroad_site import pictures

TWO_HOURS = 2 * 3600


def aged(storage, name, seconds=TWO_HOURS):
    """Make the stored file `name` look `seconds` old."""
    then = time.time() - seconds
    os.utime(storage.path(name), (then, then))
    return name


def orphan_files(*arguments):
    output = StringIO()
    call_command("orphan_files", *arguments, stdout=output)
    return output.getvalue().splitlines()


@pytest.fixture
def product(store):
    product = ProductFactory(store=store, image=png_upload(), file=pdf_upload())
    for name in [
        product.image.name,
        *(pictures.size_name(product.image.name, s) for s in pictures.SIZES),
    ]:
        aged(default_storage, name)
    aged(private_storage(), product.file.name)
    return product


@pytest.mark.django_db
class TestOrphanFiles:
    def test_lists_old_files_no_row_refers_to_and_keeps_them(self, product):
        picture = aged(
            default_storage, default_storage.save("products/2026/01/lost.png", ContentFile(b"x"))
        )
        avatar = aged(
            default_storage, default_storage.save("stores/2026/01/lost.png", ContentFile(b"x"))
        )
        sold = aged(private_storage(), private_storage().save("files/lost", ContentFile(b"x")))

        lines = orphan_files()

        assert sorted(lines[:-1]) == sorted(
            [f"public {picture}", f"public {avatar}", f"private {sold}"]
        )
        assert lines[-1] == "Found 3 orphan files."
        assert default_storage.exists(picture)
        assert private_storage().exists(sold)

    def test_deletes_them_with_delete_and_keeps_every_referenced_file(self, product):
        picture = aged(
            default_storage, default_storage.save("products/2026/01/lost.png", ContentFile(b"x"))
        )
        sold = aged(private_storage(), private_storage().save("files/lost", ContentFile(b"x")))

        lines = orphan_files("--delete")

        assert lines[-1] == "Deleted 2 orphan files."
        assert not default_storage.exists(picture)
        assert not private_storage().exists(sold)
        assert default_storage.exists(product.image.name)
        for size in pictures.SIZES:
            assert default_storage.exists(pictures.size_name(product.image.name, size))
        assert private_storage().exists(product.file.name)
        assert orphan_files() == ["Found 0 orphan files."]

    def test_a_file_younger_than_an_hour_may_be_an_upload_under_way(self, product):
        recent = default_storage.save("products/2026/01/uploading.png", ContentFile(b"x"))

        assert orphan_files("--delete") == ["Deleted 0 orphan files."]
        assert default_storage.exists(recent)

    def test_nothing_stored_yet_finds_nothing(self, db):
        assert orphan_files() == ["Found 0 orphan files."]
