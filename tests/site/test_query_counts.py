"""Every page that lists rows takes as many queries for one row as for many."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from products.models import Product
from tests.factories import OrderFactory, ProductFactory, SellableProductFactory, StoreFactory


@dataclass(frozen=True)
class ListPage:
    """A page, who looks at it (a visitor, a buyer without a store, or the owner of
    `store`), how its rows are made, and the queries it takes for any number of them."""

    who: str
    make: Callable
    get: Callable
    queries: int
    # How many rows the response shows for `size` rows made, where the test checked it.
    shown: Callable | None = None


def paid_orders_of_the_buyer(size, buyer, store):
    OrderFactory.create_batch(size, buyer=buyer, product=SellableProductFactory())


def sales_of_the_store(size, buyer, store):
    OrderFactory.create_batch(size, product=SellableProductFactory(store=store))


def products_and_sales_of_the_store(size, buyer, store):
    products, sales = size
    made = SellableProductFactory.create_batch(products, store=store)
    for number in range(sales):
        OrderFactory(product=made[number % products])


def products_of_every_status(size, buyer, store):
    for status in Product.Status:
        for product in SellableProductFactory.create_batch(size, store=store, status=status):
            OrderFactory(product=product)


def stores_of(products):
    def make(size, buyer, store):
        for other in StoreFactory.create_batch(size):
            ProductFactory.create_batch(products, store=other)

    return make


def products_of_the_store(size, buyer, store):
    ProductFactory.create_batch(size, store=store)


def products_of_another_store(size, buyer, store):
    ProductFactory.create_batch(size, store=StoreFactory())


def bread_recipes(size, buyer, store):
    ProductFactory.create_batch(size, name="Bread Recipe")


def get(name, **query):
    return lambda client, store: client.get(reverse(name), query)


def export(client, store):
    """The CSV, read to its end: its rows are queried as they stream."""
    response = client.get(reverse("orders:sales_export"))
    body = b"".join(response.streaming_content).decode()
    response.rows = list(csv.reader(io.StringIO(body)))
    return response


PAGES = {
    # The session, the user, the count of orders, one page of them with their stores.
    "library": ListPage(
        "buyer",
        paid_orders_of_the_buyer,
        get("orders:library"),
        4,
        shown=lambda response, size: len(response.context["object_list"]) == min(size, 20),
    ),
    # The session, the user, their store, its products for the filter, the totals, the
    # count of sales, one page of them.
    "sales": ListPage(
        "owner",
        sales_of_the_store,
        get("orders:sales"),
        7,
        shown=lambda response, size: len(response.context["object_list"]) == min(size, 25),
    ),
    # The session, the user, their store, its products for the filter, then the sales as
    # the rows stream.
    "sales-export": ListPage(
        "owner",
        sales_of_the_store,
        export,
        5,
        # A header, then one row a sale.
        shown=lambda response, size: len(response.rows) == size + 1,
    ),
    # 1: the session; 2: the user; 3: the store; 4: count its published products; 5: the
    # page of them with their sales counted and summed; 6: the last few sales; 7: its
    # drafts and archived products, with their sales, for their sections; 8: the net
    # revenue of the last 30 days summed by day, for the chart.
    "dashboard": ListPage("owner", products_and_sales_of_the_store, get("dashboard"), 8),
    "dashboard-every-status": ListPage(
        "owner",
        products_of_every_status,
        get("dashboard"),
        8,
        shown=lambda response, size: (
            len(response.context["drafts"]) == len(response.context["archived"]) == size
        ),
    ),
    # 1: the example stores with their product counts; 2: the newest products with a
    # picture, for the covers (both then cached).
    "home": ListPage("visitor", stores_of(2), get("home"), 2),
    # 1: count the stores; 2: the page of stores; 3: up to 3 products for each.
    "stores": ListPage("visitor", stores_of(4), get("products:stores"), 3),
    # 1: the store; 2: count its products; 3: the page of products.
    "store-page": ListPage(
        "visitor",
        products_of_the_store,
        lambda client, store: client.get(store.get_absolute_url()),
        3,
    ),
    # 1: count the products for the paginator; 2: the page with their stores.
    "products": ListPage("visitor", products_of_another_store, get("products:index"), 2),
    # 1: count the matches for the paginator; 2: the page with their stores.
    "search": ListPage("visitor", bread_recipes, get("products:index", q="bread"), 2),
}

SIZES = [
    ("library", "1-order", 1),
    ("library", "30-orders", 30),
    ("sales", "1-sale", 1),
    ("sales", "40-sales", 40),
    ("sales-export", "1-sale", 1),
    ("sales-export", "30-sales", 30),
    ("dashboard", "1-product-1-sale", (1, 1)),
    ("dashboard", "20-products-60-sales", (20, 60)),
    ("dashboard-every-status", "1-of-each", 1),
    ("dashboard-every-status", "10-of-each", 10),
    ("home", "1-store", 1),
    ("home", "10-stores", 10),
    ("stores", "1-store", 1),
    ("stores", "12-stores", 12),
    ("store-page", "1-product", 1),
    ("store-page", "30-products", 30),
    ("products", "1-product", 1),
    ("products", "30-products", 30),
    ("search", "1-match", 1),
    ("search", "30-matches", 30),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "size"),
    [pytest.param(page, size, id=f"{page}-{label}") for page, label, size in SIZES],
)
def test_a_list_page_takes_the_same_queries_for_any_number_of_rows(
    client, user, store, django_assert_num_queries, page, size
):
    page = PAGES[page]
    page.make(size, user, store)
    if page.who == "buyer":
        client.force_login(user)
    elif page.who == "owner":
        client.force_login(store.owner)

    with django_assert_num_queries(page.queries):
        response = page.get(client, store)

    assert response.status_code == 200
    if page.shown is not None:
        assert page.shown(response, size)
