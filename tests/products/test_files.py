"""The file a product sells, through the create and edit forms: stored privately under
a random name, described on the row by the client's cleaned name, size and type."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders.models import Order
from products.models import Product
from tests.factories import ProductFactory, SellableProductFactory
from tests.utils import messages_of

CREATE_URL = reverse("products:create")
PDF = b"%PDF-1.4 the whole guide\n" + b"x" * 2023  # 2048 bytes
STORED_NAME = re.compile(r"files/[0-9a-f]{32}")
BOUNDARY = "HostileNameBoundary"


def product_data(**extra):
    return {"name": "Field Guide", "description": "All of it.", "price": "12", **extra}


def pdf_upload(name="guide.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def multipart_with_file_name(file_name, content=PDF, **fields):
    """A create form posted as a browser could, with any file name at all: the test
    client would reduce the name to its last path part before sending it."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in product_data(**fields).items()
    ]
    parts.append(
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def stored_files(settings):
    """Every file under the private and the public media folders."""
    return sorted(
        path
        for root in (settings.PRIVATE_MEDIA_ROOT, settings.MEDIA_ROOT)
        if root.exists()
        for path in root.rglob("*")
        if path.is_file()
    )


@pytest.mark.django_db
class TestUploadingTheFile:
    def test_stores_the_file_privately_under_a_random_name(self, creator_client, settings):
        creator_client.post(CREATE_URL, product_data(file=pdf_upload("my-guide.pdf")))

        product = Product.objects.get()
        assert STORED_NAME.fullmatch(product.file.name)
        assert (settings.PRIVATE_MEDIA_ROOT / product.file.name).read_bytes() == PDF
        assert stored_files(settings) == [settings.PRIVATE_MEDIA_ROOT / product.file.name]

    def test_two_uploads_of_the_same_name_get_different_stored_names(self, creator_client):
        creator_client.post(CREATE_URL, product_data(file=pdf_upload()))
        creator_client.post(CREATE_URL, product_data(name="Field Guide 2", file=pdf_upload()))

        first, second = Product.objects.order_by("pk")
        assert first.file.name != second.file.name

    def test_keeps_the_clients_name_size_and_type_on_the_row(self, creator_client):
        creator_client.post(CREATE_URL, product_data(file=pdf_upload("Sourdough Guide.pdf")))

        product = Product.objects.get()
        assert product.file_name == "Sourdough Guide.pdf"
        assert product.file_size == 2048
        assert product.file_type == "application/pdf"

    def test_a_file_of_unknown_type_is_kept_as_bytes(self, creator_client):
        creator_client.post(CREATE_URL, product_data(file=pdf_upload("patterns.knit")))

        product = Product.objects.get()
        assert product.file_name == "patterns.knit"
        assert product.file_type == "application/octet-stream"

    def test_a_product_can_be_saved_without_a_file(self, creator_client):
        response = creator_client.post(CREATE_URL, product_data())

        product = Product.objects.get()
        assert response.status_code == 302
        assert not product.file
        assert (product.file_name, product.file_size, product.file_type) == ("", 0, "")

    @pytest.mark.parametrize(
        ("sent_name", "kept_name"),
        [
            ("../../etc/passwd", "passwd"),
            ("..\\..\\windows\\system.ini", "system.ini"),
            ("C:\\Users\\ann\\guide.pdf", "guide.pdf"),
            ("guide\x07\x1b.pdf", "guide.pdf"),
            ("invoice\u202efdp.exe", "invoicefdp.exe"),
            ("...", "download"),
            ("  .hidden.pdf  ", "hidden.pdf"),
        ],
    )
    def test_a_hostile_file_name_is_cleaned(self, creator_client, settings, sent_name, kept_name):
        response = creator_client.post(
            CREATE_URL,
            multipart_with_file_name(sent_name),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        )

        assert response.status_code == 302
        product = Product.objects.get()
        assert product.file_name == kept_name
        assert STORED_NAME.fullmatch(product.file.name)
        assert stored_files(settings) == [settings.PRIVATE_MEDIA_ROOT / product.file.name]

    def test_a_300_character_name_is_cut_to_255_keeping_its_extension(self, creator_client):
        response = creator_client.post(
            CREATE_URL,
            multipart_with_file_name("a" * 296 + ".pdf"),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        )

        assert response.status_code == 302
        product = Product.objects.get()
        assert len(product.file_name) == 255
        assert product.file_name.endswith("aaa.pdf")
        assert product.file_type == "application/pdf"


@pytest.mark.django_db
class TestTheSizeLimit:
    def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(self, creator_client, settings):
        settings.PRODUCT_FILE_MAX_MB = 1
        too_big = pdf_upload(content=b"x" * (1024 * 1024 + 1))

        response = creator_client.post(CREATE_URL, product_data(file=too_big))

        assert response.status_code == 200
        assert response.context["form"].errors["file"] == ["The file must be 1.0\xa0MB or smaller."]
        assert not Product.objects.exists()
        assert stored_files(settings) == []

    def test_a_file_of_exactly_the_limit_is_accepted(self, creator_client, settings):
        settings.PRODUCT_FILE_MAX_MB = 1

        creator_client.post(CREATE_URL, product_data(file=pdf_upload(content=b"x" * 1024 * 1024)))

        assert Product.objects.get().file_size == 1024 * 1024

    def test_a_refused_replacement_keeps_the_current_file(self, creator_client, settings, store):
        settings.PRODUCT_FILE_MAX_MB = 1
        product = SellableProductFactory(store=store)
        stored = settings.PRIVATE_MEDIA_ROOT / product.file.name

        response = creator_client.post(
            reverse("products:edit", args=[product.pk]),
            product_data(file=pdf_upload("new.pdf", b"x" * (1024 * 1024 + 1))),
        )

        assert "file" in response.context["form"].errors
        product.refresh_from_db()
        assert product.file_name == "guide.pdf"
        assert stored_files(settings) == [stored]


@pytest.mark.django_db
class TestOldFilesAreRemoved:
    def test_replacing_the_file_removes_the_old_one_after_the_commit(
        self, creator_client, settings, store, django_capture_on_commit_callbacks
    ):
        product = SellableProductFactory(store=store)
        old_path = settings.PRIVATE_MEDIA_ROOT / product.file.name

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            creator_client.post(
                reverse("products:edit", args=[product.pk]),
                product_data(file=pdf_upload("second edition.pdf")),
            )
        assert old_path.is_file()  # until the commit
        for callback in callbacks:
            callback()

        product.refresh_from_db()
        assert product.file_name == "second edition.pdf"
        assert product.file_size == len(PDF)
        assert not old_path.exists()
        assert stored_files(settings) == [settings.PRIVATE_MEDIA_ROOT / product.file.name]

    def test_editing_other_fields_keeps_the_file(
        self, creator_client, settings, store, django_capture_on_commit_callbacks
    ):
        product = SellableProductFactory(store=store)
        path = settings.PRIVATE_MEDIA_ROOT / product.file.name

        with django_capture_on_commit_callbacks(execute=True):
            creator_client.post(
                reverse("products:edit", args=[product.pk]), product_data(name="Renamed Guide")
            )

        product.refresh_from_db()
        assert product.name == "Renamed Guide"
        assert (product.file_name, product.file_type) == ("guide.pdf", "application/pdf")
        assert path.is_file()

    def test_deleting_the_product_removes_its_file(
        self, creator_client, settings, store, django_capture_on_commit_callbacks
    ):
        product = SellableProductFactory(store=store)
        path = settings.PRIVATE_MEDIA_ROOT / product.file.name

        with django_capture_on_commit_callbacks(execute=True):
            creator_client.post(reverse("products:delete", args=[product.pk]))

        assert not Product.objects.exists()
        assert not path.exists()


@pytest.mark.django_db
class TestTheFileIsNeverPublic:
    def test_the_private_storage_has_no_url_for_it(self):
        product = SellableProductFactory()

        with pytest.raises(ValueError, match="not accessible via a URL"):
            product.file.url  # noqa: B018

    def test_the_product_page_never_shows_the_stored_name(self, client):
        product = SellableProductFactory()

        body = client.get(product.get_absolute_url()).content.decode()

        assert product.file.name.removeprefix("files/") not in body

    def test_the_edit_page_never_shows_the_stored_name(self, creator_client, store):
        product = SellableProductFactory(store=store)

        body = creator_client.get(reverse("products:edit", args=[product.pk])).content.decode()

        assert product.file.name.removeprefix("files/") not in body


@pytest.mark.django_db
class TestWhatTheProductPageSays:
    def test_shows_the_files_name_type_and_size(self, client, store):
        product = ProductFactory(store=store, file=pdf_upload("Sourdough Guide.pdf"))

        body = client.get(product.get_absolute_url()).content.decode()

        assert "You get <strong>Sourdough Guide.pdf</strong> · PDF · 2.0\xa0KB" in body

    def test_a_product_without_a_file_is_coming_soon_with_no_buy_form(self, client, store):
        product = ProductFactory(store=store)

        body = client.get(product.get_absolute_url()).content.decode()

        assert "Coming soon" in body
        assert reverse("orders:buy", args=[product.pk]) not in body
        assert "Get it free" not in body

    def test_the_edit_form_shows_the_current_file_name(self, creator_client, store):
        product = ProductFactory(store=store, file=pdf_upload("Sourdough Guide.pdf"))

        body = creator_client.get(reverse("products:edit", args=[product.pk])).content.decode()

        assert 'Now selling <strong class="text-break">Sourdough Guide.pdf</strong>' in body

    def test_the_file_name_is_escaped_on_both_pages(self, creator_client, store):
        product = ProductFactory(store=store, file=pdf_upload("<img src=x onerror=alert(1)>.pdf"))
        escaped = "&lt;img src=x onerror=alert(1)&gt;.pdf"

        detail = creator_client.get(product.get_absolute_url()).content.decode()
        edit = creator_client.get(reverse("products:edit", args=[product.pk])).content.decode()

        assert escaped in detail
        assert escaped in edit
        assert "<img src=x" not in detail + edit

    def test_a_product_without_a_file_cannot_be_bought(self, client, store):
        product = ProductFactory(store=store, name="Unfinished Guide")

        response = client.post(reverse("orders:buy", args=[product.pk]), follow=True)

        assert response.redirect_chain == [(product.get_absolute_url(), 302)]
        assert messages_of(response) == ["Unfinished Guide is coming soon: it can't be bought yet."]
        assert not Order.objects.exists()
