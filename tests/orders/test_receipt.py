"""After paying: the checkout returns the buyer to their order's receipt page, which asks
Stripe how the payment went until the webhook has come, and offers the download."""

import logging
import time
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse

from orders import payments, services
from orders.models import Order, StripeEvent
from tests.factories import OrderFactory, SellableProductFactory, UserFactory
from tests.orders.fake_stripe import completed_session, stripe_event, stripe_signature

PROCESSING = "Payment processing: this page updates itself."
REFRESH = '<meta http-equiv="refresh" content="5">'
DECEMBER_1 = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


@pytest.fixture
def product(db):
    return SellableProductFactory(name="Sourdough Field Guide", price_cents=1200)


def buy(client, stripe_server, product):
    """A guest clicks Buy: their pending order, and the address (a path) Stripe returns
    them to once they paid."""
    assert client.post(reverse("orders:buy", args=[product.pk])).status_code == 303
    order = Order.objects.get(product=product, status=Order.Status.PENDING)
    return order, stripe_server.sent["success_url"].removeprefix("http://testserver")


def open_session(order, **fields):
    """`order`'s checkout session as Stripe has it while the buyer has not paid."""
    unpaid = {
        "status": "open",
        "payment_status": "unpaid",
        "payment_intent": None,
        "customer_details": None,
    }
    return completed_session(order, **(unpaid | fields))


def body_of(response):
    assert response.status_code == 200
    return response.content.decode()


def post_webhook(client, payload):
    return client.post(
        reverse("orders:stripe_webhook"),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(payload),
    )


@pytest.mark.django_db
class TestReturningFromStripe:
    def test_stripe_returns_the_buyer_to_their_orders_receipt_page(
        self, client, stripe_server, product
    ):
        order, success_path = buy(client, stripe_server, product)

        assert stripe_server.sent["success_url"] == f"http://testserver/orders/{order.receipt_key}/"
        assert success_path == order.receipt_url
        assert stripe_server.sent["cancel_url"] == (
            "http://testserver/checkout/cancel/?session_id={CHECKOUT_SESSION_ID}"
        )

    def test_each_order_has_its_own_random_key(self, product):
        orders = OrderFactory.create_batch(3, product=product)

        keys = {order.receipt_key for order in orders}
        assert len(keys) == 3
        assert all(len(key) == 32 for key in keys)

    def test_the_receipt_of_a_paid_order_shows_what_was_bought_and_its_download(
        self, client, stripe_server, product
    ):
        order = OrderFactory(product=product, paid_at=DECEMBER_1)

        response = client.get(order.receipt_url)

        body = body_of(response)
        assert "Thanks for your purchase!" in body
        assert "Sourdough Field Guide" in body
        assert product.store.name in body
        assert "$12.00" in body
        assert "December 1, 2026" in body
        assert order.number in body
        assert PROCESSING not in body
        assert REFRESH not in body
        download = response.context["download_url"]
        assert f'href="{download}">Download</a>' in body
        assert b"".join(client.get(download).streaming_content) == b"%PDF-1.4 the guide\n"
        # Paid: Stripe is not asked.
        assert not stripe_server.retrievals

    def test_a_free_claims_receipt_says_it_is_a_free_download(self, client):
        order = OrderFactory(product__price_cents=0)

        body = body_of(client.get(order.receipt_url))

        assert "Here is your free download" in body
        assert "Free" in body
        assert "Download</a>" in body


@pytest.mark.django_db
class TestBeforeTheWebhook:
    def test_an_unpaid_checkout_shows_processing_and_refreshes_itself(
        self, client, stripe_server, product
    ):
        order, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(open_session(order))

        body = body_of(client.get(receipt))

        assert PROCESSING in body
        assert REFRESH in body
        assert "Download</a>" not in body
        [asked] = stripe_server.retrievals
        assert asked.path == f"/v1/checkout/sessions/{order.stripe_session_id}"
        order.refresh_from_db()
        assert order.status == Order.Status.PENDING

    def test_each_view_asks_stripe_once(self, client, stripe_server, product, monkeypatch):
        monkeypatch.setattr(services, "CHECK_INTERVAL_SECONDS", 0)  # views far apart
        order, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(open_session(order))

        for _ in range(3):
            client.get(receipt)

        assert len(stripe_server.retrievals) == 3

    def test_views_close_together_ask_stripe_once_between_them(
        self, client, stripe_server, product
    ):
        # Reloads and open tabs: one question every CHECK_INTERVAL_SECONDS at most.
        order, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(open_session(order))

        for _ in range(3):
            assert PROCESSING in body_of(client.get(receipt))

        assert len(stripe_server.retrievals) == 1

    def test_a_paid_session_pays_the_order_as_the_webhook_would(
        self, client, stripe_server, product, django_capture_on_commit_callbacks
    ):
        order, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(completed_session(order, payment_intent="pi_test_early"))

        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(receipt)

        body = body_of(response)
        assert "Thanks for your purchase!" in body
        assert "Download</a>" in body
        assert PROCESSING not in body
        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        assert order.payment_intent_id == "pi_test_early"
        assert order.email == "payer@example.com"
        receipt_email, notice = mail.outbox
        assert receipt_email.to == ["payer@example.com"]
        assert notice.subject == "You sold Sourdough Field Guide"

    def test_once_paid_the_page_never_asks_stripe_again(
        self, client, stripe_server, product, django_capture_on_commit_callbacks
    ):
        order, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(completed_session(order))
        with django_capture_on_commit_callbacks(execute=True):
            client.get(receipt)

        for _ in range(2):
            assert "Download</a>" in body_of(client.get(receipt))

        assert len(stripe_server.retrievals) == 1

    def test_the_webhook_coming_after_pays_nothing_more(
        self, client, stripe_server, product, django_capture_on_commit_callbacks
    ):
        order, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(completed_session(order))
        with django_capture_on_commit_callbacks(execute=True):
            client.get(receipt)
        paid_at = Order.objects.get().paid_at

        payload = stripe_event("checkout.session.completed", completed_session(order))
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(client, payload)

        assert response.status_code == 200
        order.refresh_from_db()
        assert (order.status, order.paid_at) == (Order.Status.PAID, paid_at)
        assert len(mail.outbox) == 2
        assert StripeEvent.objects.count() == 1

    def test_after_the_webhook_the_page_does_not_ask_stripe(
        self, client, stripe_server, product, django_capture_on_commit_callbacks
    ):
        order, receipt = buy(client, stripe_server, product)
        payload = stripe_event("checkout.session.completed", completed_session(order))
        with django_capture_on_commit_callbacks(execute=True):
            post_webhook(client, payload)

        body = body_of(client.get(receipt))

        assert "Download</a>" in body
        assert not stripe_server.retrievals

    def test_a_completed_session_still_unpaid_keeps_processing(
        self, client, stripe_server, product
    ):
        # A bank debit: the checkout completes, its payment comes days later.
        order, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(completed_session(order, payment_status="unpaid"))

        assert PROCESSING in body_of(client.get(receipt))
        assert Order.objects.get().status == Order.Status.PENDING

    def test_an_expired_session_says_so_and_stops_refreshing(self, client, stripe_server, product):
        order, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(open_session(order, status="expired"))

        body = body_of(client.get(receipt))
        again = body_of(client.get(receipt))

        assert "This checkout closed before it was paid. You have not been charged." in body
        assert REFRESH not in body
        assert PROCESSING not in body
        assert f'href="{product.get_absolute_url()}"' in body
        assert Order.objects.get().status == Order.Status.EXPIRED
        assert again == body
        assert len(stripe_server.retrievals) == 1

    def test_a_session_that_does_not_match_its_order_pays_nothing(
        self, client, stripe_server, product, caplog
    ):
        order, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(completed_session(order, amount_total=1))

        with caplog.at_level(logging.WARNING, logger="orders.services"):
            body = body_of(client.get(receipt))

        assert PROCESSING in body
        assert Order.objects.get().status == Order.Status.PENDING
        assert "does not match order" in caplog.text
        assert mail.outbox == []

    def test_another_orders_session_pays_nothing(self, client, stripe_server, product, caplog):
        _, receipt = buy(client, stripe_server, product)
        other = OrderFactory(status=Order.Status.PENDING, paid_at=None)
        stripe_server.answer_retrieve(completed_session(other))

        with caplog.at_level(logging.WARNING, logger="orders.services"):
            body = body_of(client.get(receipt))

        assert PROCESSING in body
        assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.PENDING}
        assert "unknown checkout" in caplog.text


@pytest.mark.django_db
class TestWhenStripeFails:
    @pytest.mark.parametrize("status", [400, 404, 429, 500])
    def test_an_error_from_stripe_shows_processing(self, client, stripe_server, product, status):
        _, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(status=status, body={"error": {"type": "api_error"}})

        body = body_of(client.get(receipt))

        assert PROCESSING in body
        assert REFRESH in body
        assert Order.objects.get().status == Order.Status.PENDING

    def test_stripe_out_of_reach_shows_processing(self, client, stripe_server, settings, product):
        _, receipt = buy(client, stripe_server, product)
        settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there

        assert PROCESSING in body_of(client.get(receipt))

    def test_a_stripe_that_does_not_answer_in_time_shows_processing(
        self, client, stripe_server, product
    ):
        order, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(completed_session(order), delay=1.5)

        started = time.monotonic()
        body = body_of(client.get(receipt))

        assert PROCESSING in body
        # STRIPE_TIMEOUT_SECONDS is 1 here: a try and a retry, and nothing more.
        assert time.monotonic() - started < 8
        assert Order.objects.get().status == Order.Status.PENDING

    def test_a_busy_process_does_not_ask_stripe(self, client, stripe_server, settings, product):
        order, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(completed_session(order))
        settings.STRIPE_MAX_CONCURRENT = 1

        with payments.stripe_permit():  # another request waits on Stripe
            body = body_of(client.get(receipt))

        assert PROCESSING in body
        assert not stripe_server.retrievals


@pytest.mark.django_db
class TestOtherEnds:
    def test_a_failed_payment_says_so_without_asking_stripe(self, client, stripe_server):
        order = OrderFactory(status=Order.Status.FAILED, paid_at=None)

        body = body_of(client.get(order.receipt_url))

        assert "The payment did not go through. You have not been charged." in body
        assert REFRESH not in body
        assert "Download</a>" not in body
        assert not stripe_server.retrievals

    def test_a_refunded_order_says_so_and_offers_no_download(self, client, stripe_server):
        order = OrderFactory(status=Order.Status.REFUNDED)

        body = body_of(client.get(order.receipt_url))

        assert "This purchase was refunded. Its file is not available." in body
        assert "/downloads/" not in body
        assert not stripe_server.retrievals

    def test_a_removed_file_offers_no_download(self, client):
        order = OrderFactory()
        order.product.delete()

        body = body_of(client.get(order.receipt_url))

        assert "This file is no longer available" in body
        assert "/downloads/" not in body
        assert order.product_name in body


@pytest.mark.django_db
class TestWhoMayOpenIt:
    def test_anyone_with_the_address_may_open_it(self, client, product):
        order = OrderFactory(product=product, buyer=UserFactory())
        client.force_login(UserFactory())

        assert "Download</a>" in body_of(client.get(order.receipt_url))

    def test_a_guessed_key_is_a_404(self, client):
        order = OrderFactory()
        guess = ("A" if order.receipt_key[0] != "A" else "B") + order.receipt_key[1:]

        response = client.get(reverse("orders:receipt", args=[guess]))

        assert response.status_code == 404
        assert "We couldn't find that receipt." in response.content.decode()

    @pytest.mark.parametrize(
        "key",
        ["short", "x" * 33, "a" * 31 + "!", "a" * 31 + "%C3%A9", "%00" * 32, "1" * 500],
    )
    def test_a_key_of_another_shape_is_a_404_without_a_query(
        self, client, django_assert_num_queries, key
    ):
        OrderFactory()

        with django_assert_num_queries(0):
            response = client.get(f"/orders/{key}/")

        assert response.status_code == 404

    def test_it_answers_only_get_and_head(self, client):
        order = OrderFactory()

        assert client.head(order.receipt_url).status_code == 200
        assert client.post(order.receipt_url).status_code == 405


@pytest.mark.django_db
class TestKeptPrivate:
    def test_no_cache_keeps_it(self, client):
        order = OrderFactory()

        response = client.get(order.receipt_url)

        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store", "no-cache"} <= cache_control

    def test_a_visitor_is_not_served_a_copy(self, client, stripe_server, product):
        order, receipt = buy(client, stripe_server, product)
        stripe_server.answer_retrieve(open_session(order))
        client.cookies.clear()  # a visitor without a session, whose pages are shared

        client.get(receipt)
        Order.objects.filter(pk=order.pk).update(status=Order.Status.REFUNDED, paid_at=DECEMBER_1)

        assert "This purchase was refunded" in body_of(client.get(receipt))

    def test_search_engines_are_asked_not_to_index_it(self, client):
        response = client.get(OrderFactory().receipt_url)

        assert response["X-Robots-Tag"] == "noindex"
        assert '<meta name="robots" content="noindex">' in body_of(response)

    def test_its_address_is_not_sent_to_other_sites(self, client):
        # Links and pictures to other origins get no Referer: the site's policy.
        response = client.get(OrderFactory().receipt_url)

        assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
class TestPayingTwice:
    def test_a_guest_who_paid_before_is_told_when(self, client, product):
        OrderFactory(product=product, email="ann@example.com", paid_at=DECEMBER_1)
        again = OrderFactory(product=product, email="Ann@Example.com")

        body = body_of(client.get(again.receipt_url))

        assert "You already bought this on December 1, 2026." in body
        # The second payment stands: it is paid, with its download.
        assert "Download</a>" in body

    def test_the_first_of_several_earlier_purchases_is_named(self, client, product):
        OrderFactory(product=product, email="ann@example.com", paid_at=DECEMBER_1)
        OrderFactory(
            product=product, email="ann@example.com", paid_at=datetime(2026, 11, 20, tzinfo=UTC)
        )
        third = OrderFactory(product=product, email="ann@example.com")

        assert "You already bought this on November 20, 2026." in body_of(
            client.get(third.receipt_url)
        )

    def test_the_first_purchase_says_nothing_of_the_second(self, client, product):
        first = OrderFactory(product=product, email="ann@example.com", paid_at=DECEMBER_1)
        OrderFactory(product=product, email="ann@example.com")

        assert "You already bought this" not in body_of(client.get(first.receipt_url))

    @pytest.mark.parametrize(
        "earlier",
        [
            {"email": "bob@example.com"},
            {"status": Order.Status.REFUNDED},
            {"status": Order.Status.PENDING, "paid_at": None},
            {"product": "another"},
        ],
    )
    def test_other_orders_are_no_earlier_purchase(self, client, product, earlier):
        fields = {"product": product, "email": "ann@example.com", "paid_at": DECEMBER_1}
        if earlier.get("product") == "another":
            earlier = {"product": SellableProductFactory()}
        OrderFactory(**(fields | earlier))
        again = OrderFactory(product=product, email="ann@example.com")

        assert "You already bought this" not in body_of(client.get(again.receipt_url))


@pytest.mark.django_db
class TestTheEmailLinksTheReceipt:
    def test_the_receipt_email_links_the_receipt_page(
        self, client, stripe_server, settings, product, django_capture_on_commit_callbacks
    ):
        settings.SITE_URL = "https://yumroad.example.com"
        order, _ = buy(client, stripe_server, product)
        payload = stripe_event("checkout.session.completed", completed_session(order))

        with django_capture_on_commit_callbacks(execute=True):
            post_webhook(client, payload)

        receipt_email = mail.outbox[0]
        link = f"https://yumroad.example.com/orders/{order.receipt_key}/"
        assert link in receipt_email.body
        assert f'href="{link}"' in receipt_email.alternatives[0][0]
        # The seller's notice does not carry the buyer's receipt.
        assert order.receipt_key not in mail.outbox[1].body
