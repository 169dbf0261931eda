"""Orders in the admin: listed, filtered and searched; what Stripe recorded is read-only."""

import pytest
from django.urls import reverse

from orders.models import License, Order, license_key_new
from tests.factories import OrderFactory, SellableProductFactory, StoreFactory, UserFactory

ORDERS_URL = reverse("admin:orders_order_changelist")


def change_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def listed(response):
    return sorted(order.pk for order in response.context["cl"].result_list)


@pytest.fixture
def orders(db):
    bread = StoreFactory(name="Bread Shop")
    knits = StoreFactory(name="Knit Shop")
    return {
        "paid": OrderFactory(
            product=SellableProductFactory(store=bread, price_cents=100),
            email="ann@example.com",
            stripe_session_id="cs_test_ann",
        ),
        # Newer, and costing more: a list sorted by amount differs from newest first.
        "refunded": OrderFactory(
            product=SellableProductFactory(store=bread, price_cents=900),
            email="bob@example.com",
            status=Order.Status.REFUNDED,
        ),
        "pending": OrderFactory(
            product=SellableProductFactory(store=knits),
            email="cat@example.com",
            status=Order.Status.PENDING,
            paid_at=None,
            stripe_session_id="cs_test_cat",
        ),
    }


@pytest.mark.django_db
class TestTheOrderList:
    def test_lists_every_order(self, admin_client, orders):
        response = admin_client.get(ORDERS_URL)

        assert response.status_code == 200
        assert listed(response) == sorted(order.pk for order in orders.values())
        body = response.content.decode()
        assert "ann@example.com" in body
        assert "Bread Shop" in body

    def test_shows_the_amount_under_its_header_and_sorts_by_it(self, admin_client, orders):
        orders["pending"].delete()

        # "display_amount" is the fifth column of list_display.
        response = admin_client.get(ORDERS_URL, {"o": "5"})

        body = response.content.decode()
        assert 'class="sortable column-display_amount sorted ascending"' in body
        assert '<a href="?o=-5">Amount</a>' in body
        assert body.index("$1.00") < body.index("$9.00")

    def test_filters_by_status(self, admin_client, orders):
        response = admin_client.get(ORDERS_URL, {"status__exact": "refunded"})

        assert listed(response) == [orders["refunded"].pk]

    def test_filters_by_store(self, admin_client, orders):
        knits = orders["pending"].store

        response = admin_client.get(ORDERS_URL, {"store__id__exact": knits.pk})

        assert listed(response) == [orders["pending"].pk]

    def test_searches_by_buyer_email(self, admin_client, orders):
        response = admin_client.get(ORDERS_URL, {"q": "bob@example"})

        assert listed(response) == [orders["refunded"].pk]

    def test_searches_by_checkout_session(self, admin_client, orders):
        response = admin_client.get(ORDERS_URL, {"q": "cs_test_cat"})

        assert listed(response) == [orders["pending"].pk]

    def test_an_order_whose_product_and_store_are_gone_still_lists(self, admin_client, orders):
        orders["paid"].store.delete()

        response = admin_client.get(ORDERS_URL)

        assert response.status_code == 200
        assert orders["paid"].pk in listed(response)

    def test_is_for_staff_only(self, client, orders):
        client.force_login(UserFactory())

        response = client.get(ORDERS_URL)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
class TestTheOrderPage:
    READ_ONLY = [
        "status",
        "product",
        "product_name",
        "amount_cents",
        "currency",
        "stripe_session_id",
        "payment_intent_id",
        "fee_cents",
        "net_cents",
        "refunded_cents",
        "refunded_net_cents",
        "dispute_status",
        "download_count",
    ]

    def test_shows_amounts_and_stripe_ids_but_not_as_inputs(self, admin_client, orders):
        order = orders["paid"]

        response = admin_client.get(change_url(order))

        assert response.status_code == 200
        body = response.content.decode()
        for field in self.READ_ONLY:
            assert f'name="{field}"' not in body
            assert f'<div class="form-row field-{field}">' in body
        assert "cs_test_ann" in body
        assert order.payment_intent_id in body
        assert f'<div class="readonly">{order.amount_cents}</div>' in body

    def test_posting_a_changed_amount_or_stripe_id_changes_nothing_of_them(
        self, admin_client, orders
    ):
        order = orders["paid"]

        response = admin_client.post(
            change_url(order),
            {
                "product": SellableProductFactory().pk,
                "store": order.store.pk,
                "buyer": "",
                "email": "ann.new@example.com",
                "amount_cents": "1",
                "currency": "eur",
                "stripe_session_id": "cs_test_forged",
                "payment_intent_id": "pi_forged",
                "fee_cents": "0",
                "net_cents": "1",
                "refunded_cents": "1",
                "refunded_net_cents": "1",
                "dispute_status": "lost",
                "download_count": "99",
            },
        )

        assert response.status_code == 302
        saved = Order.objects.get(pk=order.pk)
        assert saved.email == "ann.new@example.com"  # the form did save
        assert saved.product_id == order.product_id  # its key verifies under it
        assert (saved.amount_cents, saved.currency) == (order.amount_cents, "usd")
        assert saved.stripe_session_id == "cs_test_ann"
        assert saved.payment_intent_id == order.payment_intent_id
        assert saved.download_count == 0
        assert (saved.fee_cents, saved.net_cents) == (order.fee_cents, order.net_cents)
        assert (saved.refunded_cents, saved.refunded_net_cents) == (0, 0)
        assert saved.dispute_status == Order.Dispute.NONE

    def test_the_status_cannot_be_changed_here(self, admin_client, orders):
        # Marking an order paid here would skip paid_at, the receipt and the notice.
        order = orders["pending"]

        response = admin_client.post(
            change_url(order),
            {
                "product": order.product.pk,
                "store": order.store.pk,
                "buyer": "",
                "email": order.email,
                "status": "paid",
            },
        )

        assert response.status_code == 302
        assert 'name="status"' not in admin_client.get(change_url(order)).content.decode()
        assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING


def test_a_license_key_can_be_read_but_not_added_or_deleted(admin_client, orders):
    license = License.objects.create(order=orders["paid"], key=license_key_new())
    change = reverse("admin:orders_license_change", args=[license.pk])

    assert admin_client.get(change).status_code == 200
    assert admin_client.get(reverse("admin:orders_license_add")).status_code == 403
    delete = reverse("admin:orders_license_delete", args=[license.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert License.objects.filter(pk=license.pk).exists()
