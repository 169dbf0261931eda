"""Property test: random sequences of sales, refunds, disputes, days passing and
payouts (some refused, some unanswered) never pay out money that was refunded or
disputed, and keep sent payouts + payouts in flight + the balance = net sales -
refunded net - the net of open and lost disputes. /payouts/ shows the ledger's sum."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from orders.models import Order
from payouts import services
from payouts.models import Payout, PayoutAccount
from tests.factories import StoreFactory
from tests.payouts.steps import (
    assert_page_matches_ledger,
    days_pass,
    dispute,
    dispute_close,
    ledger_sum,
    refund,
    sale,
)

Status = Payout.Status
Dispute = Order.Dispute
steps = st.lists(
    st.sampled_from(["sale", "sale", "refund", "dispute", "close", "days", "pay_out"]),
    min_size=1,
    max_size=14,
)


def held(order):
    """What of `order`'s net the seller keeps now, by the orders' own figures."""
    if order.dispute_status in (Dispute.OPEN, Dispute.LOST):
        return 0
    return order.net_cents - order.refunded_net_cents


def available_by_the_orders(store):
    """The net the seller has earned and may be paid: sales past the hold, less their
    refunds and open or lost disputes, computed from the orders, not the ledger."""
    hold_ends = timezone.now() - timedelta(days=settings.PAYOUT_HOLD_DAYS)
    return sum(held(order) for order in Order.objects.filter(store=store, paid_at__lte=hold_ends))


def paid(store):
    """Sent payouts and payouts in flight: money that left the balance."""
    payouts = Payout.objects.filter(store=store, status__in=[Status.SENT, Status.PENDING])
    return payouts.aggregate(total=Sum("amount_cents", default=0))["total"]


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps, data=st.data())
def test_the_balance_never_pays_out_refunded_or_disputed_money(client, connect_server, plan, data):
    store = StoreFactory()
    account_id = f"acct_fake_{store.pk}"
    connect_server.accounts[account_id] = {"id": account_id}
    account = PayoutAccount.objects.create(
        store=store, stripe_account_id=account_id, payouts_enabled=True
    )
    client.force_login(store.owner)
    orders = []
    for step in plan:
        if step == "sale":
            orders.append(sale(store, data.draw(st.integers(50, 20_000), label="price")))
        elif step == "refund":
            # Stripe refuses refunds of a payment whose dispute is open or lost.
            open_orders = [
                o
                for o in orders
                if o.refunded_cents < o.amount_cents
                and o.dispute_status in (Dispute.NONE, Dispute.WON)
            ]
            if open_orders:
                order = data.draw(st.sampled_from(open_orders), label="refunded")
                cents = data.draw(st.integers(1, order.amount_cents - order.refunded_cents))
                orders[orders.index(order)] = refund(order, cents)
        elif step == "dispute":
            # A dispute won may be followed by another one.
            calm = [o for o in orders if o.dispute_status in (Dispute.NONE, Dispute.WON)]
            if calm:
                order = data.draw(st.sampled_from(calm), label="disputed")
                orders[orders.index(order)] = dispute(order)
        elif step == "close":
            disputed = [o for o in orders if o.dispute_status == Dispute.OPEN]
            if disputed:
                order = data.draw(st.sampled_from(disputed), label="closed")
                won = data.draw(st.booleans(), label="won")
                orders[orders.index(order)] = dispute_close(order, won=won)
        elif step == "days":
            days_pass(data.draw(st.integers(1, 10), label="days"))
        else:
            connect_server.transfer_troubles = data.draw(
                st.sampled_from([[], ["refuse"], ["fail", "fail"]]), label="stripe"
            )
            before = paid(store)
            may_pay = available_by_the_orders(store) - before
            services.store_pay_out(account=account)
            connect_server.transfer_troubles = []
            # A new payout takes no more than the money earned, kept and not paid yet.
            assert paid(store) - before <= max(may_pay, 0)

        net_kept = sum(held(order) for order in Order.objects.filter(store=store))
        assert paid(store) + ledger_sum(store) == net_kept
        assert_page_matches_ledger(client, store)
