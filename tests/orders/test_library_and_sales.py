"""A buyer's library (/library/) and a seller's sales (/sales/ and its CSV export)."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from tests.factories import (
    OrderFactory,
    SellableProductFactory,
    StoreFactory,
    UserFactory,
)

LIBRARY_URL = reverse("orders:library")
SALES_URL = reverse("orders:sales")
EXPORT_URL = reverse("orders:sales_export")


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def at(year, month, day):
    return datetime(year, month, day, 9, 30, tzinfo=UTC)


def rows_of(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def buyer(db):
    return UserFactory(email="ann@example.com")


@pytest.fixture
def buyer_client(client, buyer):
    client.force_login(buyer)
    return client


@pytest.mark.django_db
class TestTheLibrary:
    def test_lists_the_users_paid_orders_newest_first(self, buyer_client, buyer):
        OrderFactory(buyer=buyer, product_name="Old Guide", paid_at=days_ago(3))
        OrderFactory(buyer=buyer, product_name="New Guide", paid_at=days_ago(1))
        OrderFactory(buyer=buyer, product_name="Middle Guide", paid_at=days_ago(2))

        response = buyer_client.get(LIBRARY_URL)

        assert response.status_code == 200
        names = [order.product_name for order in response.context["object_list"]]
        assert names == ["New Guide", "Middle Guide", "Old Guide"]
        body = response.content.decode()
        assert body.index("New Guide") < body.index("Middle Guide") < body.index("Old Guide")

    def test_leaves_out_other_users_and_unpaid_or_refunded_orders(self, buyer_client, buyer):
        OrderFactory(buyer=buyer, product_name="Mine")
        OrderFactory(buyer=UserFactory(), product_name="Someone Else's")
        OrderFactory(buyer=None, email=buyer.email, product_name="Guest Order Same Email")
        OrderFactory(buyer=buyer, product_name="Refunded One", status=Order.Status.REFUNDED)
        OrderFactory(buyer=buyer, product_name="Pending One", status="pending", paid_at=None)
        OrderFactory(buyer=buyer, product_name="Failed One", status="failed", paid_at=None)

        response = buyer_client.get(LIBRARY_URL)

        assert [order.product_name for order in response.context["object_list"]] == ["Mine"]
        body = response.content.decode()
        for name in ["Someone Else", "Guest Order", "Refunded One", "Pending One", "Failed One"]:
            assert name not in body

    def test_the_download_link_works(self, buyer_client, buyer):
        order = OrderFactory(buyer=buyer)
        body = buyer_client.get(LIBRARY_URL).content.decode()
        # The link's signature carries the second it was made: compare what it opens.
        [link] = re.findall(r'href="(/downloads/[^"]+)"', body)
        assert Order.of_download_link(link.removesuffix("/").rpartition("/")[2]) == (order, None)

        response = buyer_client.get(link)

        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="guide.pdf"'
        assert b"".join(response.streaming_content) == b"%PDF-1.4 the guide\n"

    def test_says_when_it_is_empty(self, buyer_client):
        response = buyer_client.get(LIBRARY_URL)

        assert "Nothing here yet." in response.content.decode()


@pytest.fixture
def store(db):
    return StoreFactory(name="Crumb Club", owner=UserFactory(email="baker@example.com"))


@pytest.fixture
def owner_client(client, store):
    client.force_login(store.owner)
    return client


@pytest.mark.django_db
class TestTheSalesPage:
    def test_shows_totals_with_refunds_apart(self, owner_client, store):
        product = SellableProductFactory(store=store, price_cents=1200)
        OrderFactory.create_batch(2, product=product)
        OrderFactory(product=product, status=Order.Status.REFUNDED)
        OrderFactory(product=product, status=Order.Status.PENDING, paid_at=None)
        OrderFactory(product=SellableProductFactory(price_cents=9900))  # another store

        response = owner_client.get(SALES_URL)

        body = response.content.decode()
        assert '<div class="fs-4 fw-semibold" data-total="paid-count">2</div>' in body
        assert '<div class="fs-4 fw-semibold" data-total="revenue">$24.00</div>' in body
        assert '<div class="fs-4 fw-semibold" data-total="refunds">1 ($12.00)</div>' in body

    def test_revenue_is_formatted_with_thousands(self, owner_client, store):
        product = SellableProductFactory(store=store, price_cents=100_000_00)
        OrderFactory.create_batch(2, product=product)

        body = owner_client.get(SALES_URL).content.decode()

        assert 'data-total="revenue">$200,000.00</div>' in body

    def test_lists_the_stores_sales_newest_first_with_what_a_seller_needs(
        self, owner_client, store
    ):
        product = SellableProductFactory(store=store, name="Starter Notes", price_cents=1200)
        OrderFactory(product=product, email="ann@example.com", paid_at=at(2026, 11, 18))
        paid = OrderFactory(product=product, email="bob@example.com", paid_at=at(2026, 11, 20))
        OrderFactory(
            product=product, email="cat@example.com", status="refunded", paid_at=at(2026, 11, 19)
        )
        OrderFactory(product=product, email="pending@example.com", status="pending", paid_at=None)
        OrderFactory(email="other-store@example.com")

        response = owner_client.get(SALES_URL)

        assert [order.email for order in response.context["object_list"]] == [
            "bob@example.com",
            "cat@example.com",
            "ann@example.com",
        ]
        body = response.content.decode()
        assert "other-store@example.com" not in body
        assert "pending@example.com" not in body
        # On a phone, the product's cell shows the columns it drops.
        row = (
            '<td class="text-nowrap d-none d-md-table-cell">20 Nov 2026, 09:30</td>\n'
            f'              <td class="d-none d-md-table-cell">{paid.number}</td>\n'
            '              <td class="text-break">Starter Notes<div class="d-md-none small '
            f'text-body-secondary">20 Nov 2026, 09:30 · order {paid.number} · bob@example.com · '
            "Paid</div></td>\n"
            '              <td class="text-break d-none d-md-table-cell">bob@example.com</td>\n'
            '              <td class="text-end text-nowrap">$12.00</td>\n'
            '              <td class="text-end text-nowrap d-none d-md-table-cell">$1.70</td>\n'
            '              <td class="text-end text-nowrap">$10.30</td>\n'
            '              <td class="text-end text-nowrap d-none d-md-table-cell">$0.00</td>\n'
            '              <td class="d-none d-md-table-cell">Paid</td>'
        )
        assert row in body
        assert '<td class="d-none d-md-table-cell">Refunded</td>' in body

    def test_pages_hold_25_sales(self, owner_client, store):
        product = SellableProductFactory(store=store)
        orders = [
            OrderFactory(product=product, email=f"buyer-{n:02d}@example.com", paid_at=days_ago(n))
            for n in range(30)
        ]

        first = owner_client.get(SALES_URL)
        second = owner_client.get(SALES_URL, {"page": 2})

        assert [o.pk for o in first.context["object_list"]] == [o.pk for o in orders[:25]]
        assert [o.pk for o in second.context["object_list"]] == [o.pk for o in orders[25:]]
        assert "Page 1 of 2" in first.content.decode()
        assert "buyer-29@example.com" in second.content.decode()
        assert "buyer-29@example.com" not in first.content.decode()

    @pytest.mark.parametrize("page", ["3", "0", "last-but-one", "-1"])
    def test_a_bad_page_is_not_found(self, owner_client, store, page):
        OrderFactory(product=SellableProductFactory(store=store))

        response = owner_client.get(SALES_URL, {"page": page})

        assert response.status_code == 404


@pytest.mark.django_db
class TestTheSalesExport:
    def test_streams_a_csv_attachment(self, owner_client, store):
        response = owner_client.get(EXPORT_URL)

        assert response.status_code == 200
        assert isinstance(response, StreamingHttpResponse)
        assert response.streaming is True
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="yumroad-sales.csv"'
        assert rows_of(response) == [
            [
                "date",
                "order",
                "product",
                "buyer email",
                "amount",
                "currency",
                "status",
                "fee",
                "net",
                "refunded",
                "dispute",
                "discount code",
                "discount",
            ]
        ]

    def test_has_one_row_per_paid_or_refunded_sale_of_the_store(self, owner_client, store):
        product = SellableProductFactory(store=store, name="Starter Notes", price_cents=1250)
        paid = OrderFactory(product=product, email="ann@example.com", paid_at=days_ago(1))
        refunded = OrderFactory(
            product=product, email="bob@example.com", status="refunded", paid_at=days_ago(2)
        )
        OrderFactory(product=product, status="pending", paid_at=None)
        OrderFactory(product=product, status="failed", paid_at=None)
        OrderFactory(email="other-store@example.com")

        rows = rows_of(owner_client.get(EXPORT_URL))

        assert rows[1:] == [
            [
                paid.paid_at.isoformat(),
                paid.number,
                "Starter Notes",
                "ann@example.com",
                "12.50",
                "USD",
                "paid",
                "1.75",
                "10.75",
                "0.00",
                "",
                "",
                "0.00",
            ],
            [
                refunded.paid_at.isoformat(),
                refunded.number,
                "Starter Notes",
                "bob@example.com",
                "12.50",
                "USD",
                "refunded",
                "1.75",
                "10.75",
                "12.50",
                "",
                "",
                "0.00",
            ],
        ]

    @pytest.mark.parametrize(
        "start", ["=", "+", "-", "@", "\t", "\r"], ids=["eq", "plus", "minus", "at", "tab", "cr"]
    )
    def test_a_cell_that_starts_like_a_formula_is_quoted(self, owner_client, store, start):
        product = SellableProductFactory(store=store, name="Safe Name")
        OrderFactory(
            product=product,
            product_name=f"{start}HYPERLINK(1)",
            email=f"{start}cmd@example.com",
        )

        [_, row] = rows_of(owner_client.get(EXPORT_URL))

        assert row[2] == f"'{start}HYPERLINK(1)"
        assert row[3] == f"'{start}cmd@example.com"
