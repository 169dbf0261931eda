"""What happens to a store's money, step by step, for the payouts tests: sales paid as
Stripe's webhook pays them (orders.services.order_mark_paid), and refunds and disputes
moved as the orders' signals contract says (orders/signals.py): the order's fields
changed, then the signal sent in the same transaction."""

import re
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse

from orders import services as order_services
from orders import signals
from orders.models import Order, refunded_net_of
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
    """A refund of `cents` more of `order`: its refunded totals rise, order_refunded."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        before = order.refunded_net_cents
        total = order.refunded_cents + cents
        Order.objects.filter(pk=order.pk).update(
            refunded_cents=total,
            refunded_net_cents=refunded_net_of(
                net_cents=order.net_cents, refunded_cents=total, amount_cents=order.amount_cents
            ),
            status=Order.Status.REFUNDED if total == order.amount_cents else order.status,
        )
        order.refresh_from_db()
        signals.order_refunded.send(Order, order=order, refunded_net_before=before)
    return order


def dispute(order):
    with transaction.atomic():
        Order.objects.filter(pk=order.pk).update(dispute_status=Order.Dispute.OPEN)
        order.refresh_from_db()
        signals.order_disputed.send(Order, order=order)
    return order


def dispute_close(order, *, won):
    with transaction.atomic():
        status = Order.Dispute.WON if won else Order.Dispute.LOST
        Order.objects.filter(pk=order.pk).update(dispute_status=status)
        order.refresh_from_db()
        signals.order_dispute_closed.send(Order, order=order, won=won)
    return order


def days_pass(days):
    """`days` go by: what was booked and paid happened that much earlier."""
    earlier = timedelta(days=days)
    LedgerEntry.objects.update(available_at=F("available_at") - earlier)
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
