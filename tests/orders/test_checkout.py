import logging

import pytest
from django.urls import reverse

from orders.models import Order
from tests.factories import OrderFactory, SellableProductFactory, UserFactory
from tests.orders.fake_stripe import SESSION_URL, STRIPE_KEY
from tests.site.test_pages import settings_with
from tests.utils import messages_of

CHECKOUT_FAILED = "We couldn't start the checkout. Please try again."


def buy_url(product):
    return reverse("orders:buy", args=[product.pk])


@pytest.fixture
def product(db):
    return SellableProductFactory(name="Sourdough Field Guide", price_cents=1200)


@pytest.mark.django_db
class TestBuyingAPaidProduct:
    def test_the_page_offers_a_buy_button_and_loads_nothing_of_stripe(
        self, client, stripe_server, product
    ):
        body = client.get(product.get_absolute_url()).content.decode()

        assert f'action="{buy_url(product)}"' in body
        assert "Buy for $12.00" in body
        assert "stripe" not in body.lower()

    def test_a_visitor_is_sent_to_stripe_with_a_pending_order(self, client, stripe_server, product):
        response = client.post(buy_url(product))

        assert response.status_code == 303
        assert response["Location"] == SESSION_URL
        order = Order.objects.get()
        assert order.status == Order.Status.PENDING
        assert order.product == product
        assert order.store == product.store
        assert order.product_name == "Sourdough Field Guide"
        assert (order.amount_cents, order.currency) == (1200, "usd")
        assert order.buyer is None
        assert order.stripe_session_id == "cs_test_fake_1"

    def test_stripe_is_sent_the_order_the_price_and_the_return_urls(
        self, client, stripe_server, product
    ):
        client.post(buy_url(product))

        order = Order.objects.get()
        request = stripe_server.requests[-1]
        assert request.headers["Authorization"] == f"Bearer {STRIPE_KEY}"
        assert request.headers["Idempotency-Key"] == f"yumroad-order-{order.pk}"
        assert stripe_server.sent == {
            "mode": "payment",
            "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": "usd",
            "line_items[0][price_data][unit_amount]": "1200",
            "line_items[0][price_data][product_data][name]": "Sourdough Field Guide",
            "client_reference_id": str(order.pk),
            "metadata[order_id]": str(order.pk),
            "success_url": f"http://testserver/orders/{order.receipt_key}/",
            "cancel_url": "http://testserver/checkout/cancel/?session_id={CHECKOUT_SESSION_ID}",
            "expires_at": str(int(order.expires_at.timestamp())),
        }
        # CHECKOUT_EXPIRY_MINUTES: an hour by default.
        assert round((order.expires_at - order.created_at).total_seconds() / 60) == 60

    def test_a_logged_in_buyer_is_named_on_the_order_and_to_stripe(
        self, client, stripe_server, product
    ):
        buyer = UserFactory(email="ann@example.com")
        client.force_login(buyer)

        client.post(buy_url(product))

        order = Order.objects.get()
        assert order.buyer == buyer
        assert order.email == "ann@example.com"
        assert stripe_server.sent["customer_email"] == "ann@example.com"

    def test_the_picture_goes_to_stripe_as_an_absolute_url(self, client, stripe_server):
        product = SellableProductFactory(picture_url="https://images.example.com/guide.png")

        client.post(buy_url(product))

        images = stripe_server.sent["line_items[0][price_data][product_data][images][0]"]
        assert images == "https://images.example.com/guide.png"

    def test_the_order_keeps_the_price_it_was_bought_at(self, client, stripe_server, product):
        client.post(buy_url(product))
        product.price_cents = 9900
        product.save()

        assert Order.objects.get().amount_cents == 1200

    def test_a_creator_cannot_buy_their_own_product(self, client, stripe_server, product):
        client.force_login(product.store.owner)

        response = client.post(buy_url(product), follow=True)

        assert "You can't buy your own product." in messages_of(response)
        assert not Order.objects.exists()
        assert not stripe_server.requests

    def test_a_second_purchase_by_its_owner_is_refused_with_their_download(
        self, client, stripe_server, product
    ):
        order = OrderFactory(product=product, buyer=UserFactory())
        client.force_login(order.buyer)

        response = client.post(buy_url(product))

        # The product's page, with their download: no order, no checkout.
        assert response.status_code == 200
        body = response.content.decode()
        assert "You own this." in body
        assert "Buy for" not in body
        download = response.context["owned_order"].download_url
        assert f'href="{download}">Download</a>' in body
        assert messages_of(response) == ["You already own Sourdough Field Guide."]
        assert list(Order.objects.all()) == [order]
        assert not stripe_server.requests
        assert b"".join(client.get(download).streaming_content) == b"%PDF-1.4 the guide\n"

    def test_an_unknown_product_is_a_404(self, client, stripe_server):
        assert client.post("/products/999999/buy/").status_code == 404

    def test_buying_needs_a_post(self, client, stripe_server, product):
        assert client.get(buy_url(product)).status_code == 405


@pytest.mark.django_db
class TestStripeFailures:
    @pytest.mark.parametrize(
        ("status", "error"),
        [
            (400, {"type": "invalid_request_error", "message": "Invalid currency"}),
            (401, {"type": "invalid_request_error", "message": "Invalid API Key"}),
            (429, {"type": "rate_limit_error", "message": "Too many requests"}),
            (500, {"type": "api_error", "message": "Something went wrong"}),
        ],
    )
    def test_an_error_from_stripe_leaves_the_buyer_a_message_and_no_paid_order(
        self, client, stripe_server, httpserver, product, caplog, status, error
    ):
        httpserver.clear_all_handlers()
        stripe_server.answer_sessions(status=status, body={"error": error})

        with caplog.at_level(logging.ERROR, logger="orders.payments"):
            response = client.post(buy_url(product), follow=True)

        assert response.redirect_chain == [(product.get_absolute_url(), 302)]
        assert CHECKOUT_FAILED in messages_of(response)
        assert Order.objects.get().status == Order.Status.FAILED
        assert "Stripe refused a checkout session" in caplog.text

    def test_stripe_out_of_reach_leaves_the_buyer_a_message(
        self, client, stripe_server, settings, product
    ):
        settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there

        response = client.post(buy_url(product), follow=True)

        assert CHECKOUT_FAILED in messages_of(response)
        assert not Order.objects.filter(status=Order.Status.PAID).exists()

    def test_a_stripe_that_does_not_answer_in_time_leaves_the_buyer_a_message(
        self, client, stripe_server, httpserver, product
    ):
        def too_slow(request):
            import time

            time.sleep(1.5)

        httpserver.clear_all_handlers()
        httpserver.expect_request("/v1/checkout/sessions").respond_with_handler(too_slow)

        response = client.post(buy_url(product), follow=True)

        assert CHECKOUT_FAILED in messages_of(response)
        assert Order.objects.get().status == Order.Status.FAILED

    def test_an_answer_that_is_not_a_session_leaves_the_buyer_a_message(
        self, client, stripe_server, httpserver, product
    ):
        httpserver.clear_all_handlers()
        httpserver.expect_request("/v1/checkout/sessions").respond_with_json({"object": "list"})

        response = client.post(buy_url(product), follow=True)

        assert CHECKOUT_FAILED in messages_of(response)

    def test_without_a_stripe_key_in_production_paid_products_cannot_be_bought(
        self, client, settings, product
    ):
        settings.DEBUG = False
        settings.STRIPE_SECRET_KEY = ""

        page = client.get(product.get_absolute_url()).content.decode()
        response = client.post(buy_url(product), follow=True)

        assert "Checkout is not available" in page
        assert "Buy for" not in page
        assert "Checkout is not available right now." in messages_of(response)
        assert not Order.objects.exists()


@pytest.mark.django_db
class TestReturnPages:
    def test_cancel_says_so_as_information_and_changes_nothing(
        self, client, stripe_server, product
    ):
        order = OrderFactory(product=product, status=Order.Status.PENDING, paid_at=None)

        response = client.get(
            reverse("orders:cancel"), {"session_id": order.stripe_session_id}, follow=True
        )

        assert response.redirect_chain == [(product.get_absolute_url(), 302)]
        [message] = response.context["messages"]
        assert str(message) == "Checkout cancelled. You have not been charged."
        assert message.level_tag == "info"
        order.refresh_from_db()
        assert order.status == Order.Status.PENDING

    @pytest.mark.parametrize("session_id", ["", "cs_unknown", "x" * 300, "{ID}"])
    def test_an_unknown_session_is_a_404(self, client, stripe_server, session_id):
        assert client.get(reverse("orders:cancel"), {"session_id": session_id}).status_code == 404

    def test_a_session_id_with_a_nul_is_a_400(self, client, stripe_server):
        response = client.get(reverse("orders:cancel"), {"session_id": "cs\x00nul"})

        assert response.status_code == 400


def form_action(response):
    """The form-action directive of the page's Content-Security-Policy."""
    directives = [part.strip() for part in response["Content-Security-Policy"].split(";")]
    return next(part for part in directives if part.startswith("form-action "))


class TestCheckoutUnderTheCsp:
    """Buy answers with a redirect to Stripe Checkout: the product page's CSP must let
    its form go there, or the browser stays on the page. (Payouts send forms to Stripe's
    Connect pages: tests/payouts/test_accounts.py.)"""

    @pytest.mark.django_db
    def test_the_buy_form_may_go_to_stripe_checkout_and_nowhere_else(self, client, product):
        response = client.get(product.get_absolute_url())

        assert form_action(response) == (
            "form-action 'self' https://checkout.stripe.com https://connect.stripe.com"
        )

    def test_a_fake_stripe_on_another_origin_is_allowed_by_its_setting(self):
        returncode, output, stderr = settings_with(
            {"STRIPE_CHECKOUT_ORIGIN": "http://127.0.0.1:8765"},
            "settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']",
        )

        assert returncode == 0, stderr
        assert output == "[\"'self'\", 'http://127.0.0.1:8765', 'https://connect.stripe.com']"

    @pytest.mark.parametrize(
        "value",
        [
            "https://checkout.stripe.com/c/pay",
            "checkout.stripe.com",
            "https://checkout.stripe.com; script-src *",
            "https://user@checkout.stripe.com",
        ],
    )
    def test_a_checkout_origin_that_is_not_an_origin_stops_the_start(self, value):
        returncode, _, stderr = settings_with({"STRIPE_CHECKOUT_ORIGIN": value}, "settings.DEBUG")

        assert returncode != 0
        assert "STRIPE_CHECKOUT_ORIGIN must be an origin" in stderr
