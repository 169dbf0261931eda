"""What happens to a store's money, step by step, for the payouts tests: sales, refunds
and disputes moved by the services Stripe's webhook calls (orders.services), which
announce them to the ledger (orders/signals.py)."""

import re
from datetime import timedelta

from django.db.models import F, Sum
from django.urls import reverse

from orders import services as order_services
from orders.models import Order
from payouts.models import LedgerEntry
from tests.factories import OrderFactory, SellableProductFactory

PAYOUTS_URL = reverse("payouts:index")
TOTAL = re.compile(r'data-total="([a-z-]+)">([^<]*)<')


def sale(store, cents):
    """A paid order of `cents` in `store`, paid through order_mark_paid (the webhook's
    and the test checkout's path): its fee and net fixed, order_paid sent."""
    product = SellableProductFactory(store=store, price_cents=cents)
    order = OrderFactory(
        product=product, status=Order.Status.PENDING, paid_at=None, payment_intent_id=""
    )
    order_services.order_mark_paid(
        session_id=order.stripe_session_id, payment_intent=f"pi_test_{order.pk}"
    )
    order.refresh_from_db()
    return order


def refund(order, cents):
    """A refund of `cents` more of `order`, booked as Stripe's refunds are
    (order_refund_record): nothing when its dispute is open or lost."""
    order.refresh_from_db()
    order_services.order_refund_record(
        order_id=order.pk, refunded_cents=order.refunded_cents + cents
    )
    order.refresh_from_db()
    return order


def dispute(order):
    """The buyer disputes `order`'s payment (charge.dispute.created), a new dispute each
    time: an order may be disputed again after winning one."""
    order.refresh_from_db()
    dispute_id = f"dp_test_{order.pk}_{LedgerEntry.objects.filter(order=order).count()}"
    if order_services.order_dispute_open(
        payment_intent=order.payment_intent_id, dispute_id=dispute_id
    ):
        _disputes[order.pk] = dispute_id
    order.refresh_from_db()
    return order


def dispute_close(order, *, won):
    """The bank decides `order`'s open dispute (charge.dispute.closed)."""
    order_services.order_dispute_close(
        payment_intent=order.payment_intent_id, won=won, dispute_id=_disputes[order.pk]
    )
    order.refresh_from_db()
    return order


# The open dispute of each order, by the order's id.
_disputes = {}


def days_pass(days):
    """`days` go by: what was booked and paid happened that much earlier."""
    earlier = timedelta(days=days)
    LedgerEntry.objects.exclude(earned_at=None).update(earned_at=F("earned_at") - earlier)
    Order.objects.exclude(paid_at=None).update(paid_at=F("paid_at") - earlier)


def ledger_sum(store):
    return LedgerEntry.objects.filter(store=store).aggregate(sum=Sum("amount_cents", default=0))[
        "sum"
    ]


def page_totals(client):
    """The totals /payouts/ shows, by name: pending, available, paid-out."""
    response = client.get(PAYOUTS_URL)
    assert response.status_code == 200
    return dict(TOTAL.findall(response.content.decode()))


def cents(shown):
    """ "-$4.00" as -400."""
    sign = -1 if shown.startswith("-") else 1
    return sign * int(shown.lstrip("-$").replace(",", "").replace(".", ""))


def assert_page_matches_ledger(client, store):
    """The ledger's sum is the balance /payouts/ shows: pending plus available."""
    totals = page_totals(client)
    assert cents(totals["pending"]) + cents(totals["available"]) == ledger_sum(store)
    return totals
