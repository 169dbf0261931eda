"""Pictures and product files on S3-compatible object storage (a real SeaweedFS)."""

import io
import time

import pytest
import requests
from django.core.files.storage import storages
from django.urls import reverse
from PIL import Image

from orders.models import Order
from products.models import Product
from tests.factories import OrderFactory
from tests.storage.conftest import PRIVATE_BUCKET, PUBLIC_BUCKET

pytestmark = pytest.mark.django_db


def png_upload(name="cover.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def pdf_upload(content=b"%PDF-1.4 the bucket guide\n", name="Bucket guide.pdf"):
    buffer = io.BytesIO(content)
    buffer.name = name
    return buffer


def create_product(client, **files):
    data = {
        "name": "Bucket Guide",
        "description": "Stored in a bucket.",
        "price": "5",
        "picture_url": "",
        **files,
    }
    response = client.post(reverse("products:create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Product.objects.get()


def object_keys(server, bucket):
    listing = server.client().list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


class TestPictures:
    def test_an_uploaded_picture_is_public_in_its_bucket_and_on_the_page(
        self, creator_client, object_storage
    ):
        product = create_product(creator_client, image=png_upload())

        url = product.image.url
        assert url.startswith(f"{object_storage.endpoint_url}/{PUBLIC_BUCKET}/products/")
        assert "Signature" not in url
        picture = requests.get(url, timeout=10)  # no signature: anyone may read it
        assert picture.status_code == 200
        assert Image.open(io.BytesIO(picture.content)).size == (40, 30)
        # The page shows its web sizes, public in the same bucket.
        body = creator_client.get(product.get_absolute_url()).content.decode()
        for size_url, _, _ in product.picture_sizes:
            assert size_url.startswith(f"{object_storage.endpoint_url}/{PUBLIC_BUCKET}/")
            assert size_url in body
            size = requests.get(size_url, timeout=10)
            assert size.status_code == 200
            assert Image.open(io.BytesIO(size.content)).format == "WEBP"

    def test_replacing_a_picture_removes_the_old_object(
        self, creator_client, object_storage, django_capture_on_commit_callbacks
    ):
        product = create_product(creator_client, image=png_upload("first.png"))
        old = product.image.name

        with django_capture_on_commit_callbacks(execute=True):
            creator_client.post(
                reverse("products:edit", args=[product.pk]),
                {
                    "name": product.name,
                    "description": product.description,
                    "price": "5",
                    "picture_url": "",
                    "image": png_upload("second.png"),
                },
            )

        product.refresh_from_db()
        keys = object_keys(object_storage, PUBLIC_BUCKET)
        assert product.image.name in keys
        assert not [key for key in keys if key.startswith(old.rsplit(".", 1)[0])]


class TestProductFiles:
    def test_the_file_sold_lands_in_the_private_bucket_under_a_random_name(
        self, creator_client, object_storage
    ):
        product = create_product(creator_client, file=pdf_upload())

        assert product.file_name == "Bucket guide.pdf"
        assert product.file.name.startswith("files/")
        assert product.file.name in object_keys(object_storage, PRIVATE_BUCKET)
        assert product.file.name not in object_keys(object_storage, PUBLIC_BUCKET)
        unsigned = f"{object_storage.endpoint_url}/{PRIVATE_BUCKET}/{product.file.name}"
        assert requests.get(unsigned, timeout=10).status_code == 403

    def test_a_paid_download_redirects_to_a_short_lived_signed_address(
        self, client, creator_client, object_storage
    ):
        product = create_product(creator_client, file=pdf_upload())
        order = OrderFactory(product=product)

        response = client.get(order.download_url)

        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith(f"{object_storage.endpoint_url}/{PRIVATE_BUCKET}/files/")
        assert "X-Amz-Expires=60" in location
        assert "no-cache" in response["Cache-Control"]
        file = requests.get(location, timeout=10)
        assert file.status_code == 200
        assert file.content == b"%PDF-1.4 the bucket guide\n"
        assert file.headers["Content-Type"] == "application/pdf"
        assert file.headers["Content-Disposition"] == 'attachment; filename="Bucket guide.pdf"'
        order.refresh_from_db()
        assert order.download_count == 1

    def test_the_signed_address_stops_working_when_it_expires_or_is_altered(
        self, client, creator_client, object_storage
    ):
        product = create_product(creator_client, file=pdf_upload())
        order = OrderFactory(product=product)
        storages["private"].querystring_expire = 1

        location = client.get(order.download_url)["Location"]

        assert (
            requests.get(location.replace("Signature=", "Signature=0"), timeout=10).status_code
            == 403
        )
        time.sleep(2.1)
        assert requests.get(location, timeout=10).status_code == 403

    @pytest.mark.parametrize(
        ("status", "code", "title"),
        [
            (Order.Status.REFUNDED, 410, "This purchase was refunded"),
            (Order.Status.PENDING, 403, "This order is not paid"),
        ],
    )
    def test_a_refunded_or_unpaid_order_gets_no_address(
        self, client, creator_client, object_storage, status, code, title
    ):
        product = create_product(creator_client, file=pdf_upload())
        order = OrderFactory(product=product, status=status)

        response = client.get(order.download_url)

        assert response.status_code == code
        assert "Location" not in response
        assert title in response.content.decode()
        assert object_storage.endpoint_url not in response.content.decode()

    def test_a_file_gone_from_the_bucket_is_no_longer_available(
        self, client, creator_client, object_storage
    ):
        product = create_product(creator_client, file=pdf_upload())
        order = OrderFactory(product=product)
        object_storage.client().delete_object(Bucket=PRIVATE_BUCKET, Key=product.file.name)

        response = client.get(order.download_url)

        assert response.status_code == 410
        assert "This file is no longer available" in response.content.decode()
        order.refresh_from_db()
        assert order.download_count == 0

    def test_deleting_the_product_removes_its_file_from_the_bucket(
        self, creator_client, object_storage, django_capture_on_commit_callbacks
    ):
        product = create_product(creator_client, file=pdf_upload())
        name = product.file.name

        with django_capture_on_commit_callbacks(execute=True):
            creator_client.post(reverse("products:delete", args=[product.pk]))

        assert not Product.objects.exists()
        assert name not in object_keys(object_storage, PRIVATE_BUCKET)
