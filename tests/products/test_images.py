import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from products.models import Product
from tests.factories import ProductFactory

CREATE_URL = reverse("products:create")


def image_file(name="picture.png", image_format="PNG", size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue())


def product_data(**extra):
    return {"name": "Picture Book", "description": "With pictures.", "price": "3", **extra}


@pytest.mark.django_db
class TestImageUpload:
    @pytest.mark.parametrize(
        ("name", "image_format"),
        [("a.jpg", "JPEG"), ("a.png", "PNG"), ("a.webp", "WEBP"), ("a.gif", "GIF")],
    )
    def test_accepts_jpeg_png_webp_and_gif(self, creator_client, settings, name, image_format):
        creator_client.post(CREATE_URL, product_data(image=image_file(name, image_format)))

        product = Product.objects.get()
        assert product.image.name.startswith("products/")
        assert (settings.MEDIA_ROOT / product.image.name).is_file()

    def test_the_product_page_shows_the_uploaded_image_first(self, creator_client):
        creator_client.post(
            CREATE_URL,
            product_data(image=image_file(), picture_url="https://example.com/other.png"),
        )
        product = Product.objects.get()

        body = creator_client.get(product.get_absolute_url()).content.decode()

        assert f'src="{product.image.url}"' in body
        assert "other.png" not in body

    def test_refuses_a_text_file_named_png(self, creator_client):
        fake = SimpleUploadedFile("evil.png", b"<script>alert(1)</script>")

        response = creator_client.post(CREATE_URL, product_data(image=fake))

        assert response.context["form"].errors["image"] == [
            "Upload a JPEG, PNG, WebP or GIF image."
        ]
        assert not Product.objects.exists()

    @pytest.mark.parametrize(
        ("name", "image_format"), [("a.bmp", "BMP"), ("a.tiff", "TIFF"), ("a.png", "BMP")]
    )
    def test_refuses_other_image_formats(self, creator_client, name, image_format):
        response = creator_client.post(
            CREATE_URL, product_data(image=image_file(name, image_format))
        )

        assert "image" in response.context["form"].errors
        assert not Product.objects.exists()

    def test_refuses_an_image_over_5_mb(self, creator_client):
        big = SimpleUploadedFile("big.png", image_file().read() + b"\0" * (5 * 1024 * 1024))

        response = creator_client.post(CREATE_URL, product_data(image=big))

        assert response.context["form"].errors["image"] == ["The image must be 5 MB or smaller."]
        assert not Product.objects.exists()


@pytest.mark.django_db(transaction=True)
class TestOldImagesAreRemoved:
    def test_replacing_the_image_removes_the_old_file(self, creator_client, settings):
        creator_client.post(CREATE_URL, product_data(image=image_file("first.png")))
        product = Product.objects.get()
        old_path = settings.MEDIA_ROOT / product.image.name

        creator_client.post(
            reverse("products:edit", args=[product.pk]),
            product_data(image=image_file("second.png")),
        )

        product.refresh_from_db()
        assert "second" in product.image.name
        assert (settings.MEDIA_ROOT / product.image.name).is_file()
        assert not old_path.exists()

    def test_clearing_the_image_removes_the_file(self, creator_client, settings):
        creator_client.post(CREATE_URL, product_data(image=image_file()))
        product = Product.objects.get()
        path = settings.MEDIA_ROOT / product.image.name

        creator_client.post(
            reverse("products:edit", args=[product.pk]), product_data(**{"image-clear": "on"})
        )

        product.refresh_from_db()
        assert not product.image
        assert not path.exists()

    def test_editing_other_fields_keeps_the_image(self, creator_client, settings):
        creator_client.post(CREATE_URL, product_data(image=image_file()))
        product = Product.objects.get()

        creator_client.post(
            reverse("products:edit", args=[product.pk]), product_data(name="Renamed Book")
        )

        product.refresh_from_db()
        assert product.name == "Renamed Book"
        assert (settings.MEDIA_ROOT / product.image.name).is_file()

    def test_deleting_the_product_removes_its_image(self, creator_client, settings):
        creator_client.post(CREATE_URL, product_data(image=image_file()))
        product = Product.objects.get()
        path = settings.MEDIA_ROOT / product.image.name

        creator_client.post(reverse("products:delete", args=[product.pk]))

        assert not path.exists()

    def test_a_product_without_an_image_deletes_cleanly(self, store):
        product = ProductFactory(store=store)

        product.delete()

        assert not Product.objects.exists()
