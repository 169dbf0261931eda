"""One client address makes the site email people EMAILS_PER_CLIENT_PER_HOUR times an
hour at most: free claims, sign-up attempts and password reset requests together."""

from functools import partial

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from orders.models import Order
from tests.factories import SellableProductFactory, UserFactory
from tests.utils import signup_data

LIMIT = 20
TOO_MANY = (
    "Too many requests that send emails (sign-ups, password resets, free products) "
    "came from your address in the last hour."
)
ALREADY_TAKEN = "already has an account"


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


@pytest.fixture
def free_product(db):
    return SellableProductFactory(name="Starter Notes", price_cents=0)


def claim(client, number, *, product, **headers):
    return client.post(
        reverse("orders:buy", args=[product.pk]), {"email": f"v{number}@example.com"}, **headers
    )


def sign_up(client, number, **headers):
    data = signup_data(email=f"new{number}@example.com", store_name=f"Shop {number}")
    response = client.post(reverse("stores:signup"), data, **headers)
    client.logout()
    return response


def reset(client, number, **headers):
    return client.post(
        reverse("accounts:password_reset"), {"email": f"r{number}@example.com"}, **headers
    )


def requests_of_each_kind(product):
    return {"claim": partial(claim, product=product), "sign_up": sign_up, "reset": reset}


def mixed(client, product, times):
    """`times` requests that email someone, taking turns: claim, sign up, reset."""
    kinds = list(requests_of_each_kind(product).values())
    for number in range(times):
        assert kinds[number % 3](client, number).status_code == 302


@pytest.mark.django_db
class TestEmailsPerClientAddress:
    @pytest.mark.parametrize("kind", ["claim", "sign_up", "reset"])
    def test_the_21st_request_in_an_hour_gets_429_and_sends_nothing(
        self, client, free_product, kind, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            mixed(client, free_product, LIMIT)
        sent, orders, users = len(mail.outbox), Order.objects.count(), User.objects.count()

        with django_capture_on_commit_callbacks(execute=True):
            refused = requests_of_each_kind(free_product)[kind](client, 99)

        assert refused.status_code == 429
        assert TOO_MANY in refused.content.decode()
        assert int(refused["Retry-After"]) > 0
        assert len(mail.outbox) == sent
        assert (Order.objects.count(), User.objects.count()) == (orders, users)

    def test_failed_sign_up_attempts_count_so_addresses_cannot_be_tried_in_bulk(self, client):
        UserFactory(email="taken@example.com")
        for number in range(LIMIT):
            data = signup_data(email="taken@example.com", store_name=f"Shop {number}")
            answer = client.post(reverse("stores:signup"), data)
            assert ALREADY_TAKEN in answer.content.decode()

        data = signup_data(email="taken@example.com", store_name="Shop 99")
        refused = client.post(reverse("stores:signup"), data)

        assert refused.status_code == 429
        assert ALREADY_TAKEN not in refused.content.decode()

    def test_reset_requests_for_addresses_without_an_account_count(self, client):
        for number in range(LIMIT):
            assert reset(client, number).status_code == 302

        assert reset(client, 99).status_code == 429

    def test_another_address_is_not_limited(self, client, free_product):
        for number in range(LIMIT + 1):
            claim(client, number, product=free_product)

        answer = claim(Client(), 99, product=free_product, REMOTE_ADDR="203.0.113.9")

        assert answer.status_code == 302

    def test_the_limit_is_the_setting(self, client, settings, free_product):
        settings.EMAILS_PER_CLIENT_PER_HOUR = 2

        answers = [claim(client, n, product=free_product).status_code for n in range(3)]

        assert answers == [302, 302, 429]

    def test_a_sign_up_page_view_does_not_count(self, client):
        for _ in range(LIMIT + 1):
            client.get(reverse("stores:signup"))

        assert sign_up(client, 1).status_code == 302

    def test_a_reset_request_stays_limited_per_email_too(
        self, client, django_capture_on_commit_callbacks
    ):
        UserFactory(email="ann@example.com")

        with django_capture_on_commit_callbacks(execute=True):
            for address in ("203.0.113.1", "203.0.113.2"):
                Client().post(
                    reverse("accounts:password_reset"),
                    {"email": "ann@example.com"},
                    REMOTE_ADDR=address,
                )

        assert len(mail.outbox) == 1
