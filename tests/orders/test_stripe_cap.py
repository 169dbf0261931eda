"""Bulkheads: at most STRIPE_MAX_CONCURRENT requests of a process wait on Stripe."""

import runpy
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from orders import payments
from orders.models import Order
from tests.factories import SellableProductFactory, UserFactory
from tests.orders.fake_stripe import SESSION_URL
from tests.site.test_pages import settings_with

BUSY = "Checkout is busy, try again in a moment."


@pytest.fixture
def product(db):
    return SellableProductFactory(name="Sourdough Field Guide", price_cents=1200)


def permits_held(count):
    """`count` permits taken, as requests waiting on Stripe hold them."""
    stack = ExitStack()
    for _ in range(count):
        stack.enter_context(payments.stripe_permit())
    return stack


@pytest.mark.django_db
class TestTheStripeCap:
    def test_a_buy_past_the_cap_is_refused_at_once_without_asking_stripe(
        self, client, stripe_server, product, settings
    ):
        settings.STRIPE_MAX_CONCURRENT = 2
        with permits_held(2):
            response = client.post(reverse("orders:buy", args=[product.pk]))

        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert BUSY in response.content.decode()
        assert stripe_server.requests == []
        assert not Order.objects.exists()

    def test_the_buyer_s_next_try_starts_their_checkout(
        self, client, stripe_server, product, settings
    ):
        settings.STRIPE_MAX_CONCURRENT = 1
        client.force_login(UserFactory())
        with permits_held(1):
            refused = client.post(reverse("orders:buy", args=[product.pk]))

        response = client.post(reverse("orders:buy", args=[product.pk]))

        assert refused.status_code == 503
        assert response.status_code == 303
        assert response["Location"] == SESSION_URL
        assert Order.objects.get().status == Order.Status.PENDING

    def test_pages_answer_while_every_permit_is_held(
        self, client, stripe_server, product, settings
    ):
        settings.STRIPE_MAX_CONCURRENT = 1
        with permits_held(1):
            page = client.get(product.get_absolute_url())
            listing = client.get(reverse("products:index"))

        assert page.status_code == 200
        assert "Sourdough Field Guide" in page.content.decode()
        assert listing.status_code == 200

    def test_a_checkout_gives_its_permit_back_whether_stripe_answers_or_fails(
        self, client, stripe_server, settings
    ):
        settings.STRIPE_MAX_CONCURRENT = 1
        first, second, third = SellableProductFactory.create_batch(3)
        stripe_server.server.clear_all_handlers()
        stripe_server.answer_sessions(status=400, body={"error": {"message": "No such price"}})
        failed = client.post(reverse("orders:buy", args=[first.pk]))
        stripe_server.server.clear_all_handlers()
        stripe_server.answer_sessions()

        started = client.post(reverse("orders:buy", args=[second.pk]))
        again = client.post(reverse("orders:buy", args=[third.pk]))

        assert failed.status_code == 302
        assert (started.status_code, again.status_code) == (303, 303)
        assert Order.objects.filter(status=Order.Status.PENDING).count() == 2


def test_stripe_s_timeout_and_its_retry_must_end_before_gunicorn_s():
    environment = {"STRIPE_TIMEOUT_SECONDS": "15", "GUNICORN_TIMEOUT": "30"}
    returncode, _, stderr = settings_with(environment, "1")

    assert returncode != 0
    assert "Twice STRIPE_TIMEOUT_SECONDS" in stderr


@pytest.mark.parametrize("value", ["0", "four", "-1", ""])
def test_the_stripe_cap_must_be_a_whole_number_from_one(value):
    returncode, _, stderr = settings_with({"STRIPE_MAX_CONCURRENT": value}, "1")

    assert returncode != 0
    assert "STRIPE_MAX_CONCURRENT must be" in stderr


def test_gunicorn_serves_with_more_threads_than_the_stripe_cap_by_default(monkeypatch):
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    config = runpy.run_path(str(Path(django_settings.BASE_DIR) / "gunicorn.conf.py"))
    returncode, output, stderr = settings_with({}, "settings.STRIPE_MAX_CONCURRENT")

    assert returncode == 0, stderr
    assert config["worker_class"] == "gthread"
    assert (config["threads"], int(output)) == (8, 4)
