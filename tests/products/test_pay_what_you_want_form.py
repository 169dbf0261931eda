"""A creator makes a product pay-what-you-want on its edit page: the price is then the
least a buyer pays, and a suggested price is offered first."""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from products.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(store):
    return ProductFactory(store=store, name="Loop Pack", price_cents=500)


def edit(client, product, **fields):
    data = {"name": "Loop Pack", "description": "Loops.", "price": "5", "picture_url": ""}
    return client.post(reverse("products:edit", args=[product.pk]), {**data, **fields})


def test_the_edit_page_offers_pay_what_you_want_and_a_suggested_price(creator_client, product):
    body = creator_client.get(reverse("products:edit", args=[product.pk])).content.decode()

    assert 'name="pay_what_you_want"' in body
    assert 'name="suggested_price"' in body


@pytest.mark.parametrize(
    ("price", "suggested", "saved"),
    [("5", "12.50", (500, 1250)), ("0", "3", (0, 300)), ("0", "0", (0, 0)), ("5", "", (500, None))],
)
def test_a_creator_saves_a_minimum_and_a_suggested_price(
    creator_client, product, price, suggested, saved
):
    response = edit(
        creator_client, product, price=price, pay_what_you_want="on", suggested_price=suggested
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.pay_what_you_want is True
    assert (product.price_cents, product.suggested_price_cents) == saved


def test_turning_it_off_forgets_the_suggestion(creator_client, product):
    edit(creator_client, product, pay_what_you_want="on", suggested_price="9")

    edit(creator_client, product, suggested_price="9")

    product.refresh_from_db()
    assert (product.pay_what_you_want, product.suggested_price_cents) == (False, None)
    assert product.display_price == "$5.00"


@pytest.mark.parametrize(
    ("price", "suggested", "message"),
    [
        ("5", "4.99", "Suggest at least the price that buyers must pay."),
        ("0", "0.49", "Free, or at least $0.50."),
        ("0", "100000.01", "Enter a suggested price in dollars up to 100,000, like 10."),
        ("0", "1e3", "Enter a suggested price in dollars up to 100,000, like 10."),
        ("0", "-1", "Enter a suggested price in dollars up to 100,000, like 10."),
        ("0", "ten", "Enter a suggested price in dollars up to 100,000, like 10."),
        ("0", "1.999", "Enter the amount to the cent, like 4.99."),
        ("0.3", "5", "Free, or at least $0.50."),
    ],
)
def test_a_suggested_price_out_of_bounds_is_refused_and_nothing_is_saved(
    creator_client, product, price, suggested, message
):
    response = edit(
        creator_client, product, price=price, pay_what_you_want="on", suggested_price=suggested
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    product.refresh_from_db()
    assert (product.pay_what_you_want, product.price_cents) == (False, 500)


def test_the_database_refuses_a_suggestion_below_the_minimum(store):
    product = ProductFactory(store=store, price_cents=500)
    product.pay_what_you_want, product.suggested_price_cents = True, 400

    with pytest.raises(IntegrityError, match="product_suggested_price_at_least_the_price"):
        product.save()

    assert Product.objects.get().suggested_price_cents is None


def test_a_product_with_a_free_minimum_shows_pay_what_you_want(store):
    product = ProductFactory(store=store, price_cents=0, pay_what_you_want=True)

    assert product.display_price == "Pay what you want"
    assert product.is_free is False
