"""The signed download link of an order (Order.download_url), with production settings:
the file for a paid order while the link is fresh, a clear page otherwise."""

import time

import pytest
from django.core import mail, signing
from django.core.files.base import ContentFile
from django.urls import reverse

from orders.models import Order
from tests.factories import OrderFactory, SellableProductFactory
from tests.utils import messages_of

CONTENT = b"%PDF-1.4 the whole guide\n" + bytes(range(256)) * 40
WEEK = 7 * 24 * 3600


@pytest.fixture(autouse=True)
def _production(settings):
    # pytest-django already runs views with DEBUG off; say so where it matters.
    settings.DEBUG = False
    settings.DOWNLOAD_LINK_MAX_AGE = WEEK


@pytest.fixture
def order(db):
    product = SellableProductFactory(
        name="Sourdough Field Guide",
        file=ContentFile(CONTENT, name="Sourdough Guide (2nd ed.).pdf"),
    )
    return OrderFactory(product=product, email="ann@example.com")


def link_made_ago(order, seconds, monkeypatch):
    """The order's download link as it was signed `seconds` ago."""
    signed_at = time.time() - seconds
    with monkeypatch.context() as past:
        past.setattr(time, "time", lambda: signed_at)
        return order.download_url


def assert_refused(response, status, title):
    assert response.status_code == status
    assert "Content-Disposition" not in response
    assert not response.streaming
    assert f'<h1 class="display-6">{title}</h1>' in response.content.decode()


@pytest.mark.django_db
class TestAPaidOrdersLink:
    def test_downloads_the_exact_file_under_its_original_name(self, client, order, settings):
        assert settings.DEBUG is False

        response = client.get(order.download_url)

        assert response.status_code == 200
        assert response["Content-Disposition"] == (
            'attachment; filename="Sourdough Guide (2nd ed.).pdf"'
        )
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Length"] == str(len(CONTENT))
        assert b"".join(response.streaming_content) == CONTENT

    def test_streams_the_file_rather_than_reading_it_whole(self, client, order):
        response = client.get(order.download_url)

        assert response.streaming is True
        assert response.block_size < len(CONTENT)
        chunks = list(response.streaming_content)
        assert len(chunks) > 1
        assert b"".join(chunks) == CONTENT

    def test_is_never_cached(self, client, order):
        response = client.get(order.download_url)

        assert "no-cache" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]

    def test_each_download_is_counted(self, client, order):
        url = order.download_url

        for _ in range(3):
            b"".join(client.get(url).streaming_content)

        order.refresh_from_db()
        assert order.download_count == 3

    def test_a_head_request_is_not_counted_as_a_download(self, client, order):
        response = client.head(order.download_url)

        assert response.status_code == 200
        assert response["Content-Length"] == str(len(CONTENT))
        order.refresh_from_db()
        assert order.download_count == 0

    def test_a_name_with_non_ascii_characters_is_sent_encoded(self, client):
        product = SellableProductFactory(file=ContentFile(b"data", name="Crème brûlée.pdf"))
        order = OrderFactory(product=product)

        response = client.get(order.download_url)

        assert response["Content-Disposition"] == (
            "attachment; filename*=utf-8''Cr%C3%A8me%20br%C3%BBl%C3%A9e.pdf"
        )

    def test_a_link_six_days_old_still_works(self, client, order, monkeypatch):
        url = link_made_ago(order, WEEK - 3600, monkeypatch)

        response = client.get(url)

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == CONTENT


@pytest.mark.django_db
class TestABadLink:
    @pytest.mark.parametrize(
        "tamper",
        [
            lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
            lambda token: "x" + token[1:],
            lambda token: token.split(":")[0],
            lambda token: "not-a-token",
        ],
    )
    def test_a_tampered_token_is_refused(self, client, order, tamper):
        token = order.download_url.split("/")[-2]

        response = client.get(reverse("orders:download", args=[tamper(token)]))

        assert_refused(response, 403, "This download link is not valid")
        order.refresh_from_db()
        assert order.download_count == 0

    def test_a_token_for_something_else_signed_with_our_key_is_refused(self, client, order):
        token = signing.dumps(order.pk, compress=True)  # another salt: not a download

        response = client.get(reverse("orders:download", args=[token]))

        assert_refused(response, 403, "This download link is not valid")

    def test_an_expired_link_is_gone_and_offers_a_new_one(self, client, order, monkeypatch):
        url = link_made_ago(order, WEEK + 60, monkeypatch)

        response = client.get(url)

        assert_refused(response, 410, "This download link has expired")
        body = response.content.decode()
        token = url.split("/")[-2]
        assert f'action="{reverse("orders:resend", args=[token])}"' in body
        assert "Email a new link" in body
        order.refresh_from_db()
        assert order.download_count == 0

    def test_a_link_expires_after_download_link_max_age(self, client, order, settings):
        settings.DOWNLOAD_LINK_MAX_AGE = -1  # any link is older than that

        response = client.get(order.download_url)

        assert_refused(response, 410, "This download link has expired")


@pytest.mark.django_db
class TestEmailingANewLink:
    def test_sends_one_new_receipt_to_the_orders_email(
        self, client, order, monkeypatch, django_capture_on_commit_callbacks
    ):
        url = link_made_ago(order, WEEK + 60, monkeypatch)
        resend_url = reverse("orders:resend", args=[url.split("/")[-2]])

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(resend_url, follow=True)

        assert response.redirect_chain == [(reverse("products:index"), 302)]
        assert messages_of(response) == [
            "We sent a new download link to the buyer's email address."
        ]
        assert len(mail.outbox) == 1
        email = mail.outbox[0]
        assert email.to == ["ann@example.com"]
        assert email.subject.startswith("Your purchase of Sourdough Field Guide from ")

    def test_the_new_link_works(
        self, client, order, monkeypatch, settings, django_capture_on_commit_callbacks
    ):
        url = link_made_ago(order, WEEK + 60, monkeypatch)

        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("orders:resend", args=[url.split("/")[-2]]))

        body = mail.outbox[0].body
        new_url = next(line for line in body.splitlines() if "/downloads/" in line)
        new_url = new_url.strip().removeprefix(settings.SITE_URL)
        assert new_url != url
        response = client.get(new_url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == CONTENT

    def test_a_second_request_within_the_interval_sends_nothing(
        self, client, order, monkeypatch, django_capture_on_commit_callbacks
    ):
        url = link_made_ago(order, WEEK + 60, monkeypatch)
        resend_url = reverse("orders:resend", args=[url.split("/")[-2]])
        with django_capture_on_commit_callbacks(execute=True):
            client.post(resend_url, follow=True)

            response = client.post(resend_url, follow=True)

        assert response.redirect_chain == [(reverse("products:index"), 302)]
        assert messages_of(response) == [
            "We sent the buyer a link a short while ago. You can ask again in 10 minutes."
        ]
        assert len(mail.outbox) == 1

    def test_a_forged_token_sends_nothing(self, client, order):
        response = client.post(reverse("orders:resend", args=["forged:token"]))

        assert response.status_code == 403
        assert mail.outbox == []

    def test_a_refunded_order_gets_no_new_link(
        self, client, order, monkeypatch, django_capture_on_commit_callbacks
    ):
        url = link_made_ago(order, WEEK + 60, monkeypatch)
        Order.objects.filter(pk=order.pk).update(status=Order.Status.REFUNDED)

        with django_capture_on_commit_callbacks(execute=True):
            expired_page = client.get(url)
            response = client.post(reverse("orders:resend", args=[url.split("/")[-2]]))

        assert_refused(expired_page, 410, "This purchase was refunded")
        assert "Email a new link" not in expired_page.content.decode()
        assert_refused(response, 410, "This purchase was refunded")
        assert mail.outbox == []

    def test_a_removed_product_gets_no_new_link(
        self, client, order, monkeypatch, django_capture_on_commit_callbacks
    ):
        url = link_made_ago(order, WEEK + 60, monkeypatch)
        order.product.delete()

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("orders:resend", args=[url.split("/")[-2]]))

        assert_refused(response, 410, "This file is no longer available")
        assert mail.outbox == []

    def test_get_is_not_allowed(self, client, order):
        response = client.get(reverse("orders:resend", args=[order.download_url.split("/")[-2]]))

        assert response.status_code == 405
        assert mail.outbox == []


@pytest.mark.django_db
class TestAnOrderWithNothingToDownload:
    def test_a_refunded_order_is_gone(self, client, order):
        url = order.download_url
        Order.objects.filter(pk=order.pk).update(status=Order.Status.REFUNDED)

        response = client.get(url)

        assert_refused(response, 410, "This purchase was refunded")
        assert "Email a new link" not in response.content.decode()

    @pytest.mark.parametrize(
        "status", [Order.Status.PENDING, Order.Status.FAILED, Order.Status.EXPIRED]
    )
    def test_an_unpaid_order_is_refused(self, client, status):
        order = OrderFactory(status=status, paid_at=None)

        response = client.get(order.download_url)

        assert_refused(response, 403, "This order is not paid")
        order.refresh_from_db()
        assert order.download_count == 0

    def test_a_deleted_order_is_refused(self, client, order):
        url = order.download_url
        order.delete()

        response = client.get(url)

        assert_refused(response, 403, "This download link is not valid")

    def test_a_deleted_product_is_gone(
        self, client, order, settings, django_capture_on_commit_callbacks
    ):
        url = order.download_url
        with django_capture_on_commit_callbacks(execute=True):
            order.product.delete()

        response = client.get(url)

        assert_refused(response, 410, "This file is no longer available")
        order.refresh_from_db()
        assert order.status == Order.Status.PAID

    def test_a_file_missing_from_disk_is_gone_not_an_error(self, client, order, settings):
        assert settings.DEBUG is False
        (settings.PRIVATE_MEDIA_ROOT / order.product.file.name).unlink()

        response = client.get(order.download_url)

        assert_refused(response, 410, "This file is no longer available")
        order.refresh_from_db()
        assert order.download_count == 0
