"""Sales through the API: the sales page's orders, newest first, ten a page behind a
stable cursor, filtered by days, product and email."""

from datetime import UTC, datetime, timedelta

import pytest

from orders.licenses import license_issue
from orders.models import Order
from tests.factories import OrderFactory, SellableProductFactory


@pytest.fixture
def product(seller):
    return SellableProductFactory(store=seller.store, generates_license_keys=True)


def sale(product, **fields):
    return OrderFactory(product=product, store=product.store, **fields)


def test_sales_are_newest_first_with_discount_and_license(api, product):
    older = sale(product, paid_at=datetime(2026, 1, 1, tzinfo=UTC))
    newer = sale(
        product,
        paid_at=datetime(2026, 1, 2, tzinfo=UTC),
        discount_code_name="LAUNCH",
        discount_cents=100,
        amount_cents=400,
    )
    license = license_issue(order=newer)
    sale(product, status=Order.Status.PENDING, paid_at=None)  # no sale

    response = api.get("/api/v2/sales")

    sales = response.json()["sales"]
    assert [s["id"] for s in sales] == [newer.pk, older.pk]
    assert sales[0]["discount_code"] == "LAUNCH"
    assert sales[0]["discount_cents"] == 100
    assert sales[0]["price"] == 400
    assert sales[0]["license_key"] == license.key
    assert response.json()["next_page_key"] is None


def test_one_sale_and_another_stores_is_a_404(api, product):
    mine, theirs = sale(product), OrderFactory()
    assert api.get(f"/api/v2/sales/{mine.pk}").json()["sale"]["id"] == mine.pk
    assert api.get(f"/api/v2/sales/{theirs.pk}").status_code == 404


def test_another_stores_sales_are_not_listed(api):
    OrderFactory()
    assert api.get("/api/v2/sales").json()["sales"] == []


def test_pages_of_ten_do_not_repeat_or_skip_when_sales_arrive_between_them(api, product):
    start = datetime(2026, 3, 1, tzinfo=UTC)
    made = [sale(product, paid_at=start + timedelta(minutes=n)) for n in range(25)]
    # Two sales paid in the same microsecond: the id breaks the tie.
    made += [sale(product, paid_at=start), sale(product, paid_at=start)]
    expected = [o.pk for o in sorted(made, key=lambda o: (o.paid_at, o.pk), reverse=True)]

    seen, key = [], None
    while True:
        page = api.get("/api/v2/sales", {"page_key": key} if key else {}).json()
        seen += [s["id"] for s in page["sales"]]
        assert len(page["sales"]) <= 10
        # New sales arrive between pages.
        sale(product)
        key = page["next_page_key"]
        if key is None:
            break

    assert seen == expected


def test_a_tampered_page_key_is_a_400(api, product):
    for _ in range(11):
        sale(product)
    key = api.get("/api/v2/sales").json()["next_page_key"]

    response = api.get("/api/v2/sales", {"page_key": key[:-2] + "xx"})

    assert response.status_code == 400
    assert response.json()["message"].startswith("page_key:")


def test_filters_by_days_product_and_email(api, product, seller):
    other = SellableProductFactory(store=seller.store)
    inside = sale(product, paid_at=datetime(2026, 2, 10, 23, 59, tzinfo=UTC), email="a@x.com")
    sale(product, paid_at=datetime(2026, 2, 11, 0, 0, tzinfo=UTC), email="a@x.com")
    sale(other, paid_at=datetime(2026, 2, 10, tzinfo=UTC), email="a@x.com")
    sale(product, paid_at=datetime(2026, 2, 10, tzinfo=UTC), email="b@x.com")

    response = api.get(
        "/api/v2/sales",
        {
            "after": "2026-02-10",
            "before": "2026-02-10",
            "product_id": product.pk,
            "email": "A@x.com",
        },
    )

    assert [s["id"] for s in response.json()["sales"]] == [inside.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"after": "2026-13-01"}, "after"),
        ({"before": "yesterday"}, "before"),
        ({"after": "2026-02-02", "before": "2026-02-01"}, "after"),
        ({"product_id": "abc"}, "product_id"),
        ({"product_id": str(2**80)}, "product_id"),
        ({"email": "x" * 300}, "email"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(api, query, field):
    response = api.get("/api/v2/sales", query)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")
    assert "From" not in response.json()["message"]  # the site's form's words


def test_another_stores_product_is_no_filter(api):
    theirs = SellableProductFactory()
    response = api.get("/api/v2/sales", {"product_id": theirs.pk})
    assert response.status_code == 400
    assert response.json()["message"].startswith("product_id:")
