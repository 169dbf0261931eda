"""Pay what you want: the product page asks for the amount, and Buy charges exactly
what the buyer typed, or refuses it with a 400 that says why."""

import pytest
from django.urls import reverse

from orders.models import Order
from tests.factories import SellableProductFactory, UserFactory
from tests.orders.fake_stripe import SESSION_URL

pytestmark = pytest.mark.django_db


def buy_url(product):
    return reverse("orders:buy", args=[product.pk])


@pytest.fixture
def product(db):
    return SellableProductFactory(
        name="Field Recordings",
        price_cents=300,
        pay_what_you_want=True,
        suggested_price_cents=800,
    )


@pytest.fixture
def free_minimum(db):
    return SellableProductFactory(
        name="Pocket Zine", price_cents=0, pay_what_you_want=True, suggested_price_cents=500
    )


def test_the_page_asks_for_the_amount_prefilled_with_the_suggestion(client, stripe_server, product):
    body = client.get(product.get_absolute_url()).content.decode()

    assert "$3.00+" in body
    assert 'name="amount" value="8.00"' in body
    assert "At least $3.00." in body
    assert ">Buy</button>" in body


@pytest.mark.parametrize(
    ("typed", "cents"), [("8", 800), ("3.00", 300), ("12.34", 1234), ("100000", 100_000_00)]
)
def test_the_order_and_stripe_get_exactly_what_the_buyer_typed(
    client, stripe_server, product, typed, cents
):
    response = client.post(buy_url(product), {"amount": typed})

    assert response.status_code == 303
    assert response["Location"] == SESSION_URL
    order = Order.objects.get()
    assert (order.amount_cents, order.discount_cents, order.status) == (cents, 0, "pending")
    assert stripe_server.sent["line_items[0][price_data][unit_amount]"] == str(cents)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2.99", "Pay at least $3.00."),
        ("0", "Pay at least $3.00."),
        ("100000.01", "Enter what you pay in dollars, up to 100,000, like 5 or 4.99."),
        ("1.999", "Enter the amount to the cent, like 4.99."),
        ("1e3", "Enter what you pay in dollars, up to 100,000, like 5 or 4.99."),
        ("-5", "Enter what you pay in dollars, up to 100,000, like 5 or 4.99."),
        ("NaN", "Enter what you pay in dollars, up to 100,000, like 5 or 4.99."),
        ("five", "Enter what you pay in dollars, up to 100,000, like 5 or 4.99."),
        ("9" * 5000, "Enter what you pay in dollars, up to 100,000, like 5 or 4.99."),
        ("", "Enter what you pay in dollars, up to 100,000, like 5 or 4.99."),
    ],
)
def test_an_amount_out_of_bounds_or_not_cents_is_refused_with_a_400_that_says_why(
    client, stripe_server, product, typed, message
):
    response = client.post(buy_url(product), {"amount": typed})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Order.objects.exists()
    assert stripe_server.requests == []


def test_a_nul_in_the_amount_is_refused_with_a_400_and_no_order(client, stripe_server, product):
    response = client.post(buy_url(product), {"amount": "5\x00"})

    assert response.status_code == 400
    assert "We couldn't read that request" in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.parametrize("typed", ["0.01", "0.49"])
def test_with_a_free_minimum_one_to_forty_nine_cents_is_refused(
    client, stripe_server, free_minimum, typed
):
    response = client.post(buy_url(free_minimum), {"amount": typed, "email": "ann@example.com"})

    assert response.status_code == 400
    assert "Pay $0 or at least $0.50." in response.content.decode()
    assert not Order.objects.exists()


def test_with_a_free_minimum_zero_takes_the_free_path_without_stripe(
    client, stripe_server, free_minimum, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(buy_url(free_minimum), {"amount": "0", "email": "ann@example.com"})

    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.amount_cents, order.status, order.email) == (0, "paid", "ann@example.com")
    assert stripe_server.requests == []
    assert ["ann@example.com"] in [email.to for email in mailoutbox]


def test_a_guest_paying_nothing_must_say_where_the_link_goes(client, stripe_server, free_minimum):
    response = client.post(buy_url(free_minimum), {"amount": "0"})

    assert response.status_code == 400
    assert "Enter your email: we send the download link there." in response.content.decode()
    assert not Order.objects.exists()


def test_a_member_paying_nothing_gets_it_in_their_library(client, stripe_server, free_minimum):
    client.force_login(UserFactory(email="bo@example.com"))

    response = client.post(buy_url(free_minimum), {"amount": "0"})

    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.amount_cents, order.email, order.status) == (0, "bo@example.com", "paid")


def test_with_a_free_minimum_a_paid_amount_goes_to_stripe(client, stripe_server, free_minimum):
    response = client.post(buy_url(free_minimum), {"amount": "0.50", "email": ""})

    assert response.status_code == 303
    assert Order.objects.get().amount_cents == 50


def test_a_second_buy_at_another_amount_is_told_of_the_open_checkout(
    client, stripe_server, product
):
    client.post(buy_url(product), {"amount": "8"})

    response = client.post(buy_url(product), {"amount": "9"}, follow=True)

    assert "You have a checkout of Field Recordings open for $8.00" in response.content.decode()
    assert Order.objects.count() == 1
    assert len(stripe_server.requests) == 1


def test_a_second_buy_at_the_same_amount_reuses_the_checkout(client, stripe_server, product):
    client.post(buy_url(product), {"amount": "8"})

    response = client.post(buy_url(product), {"amount": "8.00"})

    assert response.status_code == 303
    assert Order.objects.count() == 1
