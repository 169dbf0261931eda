"""The sales page and its CSV filtered by the days paid (UTC, both ends included) and by
one of the store's products; their totals after fees and refunds."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order, refunded_net_of
from tests.factories import OrderFactory, SellableProductFactory, StoreFactory, UserFactory

SALES_URL = reverse("orders:sales")
EXPORT_URL = reverse("orders:sales_export")
# Just before, at and after the edges of 10 to 20 November 2026, in UTC.
EDGES = {
    "before": datetime(2026, 11, 9, 23, 59, 59, 999999, tzinfo=UTC),
    "first": datetime(2026, 11, 10, 0, 0, tzinfo=UTC),
    "last": datetime(2026, 11, 20, 23, 59, 59, 999999, tzinfo=UTC),
    "after": datetime(2026, 11, 21, 0, 0, tzinfo=UTC),
}


@pytest.fixture(autouse=True)
def _fee(settings):
    settings.PLATFORM_FEE_PERCENT = Decimal("10")
    settings.PLATFORM_FEE_CENTS = 50


@pytest.fixture
def store(db):
    return StoreFactory(name="Crumb Club", owner=UserFactory(email="baker@example.com"))


@pytest.fixture
def owner_client(client, store):
    client.force_login(store.owner)
    return client


def emails_of(response):
    return [order.email for order in response.context["object_list"]]


def rows_of(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def partly_refunded(product, refunded_cents, **fields):
    """A paid order that a refund of `refunded_cents` took part of: it stays paid."""
    order = OrderFactory(product=product, **fields)
    order.refunded_cents = refunded_cents
    order.refunded_net_cents = refunded_net_of(
        net_cents=order.net_cents, refunded_cents=refunded_cents, amount_cents=order.amount_cents
    )
    order.save()
    return order


@pytest.fixture
def edge_orders(store):
    product = SellableProductFactory(store=store)
    return {
        name: OrderFactory(product=product, email=f"{name}@example.com", paid_at=paid_at)
        for name, paid_at in EDGES.items()
    }


@pytest.mark.django_db
class TestTheDays:
    def test_both_days_are_included_whole_in_utc(self, owner_client, edge_orders):
        response = owner_client.get(SALES_URL, {"from": "2026-11-10", "to": "2026-11-20"})

        assert response.status_code == 200
        assert emails_of(response) == ["last@example.com", "first@example.com"]
        assert 'data-total="paid-count">2</div>' in response.content.decode()

    def test_the_csv_has_the_same_days(self, owner_client, edge_orders):
        response = owner_client.get(EXPORT_URL, {"from": "2026-11-10", "to": "2026-11-20"})

        assert response.status_code == 200
        assert [row[3] for row in rows_of(response)[1:]] == [
            "last@example.com",
            "first@example.com",
        ]

    def test_one_day_is_that_whole_day(self, owner_client, edge_orders):
        response = owner_client.get(SALES_URL, {"from": "2026-11-20", "to": "2026-11-20"})

        assert emails_of(response) == ["last@example.com"]

    def test_from_alone_has_no_end(self, owner_client, edge_orders):
        response = owner_client.get(SALES_URL, {"from": "2026-11-10"})

        assert emails_of(response) == ["after@example.com", "last@example.com", "first@example.com"]

    def test_to_alone_has_no_start(self, owner_client, edge_orders):
        response = owner_client.get(SALES_URL, {"to": "2026-11-20", "from": ""})

        assert emails_of(response) == [
            "last@example.com",
            "first@example.com",
            "before@example.com",
        ]

    def test_the_form_shows_the_days_asked(self, owner_client, edge_orders):
        body = owner_client.get(SALES_URL, {"from": "2026-11-10", "to": "2026-11-20"}).content
        body = body.decode()

        assert re.search(
            r'<input type="date" name="from" value="2026-11-10"[^>]*id="id_from"', body
        )
        assert re.search(r'<input type="date" name="to" value="2026-11-20"[^>]*id="id_to"', body)

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            pytest.param(
                {"from": "2026-11-20", "to": "2026-11-10"}, "must be on or before", id="reversed"
            ),
            pytest.param({"from": "2026-02-30"}, "Enter a valid date.", id="february-30"),
            pytest.param({"to": "2026-13-01"}, "Enter a valid date.", id="month-13"),
            pytest.param({"from": "20/11/2026"}, "Enter a valid date.", id="another-format"),
            pytest.param({"to": "9" * 5000}, "Enter a valid date.", id="long"),
            pytest.param({"from": "-2026-11-10"}, "Enter a valid date.", id="negative"),
        ],
    )
    def test_a_filter_that_makes_no_sense_is_refused_with_a_message(
        self, owner_client, edge_orders, query, message
    ):
        response = owner_client.get(SALES_URL, query)

        assert response.status_code == 400
        body = response.content.decode()
        assert message in body
        assert "Fix the filter above to see your sales." in body
        assert "<table" not in body
        assert "Download CSV" not in body

    @pytest.mark.parametrize(
        "query",
        [{"from": "2026-11-20", "to": "2026-11-10"}, {"from": "2026-02-30"}, {"product": "x"}],
    )
    def test_the_csv_refuses_it_too(self, owner_client, edge_orders, query):
        response = owner_client.get(EXPORT_URL, query)

        assert response.status_code == 400
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response.content.decode().startswith("This filter of sales is not valid:")

    def test_the_first_and_last_days_of_the_calendar_are_no_trouble(
        self, owner_client, edge_orders
    ):
        response = owner_client.get(SALES_URL, {"from": "0001-01-01", "to": "9999-12-31"})

        assert response.status_code == 200
        assert len(emails_of(response)) == 4


@pytest.mark.django_db
class TestTheProduct:
    def test_shows_that_products_sales_and_their_totals(self, owner_client, store):
        notes = SellableProductFactory(store=store, name="Starter Notes", price_cents=1200)
        kit = SellableProductFactory(store=store, name="Drum Kit", price_cents=3000)
        OrderFactory(product=notes, email="ann@example.com")
        OrderFactory(product=kit, email="bob@example.com")

        response = owner_client.get(SALES_URL, {"product": notes.pk})

        assert response.status_code == 200
        assert emails_of(response) == ["ann@example.com"]
        body = response.content.decode()
        assert 'data-total="revenue">$12.00</div>' in body
        assert f'<option value="{notes.pk}" selected>Starter Notes</option>' in body

    def test_the_choice_is_of_the_stores_own_products(self, owner_client, store):
        mine = SellableProductFactory(store=store, name="Starter Notes")
        theirs = SellableProductFactory(name="Someone Else's Kit")
        OrderFactory(product=theirs)

        body = owner_client.get(SALES_URL).content.decode()

        assert re.findall(r'<option value="(\d*)"', body) == ["", str(mine.pk)]
        assert "Someone Else" not in body

    @pytest.mark.parametrize(
        "value",
        ["another-store", "9" * 30, "-1", "0", "abc", "1.0", " 1", "\u0663"],
    )
    def test_another_stores_product_or_garbage_is_refused_with_a_message(
        self, owner_client, store, value
    ):
        SellableProductFactory(store=store)
        theirs = SellableProductFactory(name="Someone Else's Kit")
        OrderFactory(product=theirs, email="theirs@example.com")
        value = str(theirs.pk) if value == "another-store" else value

        page = owner_client.get(SALES_URL, {"product": value})
        export = owner_client.get(EXPORT_URL, {"product": value})

        assert page.status_code == 400
        assert "Select a valid choice." in page.content.decode()
        assert "theirs@example.com" not in page.content.decode()
        assert export.status_code == 400
        assert "theirs@example.com" not in export.content.decode()

    def test_the_csv_has_the_same_product(self, owner_client, store):
        notes = SellableProductFactory(store=store, name="Starter Notes")
        OrderFactory(product=notes, email="ann@example.com")
        OrderFactory(product=SellableProductFactory(store=store), email="bob@example.com")

        rows = rows_of(owner_client.get(EXPORT_URL, {"product": notes.pk}))

        assert [row[3] for row in rows[1:]] == ["ann@example.com"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [SALES_URL, EXPORT_URL])
@pytest.mark.parametrize("name", ["from", "to", "product"])
def test_a_nul_in_the_filter_is_a_bad_request(owner_client, store, url, name):
    OrderFactory(product=SellableProductFactory(store=store), email="ann@example.com")

    response = owner_client.get(url, {name: "1\x00"})

    assert response.status_code == 400
    assert "ann@example.com" not in response.content.decode()


@pytest.mark.django_db
class TestTheLinksKeepTheFilter:
    def test_the_csv_link_keeps_it(self, owner_client, store):
        product = SellableProductFactory(store=store)
        OrderFactory(product=product, paid_at=EDGES["first"])
        query = {"from": "2026-11-10", "to": "2026-11-20", "product": product.pk}

        body = owner_client.get(SALES_URL, query).content.decode()

        href = f"{EXPORT_URL}?from=2026-11-10&amp;to=2026-11-20&amp;product={product.pk}"
        assert f'href="{href}">Download CSV</a>' in body

    def test_without_a_filter_the_csv_link_is_plain(self, owner_client, store):
        OrderFactory(product=SellableProductFactory(store=store))

        body = owner_client.get(SALES_URL).content.decode()

        assert f'href="{EXPORT_URL}">Download CSV</a>' in body
        assert ">Clear</a>" not in body

    def test_the_pages_keep_it(self, owner_client, store):
        product = SellableProductFactory(store=store)
        for minute in range(30):
            OrderFactory(product=product, paid_at=EDGES["first"] + timedelta(minutes=minute))
        query = {"from": "2026-11-10", "product": product.pk}

        first = owner_client.get(SALES_URL, query).content.decode()
        second = owner_client.get(SALES_URL, {**query, "page": 2}).content.decode()

        keep = f"?from=2026-11-10&amp;product={product.pk}&amp;"
        assert f'href="{keep}page=2">Next</a>' in first
        assert f'href="{keep}page=1">Previous</a>' in second

    def test_a_filter_matching_nothing_says_so(self, owner_client, store):
        OrderFactory(product=SellableProductFactory(store=store), paid_at=EDGES["first"])

        body = owner_client.get(SALES_URL, {"from": "2026-12-01"}).content.decode()

        assert "No sales match this filter." in body
        assert f'href="{SALES_URL}">Clear</a>' in body
        assert 'data-total="paid-count">0</div>' in body
        assert 'data-total="revenue">$0.00</div>' in body


@pytest.mark.django_db
class TestTotalsAndRows:
    def test_totals_after_fees_and_refunds_add_up(self, owner_client, store):
        product = SellableProductFactory(store=store, price_cents=1200)
        big = SellableProductFactory(store=store, price_cents=2000)
        small = SellableProductFactory(store=store, price_cents=1000)
        # $12.00: fee $1.70, net $10.30.
        OrderFactory(product=product)
        # $20.00: fee $2.50, net $17.50; $5.00 of it refunded takes $4.38 of the net
        # (4.375 rounded up) and $0.62 of the fee.
        partly_refunded(big, 500)
        # $10.00 refunded whole: nothing left of it.
        OrderFactory(product=small, status=Order.Status.REFUNDED)
        OrderFactory(product=product, status=Order.Status.PENDING, paid_at=None)
        OrderFactory(product=SellableProductFactory(price_cents=9900))  # another store

        body = owner_client.get(SALES_URL).content.decode()

        # A partly refunded order is still a sale.
        assert 'data-total="paid-count">2</div>' in body
        assert 'data-total="revenue">$27.00</div>' in body
        assert 'data-total="fees">$3.58</div>' in body
        assert 'data-total="net">$23.42</div>' in body
        assert 'data-total="refunds">2 ($15.00)</div>' in body

    def test_disputed_sales_say_so_and_their_net_is_held_back_from_the_totals(
        self, owner_client, store
    ):
        product = SellableProductFactory(store=store, price_cents=1200)  # net $10.30
        OrderFactory(product=product)
        OrderFactory(product=product, dispute_status=Order.Dispute.OPEN)
        OrderFactory(product=product, dispute_status=Order.Dispute.LOST)
        OrderFactory(product=product, dispute_status=Order.Dispute.WON)

        body = owner_client.get(SALES_URL).content.decode()
        rows = rows_of(owner_client.get(EXPORT_URL))

        assert 'data-total="net">$20.60</div>' in body  # the won one and the calm one
        assert 'data-total="disputes">2 ($20.60)</div>' in body
        statuses = re.findall(r'<td class="d-none d-md-table-cell">([^<]*)</td>', body)
        assert sorted(s for s in statuses if not s[0].isdigit()) == sorted(
            ["Paid", "Disputed", "Dispute lost", "Paid"]
        )
        assert sorted(row[-3] for row in rows[1:]) == ["", "lost", "open", "won"]

    def test_a_partly_refunded_order_shows_its_refund_and_stays_paid(self, owner_client, store):
        order = partly_refunded(SellableProductFactory(store=store, price_cents=2000), 500)

        body = owner_client.get(SALES_URL).content.decode()

        cells = re.findall(r"<td[^>]*>([^<]*)</td>", body[body.index("<tbody>") :])
        assert cells[-6:] == ["$20.00", "$2.50", "$17.50", "$5.00", "Partly refunded", ""]
        assert order.status == Order.Status.PAID

    def test_the_csv_has_fee_net_and_refunded_in_dollars_with_two_decimals(
        self, owner_client, store
    ):
        partly_refunded(SellableProductFactory(store=store, price_cents=2000), 500)
        OrderFactory(product=SellableProductFactory(store=store, price_cents=0))
        OrderFactory(product=SellableProductFactory(store=store, price_cents=100_000_00))

        rows = rows_of(owner_client.get(EXPORT_URL))

        assert rows[0][-7:] == [
            "status",
            "fee",
            "net",
            "refunded",
            "dispute",
            "discount code",
            "discount",
        ]
        money = [(row[4], row[7], row[8], row[9]) for row in rows[1:]]
        assert money == [
            ("100000.00", "10000.50", "89999.50", "0.00"),
            ("0.00", "0.00", "0.00", "0.00"),
            ("20.00", "2.50", "17.50", "5.00"),
        ]

    def test_a_free_order_shows_no_fee(self, owner_client, store):
        OrderFactory(product=SellableProductFactory(store=store, price_cents=0))

        body = owner_client.get(SALES_URL).content.decode()

        cells = re.findall(r"<td[^>]*>([^<]*)</td>", body[body.index("<tbody>") :])
        # The last cells, the discount's and the Refund button's, are empty: no code, and
        # a free order has nothing to refund.
        assert cells[-7:] == ["Free", "$0.00", "$0.00", "$0.00", "Paid", "", ""]


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 30])
def test_a_filtered_page_takes_the_same_queries_for_any_number_of_sales(
    owner_client, store, django_assert_num_queries, rows
):
    product = SellableProductFactory(store=store)
    OrderFactory.create_batch(rows, product=product, paid_at=EDGES["first"])
    query = {"from": "2026-11-10", "to": "2026-11-20", "product": product.pk}

    # The session, the user, their store, its products for the filter, the totals, the
    # count of sales, one page of them.
    with django_assert_num_queries(7):
        page = owner_client.get(SALES_URL, query)
    # The session, the user, their store, its products for the filter, the sales.
    with django_assert_num_queries(5):
        export = rows_of(owner_client.get(EXPORT_URL, query))

    assert len(page.context["object_list"]) == min(rows, 25)
    assert len(export) == rows + 1


@pytest.mark.django_db
def test_a_refused_filter_takes_no_query_for_sales(owner_client, store, django_assert_num_queries):
    OrderFactory(product=SellableProductFactory(store=store))

    # The session, the user, their store, its products for the filter.
    with django_assert_num_queries(4):
        response = owner_client.get(SALES_URL, {"from": "2026-02-30"})

    assert response.status_code == 400
