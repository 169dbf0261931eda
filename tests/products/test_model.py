from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from products.models import MAX_PRICE_CENTS, Product
from tests.factories import ProductFactory, SellableProductFactory
from tests.products.test_images import image_file, product_data, stored_files


@pytest.mark.parametrize(
    ("cents", "price", "shown"),
    [
        (500, Decimal("5"), "$5.00"),
        (499, Decimal("4.99"), "$4.99"),
        (0, Decimal(0), "Free"),
        (123456, Decimal("1234.56"), "$1,234.56"),
    ],
)
def test_price_is_exact_dollars_and_shown_with_cents(cents, price, shown):
    product = Product(price_cents=cents)

    assert product.price == price
    assert product.display_price == shown


@pytest.mark.django_db
class TestDatabaseConstraints:
    @pytest.mark.parametrize("cents", [-1, MAX_PRICE_CENTS + 1])
    def test_the_database_refuses_a_price_out_of_range(self, cents):
        with pytest.raises(IntegrityError):
            ProductFactory(price_cents=cents)

    @pytest.mark.parametrize("name", ["abc", "   abc   "])
    def test_the_database_refuses_a_short_name(self, name):
        with pytest.raises(IntegrityError):
            ProductFactory(name=name)

    def test_str_is_the_name(self):
        assert str(ProductFactory(name="Bread Book")) == "Bread Book"


@pytest.mark.django_db
def test_a_long_file_name_from_code_is_cut_keeping_its_extension():
    product = ProductFactory(file=ContentFile(b"data", name="a" * 300 + ".pdf"))

    assert len(product.file_name) == 255
    assert product.file_name.endswith("a.pdf")
    assert product.file_type == "application/pdf"


@pytest.mark.django_db(transaction=True)
def test_a_save_that_does_not_change_the_picture_keeps_one_stored_meanwhile(
    creator_client, store, settings
):
    # The admin, the shell or any code that loaded the product before another edit
    # replaced its picture, and saves it after.
    product = ProductFactory(store=store, image=image_file("first.png"))
    stale = Product.objects.get(pk=product.pk)
    creator_client.post(
        reverse("products:edit", args=[product.pk]),
        product_data(image=image_file("second.jpg", "JPEG")),
    )
    product.refresh_from_db()
    replaced_by = product.image.name

    stale.name = "Renamed Elsewhere"
    stale.save()

    product.refresh_from_db()
    assert product.name == "Renamed Elsewhere"
    assert product.image.name == replaced_by
    assert all(path.is_file() for path in stored_files(settings, product))


@pytest.mark.django_db(transaction=True)
def test_saving_named_fields_leaves_the_picture_alone(store, settings):
    product = ProductFactory(store=store, image=image_file())
    loaded = Product.objects.get(pk=product.pk)

    loaded.name = "Renamed Alone"
    loaded.save(update_fields=["name"])

    product.refresh_from_db()
    assert product.name == "Renamed Alone"
    assert all(path.is_file() for path in stored_files(settings, product))


@pytest.mark.django_db(transaction=True)
def test_a_save_that_does_not_send_a_file_keeps_the_one_stored_meanwhile(
    creator_client, store, settings
):
    product = SellableProductFactory(store=store)
    stale = Product.objects.get(pk=product.pk)
    creator_client.post(
        reverse("products:edit", args=[product.pk]),
        product_data(file=SimpleUploadedFile("second.zip", b"PK second")),
    )
    product.refresh_from_db()
    replaced_by = product.file.name

    stale.name = "Renamed Elsewhere"
    stale.save()

    product.refresh_from_db()
    assert product.name == "Renamed Elsewhere"
    assert (product.file.name, product.file_name) == (replaced_by, "second.zip")
    assert (settings.PRIVATE_MEDIA_ROOT / replaced_by).read_bytes() == b"PK second"
