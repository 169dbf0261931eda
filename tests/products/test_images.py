import io
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms

from products.models import Product
from tests.factories import ProductFactory
from yumroad_site import pictures

CREATE_URL = reverse("products:create")
GENERATED_NAME = re.compile(r"products/\d{4}/\d{2}/[0-9a-f]{32}\.(jpg|png|webp)")
GPS_IFD = 0x8825
ORIENTATION = 0x0112
ROTATED_90 = 6


def image_bytes(image_format="PNG", size=(40, 30), color="orange", **options):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=image_format, **options)
    return buffer.getvalue()


def image_file(name="picture.png", image_format="PNG", size=(40, 30), **options):
    return SimpleUploadedFile(name, image_bytes(image_format, size, **options))


def exif_with_gps():
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATED_90
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    return exif


def png_announcing(width, height):
    """A PNG of a few bytes whose header announces `width` x `height` pixels."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1) * 4))
        + chunk(b"IEND", b"")
    )


def product_data(**extra):
    return {"name": "Picture Book", "description": "With pictures.", "price": "3", **extra}


def stored_files(settings, product):
    """Every file of the product's picture: the re-encoded upload and its sizes."""
    names = [
        product.image.name,
        *(pictures.size_name(product.image.name, size) for size in pictures.SIZES),
    ]
    return [settings.MEDIA_ROOT / name for name in names]


@pytest.mark.django_db
class TestImageUpload:
    @pytest.mark.parametrize(
        ("name", "image_format", "extension"),
        [
            ("a.jpg", "JPEG", "jpg"),
            ("a.png", "PNG", "png"),
            ("a.webp", "WEBP", "webp"),
            ("a.gif", "GIF", "png"),
            ("a.jpg", "MPO", "jpg"),
        ],
    )
    def test_accepts_jpeg_png_webp_gif_and_mpo_and_stores_every_size(
        self, creator_client, settings, name, image_format, extension
    ):
        response = creator_client.post(
            CREATE_URL, product_data(image=image_file(name, image_format))
        )

        product = Product.objects.get()
        assert response.status_code == 302
        assert GENERATED_NAME.fullmatch(product.image.name)
        assert product.image.name.endswith(f".{extension}")
        assert all(path.is_file() for path in stored_files(settings, product))
        assert (product.image_width, product.image_height) == (40, 30)

    def test_accepts_a_multi_picture_jpeg_as_phones_make_them(self, creator_client, settings):
        buffer = io.BytesIO()
        first, second = Image.new("RGB", (40, 30), "red"), Image.new("RGB", (20, 15), "blue")
        first.save(buffer, format="MPO", save_all=True, append_images=[second])
        assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"

        creator_client.post(
            CREATE_URL, product_data(image=SimpleUploadedFile("ultra-hdr.jpg", buffer.getvalue()))
        )

        product = Product.objects.get()
        with Image.open(settings.MEDIA_ROOT / product.image.name) as stored:
            assert (stored.format, stored.size) == ("JPEG", (40, 30))

    def test_stored_names_are_generated_never_the_clients(self, creator_client):
        # 90 four-byte characters: 360 bytes, past any file system's 255.
        name = "\U00020000" * 90 + ".png"

        response = creator_client.post(CREATE_URL, product_data(image=image_file(name)))

        assert response.status_code == 302
        assert GENERATED_NAME.fullmatch(Product.objects.get().image.name)

    def test_strips_exif_gps_xmp_and_comments_and_turns_the_picture_upright(
        self, creator_client, settings
    ):
        upload = image_file(
            "phone.jpg",
            "JPEG",
            size=(40, 30),
            exif=exif_with_gps(),
            xmp=b"<x:xmpmeta>Home, 12 Secret Street</x:xmpmeta>",
            comment=b"taken at home",
        )

        creator_client.post(CREATE_URL, product_data(image=upload))

        product = Product.objects.get()
        for path in stored_files(settings, product):
            raw = path.read_bytes()
            assert b"PhoneMaker" not in raw
            assert b"Secret Street" not in raw
            assert b"taken at home" not in raw
            with Image.open(path) as stored:
                assert not stored.getexif()
                assert not stored.getexif().get_ifd(GPS_IFD)
                assert stored.width < stored.height  # turned as the orientation said
        assert (product.image_width, product.image_height) == (30, 40)

    def test_keeps_the_colour_profile(self, creator_client, settings):
        profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        upload = image_file("wide.jpg", "JPEG", icc_profile=profile)

        creator_client.post(CREATE_URL, product_data(image=upload))

        for path in stored_files(settings, Product.objects.get()):
            with Image.open(path) as stored:
                assert stored.info["icc_profile"] == profile

    @pytest.mark.parametrize("image_format", ["JPEG", "CMYK JPEG", "PNG"])
    def test_refuses_a_picture_cut_short(self, creator_client, image_format):
        if image_format == "CMYK JPEG":
            buffer = io.BytesIO()
            Image.new("CMYK", (400, 300), (0, 50, 100, 0)).save(buffer, format="JPEG")
            whole = buffer.getvalue()
        else:
            whole = image_bytes(image_format, size=(400, 300))
        cut = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2])

        response = creator_client.post(CREATE_URL, product_data(image=cut))

        assert response.context["form"].errors["image"] == [
            "Upload a JPEG, PNG, WebP or GIF image."
        ]
        assert not Product.objects.exists()

    def test_the_product_page_serves_the_sizes_never_the_upload(self, creator_client):
        creator_client.post(
            CREATE_URL,
            product_data(
                image=image_file(size=(2000, 1500)), picture_url="https://example.com/other.png"
            ),
        )
        product = Product.objects.get()

        body = creator_client.get(product.get_absolute_url()).content.decode()

        card, page = (pictures.size_name(product.image.url, size) for size in ("card", "page"))
        assert f'src="{card}"' in body
        assert f'srcset="{card} 480w, {page} 1200w"' in body
        assert 'width="480" height="360"' in body
        assert product.image.url not in body
        assert "other.png" not in body

    @pytest.mark.parametrize("url_name", ["products:index", "products:stores"])
    def test_product_grids_load_only_the_card_size(self, creator_client, store, url_name):
        creator_client.post(CREATE_URL, product_data(image=image_file(size=(2000, 1500))))
        product = Product.objects.get()

        body = creator_client.get(reverse(url_name)).content.decode()

        assert f'src="{pictures.size_name(product.image.url, "card")}"' in body
        assert 'sizes="(min-width: 1200px) 400px, (min-width: 576px) 50vw, 100vw"' in body
        assert f"{product.image.url}" not in body

    def test_a_small_picture_is_never_scaled_up(self, creator_client, settings):
        creator_client.post(CREATE_URL, product_data(image=image_file(size=(300, 200))))
        product = Product.objects.get()

        body = creator_client.get(product.get_absolute_url()).content.decode()

        for path in stored_files(settings, product):
            with Image.open(path) as stored:
                assert stored.size == (300, 200)
        assert f'srcset="{pictures.size_name(product.image.url, "card")} 300w"' in body

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
        big = SimpleUploadedFile("big.png", image_bytes() + b"\0" * (5 * 1024 * 1024))

        response = creator_client.post(CREATE_URL, product_data(image=big))

        assert response.context["form"].errors["image"] == ["The image must be 5 MB or smaller."]
        assert not Product.objects.exists()

    def test_refuses_a_small_file_that_announces_169_megapixels(self, creator_client, settings):
        bomb = SimpleUploadedFile("bomb.png", png_announcing(13000, 13000))
        assert len(bomb) < 20_000

        response = creator_client.post(CREATE_URL, product_data(image=bomb))

        assert response.context["form"].errors["image"] == [
            "The image must be at most 40 megapixels; this one is 13000 by 13000 pixels."
        ]
        assert not Product.objects.exists()
        assert not (settings.MEDIA_ROOT / "products").exists()

    def test_refuses_a_file_that_announces_a_gigapixel(self, creator_client):
        bomb = SimpleUploadedFile("bomb.png", png_announcing(40000, 40000))

        response = creator_client.post(CREATE_URL, product_data(image=bomb))

        assert response.context["form"].errors["image"] == [
            "The image must be at most 40 megapixels."
        ]
        assert not Product.objects.exists()

    def test_refuses_an_animation_of_more_than_100_frames(self, creator_client):
        frames = [Image.new("RGB", (10, 10), (n, 255 - n, 0)) for n in range(101)]
        buffer = io.BytesIO()
        frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])

        response = creator_client.post(
            CREATE_URL, product_data(image=SimpleUploadedFile("a.gif", buffer.getvalue()))
        )

        assert response.context["form"].errors["image"] == [
            "An animated image may have at most 100 frames; this one has 101."
        ]
        assert not Product.objects.exists()

    def test_after_a_form_error_the_form_asks_for_the_picture_again(self, creator_client):
        response = creator_client.post(CREATE_URL, product_data(name="abc", image=image_file()))

        assert response.status_code == 200
        assert "Your picture was not saved: choose it again" in response.content.decode()
        assert not Product.objects.exists()

    def test_after_a_form_error_the_form_asks_for_the_picture_and_the_file_again(
        self, creator_client
    ):
        response = creator_client.post(
            CREATE_URL,
            product_data(
                price="0.30",
                image=image_file(),
                file=SimpleUploadedFile("guide.pdf", b"%PDF guide"),
            ),
        )

        assert response.status_code == 200
        assert (
            "Your picture and file to sell were not saved: choose them again"
            in response.content.decode()
        )
        assert not Product.objects.exists()

    def test_a_form_error_without_a_picture_does_not_mention_one(self, creator_client):
        response = creator_client.post(CREATE_URL, product_data(name="abc"))

        assert "choose it again" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
class TestOldImagesAreRemoved:
    def test_the_edit_form_shows_the_current_picture_as_a_thumbnail(self, creator_client):
        creator_client.post(CREATE_URL, product_data(image=image_file()))
        product = Product.objects.get()

        body = creator_client.get(reverse("products:edit", args=[product.pk])).content.decode()

        card = pictures.size_name(product.image.url, "card")
        assert f'<img src="{card}" alt="The current picture"' in body
        # Django's "Currently: <the storage path>" is not shown; the box to remove it is.
        assert "Currently" not in body
        assert f">{product.image.name}<" not in body
        assert 'name="image-clear"' in body

    def test_replacing_the_image_removes_the_old_file_and_its_sizes(self, creator_client, settings):
        creator_client.post(CREATE_URL, product_data(image=image_file("first.png")))
        product = Product.objects.get()
        old_files = stored_files(settings, product)

        creator_client.post(
            reverse("products:edit", args=[product.pk]),
            product_data(image=image_file("second.jpg", "JPEG")),
        )

        product.refresh_from_db()
        assert product.image.name.endswith(".jpg")
        assert all(path.is_file() for path in stored_files(settings, product))
        assert not any(path.exists() for path in old_files)

    def test_clearing_the_image_removes_the_file_and_its_sizes(self, creator_client, settings):
        creator_client.post(CREATE_URL, product_data(image=image_file()))
        product = Product.objects.get()
        files = stored_files(settings, product)

        creator_client.post(
            reverse("products:edit", args=[product.pk]), product_data(**{"image-clear": "on"})
        )

        product.refresh_from_db()
        assert not product.image
        assert product.image_width is None
        assert not any(path.exists() for path in files)

    def test_editing_other_fields_keeps_the_image(self, creator_client, settings):
        creator_client.post(CREATE_URL, product_data(image=image_file()))
        product = Product.objects.get()

        creator_client.post(
            reverse("products:edit", args=[product.pk]), product_data(name="Renamed Book")
        )

        product.refresh_from_db()
        assert product.name == "Renamed Book"
        assert all(path.is_file() for path in stored_files(settings, product))

    def test_deleting_the_product_removes_its_image_and_sizes(self, creator_client, settings):
        creator_client.post(CREATE_URL, product_data(image=image_file()))
        product = Product.objects.get()
        files = stored_files(settings, product)

        creator_client.post(reverse("products:delete", args=[product.pk]))

        assert not any(path.exists() for path in files)

    def test_a_product_without_an_image_deletes_cleanly(self, store):
        product = ProductFactory(store=store)

        product.delete()

        assert not Product.objects.exists()
