"""A buyer has one open checkout of a product at a time, and one client address starts
CHECKOUT_RATE_PER_MINUTE checkouts a minute at most."""

import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from orders.views.checkout import GUEST_KEY
from tests.factories import OrderFactory, SellableProductFactory, UserFactory
from tests.orders.fake_stripe import SESSION_URL, completed_session, stripe_event, stripe_signature
from tests.utils import messages_of

STARTING = "Your checkout is starting. Please try again in a moment."
TOO_MANY = "Too many checkouts were started from your address in the last minute."


def buy_url(product):
    return reverse("orders:buy", args=[product.pk])


@pytest.fixture
def product(db):
    return SellableProductFactory(name="Sourdough Field Guide", price_cents=1200)


@pytest.fixture
def member(client):
    buyer = UserFactory(email="ann@example.com")
    client.force_login(buyer)
    return buyer


@pytest.mark.django_db
class TestASecondBuy:
    def test_a_member_is_sent_to_the_same_checkout_and_nothing_new_is_made(
        self, client, stripe_server, product, member
    ):
        first = client.post(buy_url(product))
        second = client.post(buy_url(product))

        assert (first.status_code, second.status_code) == (303, 303)
        assert first["Location"] == second["Location"] == SESSION_URL
        order = Order.objects.get()
        assert (order.buyer, order.status) == (member, Order.Status.PENDING)
        assert order.checkout_url == SESSION_URL
        assert len(stripe_server.requests) == 1

    def test_a_guest_is_sent_to_the_same_checkout_within_their_session(
        self, client, stripe_server, product
    ):
        client.post(buy_url(product))
        response = client.post(buy_url(product))

        assert response["Location"] == SESSION_URL
        assert Order.objects.get().buyer is None
        assert len(stripe_server.requests) == 1

    @pytest.mark.parametrize("stored", ["k" * 65, "ab\x00cd", ["a"], 7])
    def test_a_guest_key_not_of_our_making_is_replaced(
        self, client, stripe_server, product, stored
    ):
        session = client.session
        session[GUEST_KEY] = stored
        session.save()

        response = client.post(buy_url(product))

        assert response.status_code == 303
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", Order.objects.get().guest_key)

    def test_another_guest_gets_a_checkout_of_their_own(self, client, stripe_server, product):
        client.post(buy_url(product))

        Client().post(buy_url(product))

        assert Order.objects.count() == 2
        assert len(stripe_server.requests) == 2

    def test_a_guest_whose_session_ended_gets_a_new_checkout(self, client, stripe_server, product):
        client.post(buy_url(product))
        client.cookies.clear()

        client.post(buy_url(product))

        assert Order.objects.count() == 2

    def test_another_member_gets_a_checkout_of_their_own(
        self, client, stripe_server, product, member
    ):
        client.post(buy_url(product))
        other = Client()
        other.force_login(UserFactory())

        other.post(buy_url(product))

        assert Order.objects.filter(status=Order.Status.PENDING).count() == 2
        assert len(stripe_server.requests) == 2

    def test_another_product_gets_a_checkout_of_its_own(
        self, client, stripe_server, product, member
    ):
        client.post(buy_url(product))

        client.post(buy_url(SellableProductFactory(price_cents=500)))

        assert Order.objects.count() == 2

    def test_after_stripe_expired_the_checkout_a_new_one_starts(
        self, client, stripe_server, product, member
    ):
        client.post(buy_url(product))
        first = Order.objects.get()
        payload = stripe_event("checkout.session.expired", {"id": first.stripe_session_id})
        client.post(
            reverse("orders:stripe_webhook"),
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_signature(payload),
        )

        response = client.post(buy_url(product))

        assert response.status_code == 303
        first.refresh_from_db()
        assert first.status == Order.Status.EXPIRED
        assert Order.objects.filter(status=Order.Status.PENDING).exclude(pk=first.pk).exists()
        assert len(stripe_server.requests) == 2

    def test_a_checkout_past_its_expiry_is_marked_expired_and_a_new_one_starts(
        self, client, stripe_server, product, member
    ):
        client.post(buy_url(product))
        first = Order.objects.get()
        Order.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

        response = client.post(buy_url(product))

        assert response.status_code == 303
        first.refresh_from_db()
        assert first.status == Order.Status.EXPIRED
        second = Order.objects.exclude(pk=first.pk).get()
        assert (second.status, second.stripe_session_id) == (Order.Status.PENDING, "cs_test_fake_2")

    def test_after_a_payment_the_buyer_gets_their_download_instead(
        self, client, stripe_server, product, member
    ):
        client.post(buy_url(product))
        payload = stripe_event("checkout.session.completed", completed_session(Order.objects.get()))
        client.post(
            reverse("orders:stripe_webhook"),
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_signature(payload),
        )

        response = client.post(buy_url(product))

        assert response.status_code == 200
        assert "You own this." in response.content.decode()
        assert Order.objects.count() == 1
        assert len(stripe_server.requests) == 1

    def test_a_checkout_stripe_refused_does_not_stand_in_the_way(
        self, client, stripe_server, httpserver, product, member
    ):
        httpserver.clear_all_handlers()
        stripe_server.answer_sessions(status=500, body={"error": {"type": "api_error"}})
        client.post(buy_url(product))
        httpserver.clear_all_handlers()
        stripe_server.answer_sessions()

        response = client.post(buy_url(product))

        assert response["Location"] == SESSION_URL
        assert sorted(Order.objects.values_list("status", flat=True)) == ["failed", "pending"]


@pytest.mark.django_db
class TestACheckoutBeingStarted:
    """Another request of the buyer saved its order and waits for Stripe's session."""

    def starting(self, product, buyer, **fields):
        return OrderFactory(
            product=product,
            buyer=buyer,
            status=Order.Status.PENDING,
            paid_at=None,
            stripe_session_id=None,
            expires_at=timezone.now() + timedelta(hours=1),
            **fields,
        )

    def test_a_second_buy_is_asked_to_try_again_and_starts_nothing(
        self, client, stripe_server, product, member
    ):
        self.starting(product, member)

        response = client.post(buy_url(product), follow=True)

        assert response.redirect_chain == [(product.get_absolute_url(), 302)]
        assert messages_of(response) == [STARTING]
        assert Order.objects.count() == 1
        assert not stripe_server.requests

    def test_one_whose_request_died_is_failed_and_a_new_one_starts(
        self, client, stripe_server, product, member
    ):
        dead = self.starting(product, member)
        Order.objects.filter(pk=dead.pk).update(created_at=timezone.now() - timedelta(minutes=5))

        response = client.post(buy_url(product))

        assert response["Location"] == SESSION_URL
        dead.refresh_from_db()
        assert dead.status == Order.Status.FAILED
        assert len(stripe_server.requests) == 1

    def test_the_database_refuses_a_second_open_checkout_of_a_member(self, product, member):
        self.starting(product, member)

        with pytest.raises(IntegrityError), transaction.atomic():
            self.starting(product, member)

    def test_the_database_refuses_a_second_open_checkout_of_a_guest(self, product):
        self.starting(product, None, guest_key="k" * 32)

        with pytest.raises(IntegrityError), transaction.atomic():
            self.starting(product, None, guest_key="k" * 32)


@pytest.mark.django_db
class TestTheTestCheckout:
    @pytest.fixture(autouse=True)
    def _test_checkout(self, settings):
        settings.DEBUG = True
        settings.STRIPE_SECRET_KEY = ""

    def test_a_second_buy_opens_the_same_test_checkout_which_pays(
        self, client, product, member, django_capture_on_commit_callbacks
    ):
        first = client.post(buy_url(product))["Location"]
        second = client.post(buy_url(product))["Location"]

        assert first == second
        with django_capture_on_commit_callbacks(execute=True):
            client.post(second, {"action": "pay", "email": "ann@example.com"})
        assert Order.objects.get().status == Order.Status.PAID


@pytest.mark.django_db
class TestCheckoutsPerClientAddress:
    def bot_buys(self, product, times, **headers):
        """Buys without cookies, as a bot: each a new guest."""
        return [Client().post(buy_url(product), **headers) for _ in range(times)]

    def test_the_eleventh_start_in_a_minute_gets_429_and_makes_nothing(
        self, stripe_server, product
    ):
        answers = self.bot_buys(product, 10)
        assert [answer.status_code for answer in answers] == [303] * 10

        refused = Client().post(buy_url(product))

        assert refused.status_code == 429
        body = refused.content.decode()
        assert TOO_MANY in body
        assert "Please try again in 1 minute." in body
        assert 0 < int(refused["Retry-After"]) <= 60
        assert Order.objects.count() == 10
        assert len(stripe_server.requests) == 10

    def test_reused_checkouts_count(self, client, stripe_server, product, member):
        for _ in range(10):
            assert client.post(buy_url(product)).status_code == 303

        assert client.post(buy_url(product)).status_code == 429
        assert len(stripe_server.requests) == 1

    def test_another_address_still_starts_checkouts(self, stripe_server, product):
        self.bot_buys(product, 11)

        answer = Client().post(buy_url(product), REMOTE_ADDR="203.0.113.9")

        assert answer.status_code == 303

    def test_behind_a_trusted_proxy_each_client_has_its_own_count(
        self, settings, stripe_server, product
    ):
        settings.TRUSTED_PROXIES = ["127.0.0.1"]
        self.bot_buys(product, 11, HTTP_X_FORWARDED_FOR="198.51.100.7")

        # A client can't escape its count by writing its own X-Forwarded-For entries.
        forged = self.bot_buys(product, 1, HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7")
        other = self.bot_buys(product, 1, HTTP_X_FORWARDED_FOR="198.51.100.8")

        assert forged[0].status_code == 429
        assert other[0].status_code == 303

    def test_the_limit_is_the_setting(self, settings, stripe_server, product):
        settings.CHECKOUT_RATE_PER_MINUTE = 2

        answers = self.bot_buys(product, 3)

        assert [answer.status_code for answer in answers] == [303, 303, 429]

    def test_refusals_before_the_checkout_do_not_count(self, client, stripe_server, product):
        client.force_login(product.store.owner)
        for _ in range(11):
            client.post(buy_url(product))  # "You can't buy your own product."

        assert Client().post(buy_url(product)).status_code == 303
