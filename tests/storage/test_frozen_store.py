"""A frozen S3 (SeaweedFS stopped with SIGSTOP): uploads and downloads fail at once
with a page that says so, nothing is half-saved, and other pages are unaffected."""

import os
import signal
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.urls import reverse

from orders.models import Order
from products.models import Product
from tests.factories import OrderFactory
from tests.storage.conftest import PRIVATE_BUCKET, PUBLIC_BUCKET
from tests.storage.test_object_storage import create_product, object_keys, pdf_upload, png_upload

pytestmark = pytest.mark.django_db

FILE_STORE_MESSAGE = "The file store is not answering; please try again."


@pytest.fixture
def quick_object_storage(settings, request):
    """The object storage, with one try of at most 4 seconds per request to it."""
    settings.AWS_S3_CONNECT_TIMEOUT = 1
    settings.AWS_S3_READ_TIMEOUT = 3
    settings.AWS_S3_MAX_ATTEMPTS = 1
    return request.getfixturevalue("object_storage")


@contextmanager
def frozen(server):
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)


def test_an_upload_gets_the_try_again_page_and_saves_nothing(creator_client, quick_object_storage):
    before = {
        bucket: object_keys(quick_object_storage, bucket)
        for bucket in (PUBLIC_BUCKET, PRIVATE_BUCKET)
    }
    data = {"name": "Bucket Guide", "description": "Stored in a bucket.", "price": "5"}

    with frozen(quick_object_storage):
        response = creator_client.post(
            reverse("products:create"), {**data, "image": png_upload(), "file": pdf_upload()}
        )

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert FILE_STORE_MESSAGE in response.content.decode()
    assert not Product.objects.exists()
    after = {
        bucket: object_keys(quick_object_storage, bucket)
        for bucket in (PUBLIC_BUCKET, PRIVATE_BUCKET)
    }
    assert after == before


def test_a_download_gets_the_try_again_page_and_counts_nothing(
    client, creator_client, quick_object_storage
):
    order = OrderFactory(product=create_product(creator_client, file=pdf_upload()))

    with frozen(quick_object_storage):
        response = client.get(order.download_url)

    assert response.status_code == 503
    assert FILE_STORE_MESSAGE in response.content.decode()
    assert Order.objects.get().download_count == 0
    assert client.get(order.download_url).status_code == 302


def test_pages_that_need_no_file_answer_meanwhile(client, creator_client, quick_object_storage):
    product = create_product(creator_client, image=png_upload(), file=pdf_upload())

    with frozen(quick_object_storage):
        page = client.get(product.get_absolute_url())
        listing = client.get(reverse("products:index"))

    assert page.status_code == 200
    assert "Bucket Guide" in page.content.decode()
    assert listing.status_code == 200


def test_orphan_files_finds_and_deletes_objects_in_both_buckets(
    creator_client, quick_object_storage
):
    product = create_product(creator_client, image=png_upload(), file=pdf_upload())
    lost_picture = storages["default"].save("products/2020/01/lost.png", ContentFile(b"x"))
    lost_file = storages["private"].save("files/lost", ContentFile(b"x"))
    output = StringIO()

    call_command("orphan_files", "--delete", "--older-than", "0", stdout=output)

    assert f"public {lost_picture}" in output.getvalue().splitlines()
    assert f"private {lost_file}" in output.getvalue().splitlines()
    assert lost_picture not in object_keys(quick_object_storage, PUBLIC_BUCKET)
    assert lost_file not in object_keys(quick_object_storage, PRIVATE_BUCKET)
    assert product.image.name in object_keys(quick_object_storage, PUBLIC_BUCKET)
    assert product.file.name in object_keys(quick_object_storage, PRIVATE_BUCKET)
