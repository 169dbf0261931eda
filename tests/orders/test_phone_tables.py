"""The dashboard's and the sales page's tables on a phone: they drop their less needed
columns below 768 px and show them under the main cell; what still scrolls does so in a
region the keyboard reaches. (The browser journeys measure the page at 390 px.)"""

import re

import pytest
from django.urls import reverse

from tests.factories import OrderFactory, SellableProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, store):
    client.force_login(store.owner)
    return client


def cells(body, tag):
    """The `tag` cells of the page's table of a list (the dashboard's chart has its own)."""
    table = body[body.index('role="region"') :]
    return re.findall(rf"<{tag}\b[^>]*>", table[: table.index("</table>")])


def test_the_dashboard_table_fits_a_phone_and_its_region_takes_the_focus(owner_client, store):
    product = SellableProductFactory(store=store, name="Starter Notes", price_cents=1200)
    OrderFactory.create_batch(2, product=product)

    body = owner_client.get(reverse("dashboard")).content.decode()

    assert (
        '<div class="table-responsive" tabindex="0" role="region" aria-label="Table of products">'
    ) in body
    headers = cells(body, "th")
    # Picture, name, price, status, sales, revenue, actions: four of them always shown.
    dropped = [header for header in headers if "d-none" in header]
    assert len(headers) == 7
    assert len(dropped) == 4
    assert '<div class="d-md-none small text-body-secondary">$12.00 · On sale · 2 sales</div>' in (
        body
    )


def test_the_sales_table_fits_a_phone_and_its_region_takes_the_focus(owner_client, store):
    product = SellableProductFactory(store=store, name="Starter Notes", price_cents=1200)
    order = OrderFactory(product=product, email="bob@example.com")

    body = owner_client.get(reverse("orders:sales")).content.decode()

    assert (
        '<div class="table-responsive" tabindex="0" role="region" aria-label="Table of sales">'
    ) in body
    assert len(cells(body, "th")) == 11
    # The headers a phone shows (and the Refund button's): date, order, buyer and status
    # go under the product; fee, refunded and the discount are left to a wider screen (and the CSV).
    assert re.findall(r'<th scope="col"(?: class="text-end")?>(\w+)</th>', body) == [
        "Product",
        "Amount",
        "Net",
    ]
    assert f"order {order.number} · bob@example.com · Paid</div>" in body
