"""The balance is a ledger booked from what orders announce: a sale's net, pending for
PAYOUT_HOLD_DAYS, then available; refunds' cumulative share of it and disputes debited
on the sale's date; each entry once, whatever replays. /payouts/ shows the ledger's sum
after every step."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from orders import signals
from orders.models import EarlyRefund, Order
from orders.services import order_mark_paid
from payouts.models import LedgerEntry, Payout
from tests.factories import OrderFactory, SellableProductFactory
from tests.orders.fake_stripe import completed_session, stripe_event, stripe_signature
from tests.payouts.steps import (
    assert_page_matches_ledger,
    days_pass,
    dispute,
    dispute_close,
    page_totals,
    refund,
    sale,
)

Kind = LedgerEntry.Kind


def entries(store):
    return sorted(
        LedgerEntry.objects.filter(store=store).values_list("kind", "amount_cents", "key")
    )


@pytest.mark.django_db
class TestSales:
    def test_a_sale_paid_by_the_webhook_books_its_net_once_however_often_it_comes(
        self, client, stripe_server, store
    ):
        product = SellableProductFactory(store=store, price_cents=2000)
        order = OrderFactory(product=product, status=Order.Status.PENDING, paid_at=None)
        payload = stripe_event("checkout.session.completed", completed_session(order), "evt_1")
        replay = stripe_event("checkout.session.completed", completed_session(order), "evt_2")

        for body in (payload, payload, replay):
            response = client.post(
                reverse("orders:stripe_webhook"),
                body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=stripe_signature(body),
            )
            assert response.status_code == 200

        # $20.00 less the fee: 10% ($2.00) and $0.50.
        assert entries(store) == [(Kind.SALE, 1750, "")]
        client.force_login(store.owner)
        totals = assert_page_matches_ledger(client, store)
        assert totals == {"pending": "$17.50", "available": "$0.00", "paid-out": "$0.00"}

    def test_a_sale_is_pending_for_the_hold_then_available(self, creator_client, store):
        order = sale(store, 1000)
        entry = LedgerEntry.objects.get()
        assert entry.earned_at == order.paid_at
        body = creator_client.get(reverse("payouts:index")).content.decode()
        available_on = order.paid_at + timedelta(days=7)
        assert f"Pending money next becomes available on {available_on:%B %-d, %Y}." in body

        days_pass(6)
        assert page_totals(creator_client)["pending"] == "$8.50"
        days_pass(1)

        totals = assert_page_matches_ledger(creator_client, store)
        assert (totals["pending"], totals["available"]) == ("$0.00", "$8.50")
        assert (
            "No money is pending." in creator_client.get(reverse("payouts:index")).content.decode()
        )

    def test_the_next_date_skips_sales_their_refunds_cancelled(self, creator_client, store):
        first = sale(store, 1000)
        days_pass(2)
        second = sale(store, 2000)
        first.refresh_from_db()
        refund(first, 1000)  # all of the first sale's net is taken back

        body = creator_client.get(reverse("payouts:index")).content.decode()
        available_on = second.paid_at + timedelta(days=7)
        assert f"Pending money next becomes available on {available_on:%B %-d, %Y}." in body

    def test_no_next_date_is_named_when_nothing_is_pending(self, creator_client, store):
        order = sale(store, 1000)
        refund(order, 1000)

        body = creator_client.get(reverse("payouts:index")).content.decode()
        assert page_totals(creator_client)["pending"] == "$0.00"
        assert "next becomes available" not in body
        assert "No money is pending." in body

    def test_with_no_hold_a_sale_is_available_at_once(self, creator_client, store, settings):
        settings.PAYOUT_HOLD_DAYS = 0
        sale(store, 1000)

        assert page_totals(creator_client)["available"] == "$8.50"

    def test_the_hold_follows_the_setting_as_it_is_now_not_as_it_was_at_the_sale(
        self, creator_client, store, settings
    ):
        sale(store, 1000)  # net $8.50, paid now with a hold of 7 days
        days_pass(3)
        assert page_totals(creator_client)["pending"] == "$8.50"

        settings.PAYOUT_HOLD_DAYS = 2
        assert page_totals(creator_client) == {
            "pending": "$0.00",
            "available": "$8.50",
            "paid-out": "$0.00",
        }
        settings.PAYOUT_HOLD_DAYS = 14
        assert page_totals(creator_client)["pending"] == "$8.50"

    def test_a_free_order_books_nothing(self, store):
        product = SellableProductFactory(store=store, price_cents=0)
        order = OrderFactory(product=product, status=Order.Status.PENDING, paid_at=None)
        assert order_mark_paid(session_id=order.stripe_session_id)
        assert not LedgerEntry.objects.exists()

    def test_a_full_refund_that_came_before_the_payment_books_the_sale_and_its_refund(self, store):

        product = SellableProductFactory(store=store, price_cents=1000)
        order = OrderFactory(product=product, status=Order.Status.PENDING, paid_at=None)
        EarlyRefund.objects.create(payment_intent_id="pi_early")

        order_mark_paid(session_id=order.stripe_session_id, payment_intent="pi_early")

        assert entries(store) == [(Kind.REFUND, -850, "1000"), (Kind.SALE, 850, "")]


@pytest.mark.django_db
class TestRefundsAndDisputes:
    def test_refunds_book_the_cumulative_share_of_the_net_each_once(self, creator_client, store):
        order = sale(store, 1000)  # net $8.50
        order = refund(order, 333)
        order = refund(order, 333)
        # Each total refunded books once: the same signal again changes nothing.
        signals.order_refunded.send(Order, order=order, refunded_net_before=283)
        order = refund(order, 334)

        # 850 x 333 / 1000 = 283.05 -> 283; x 666 -> 566.1 -> 566; all of it: 850.
        assert entries(store) == [
            (Kind.REFUND, -284, "1000"),
            (Kind.REFUND, -283, "333"),
            (Kind.REFUND, -283, "666"),
            (Kind.SALE, 850, ""),
        ]
        assert order.status == Order.Status.REFUNDED
        totals = assert_page_matches_ledger(creator_client, store)
        assert totals["pending"] == "$0.00"

    def test_refunding_an_available_sale_lowers_available_and_a_pending_one_pending(
        self, creator_client, store
    ):
        old = sale(store, 2000)  # net $17.50
        days_pass(8)
        new = sale(store, 1000)  # net $8.50

        refund(old, 1000)  # half: $8.75 of the net
        refund(new, 1000)  # all of it

        totals = assert_page_matches_ledger(creator_client, store)
        assert (totals["available"], totals["pending"]) == ("$8.75", "$0.00")

    def test_a_dispute_debits_the_net_still_held_and_a_win_gives_it_back(
        self, creator_client, store
    ):
        order = refund(sale(store, 2000), 500)  # 1750 x 500 / 2000 = 437.5 -> 438
        days_pass(7)

        dispute(order)
        dispute(order)  # told twice: booked once
        assert page_totals(creator_client)["available"] == "$0.00"
        dispute_close(order, won=True)
        dispute_close(order, won=True)

        (disputed, taken, key), (won, given, won_key), *rest = entries(store)
        assert (disputed, taken, won, given) == (Kind.DISPUTE, -1312, Kind.DISPUTE_WON, 1312)
        assert key == won_key != ""  # keyed by the dispute
        assert rest == [(Kind.REFUND, -438, "500"), (Kind.SALE, 1750, "")]
        assert assert_page_matches_ledger(creator_client, store)["available"] == "$13.12"

    def test_a_lost_dispute_keeps_the_debit(self, creator_client, store):
        order = dispute(sale(store, 1000))
        dispute_close(order, won=False)

        assert [entry[:2] for entry in entries(store)] == [(Kind.DISPUTE, -850), (Kind.SALE, 850)]
        assert assert_page_matches_ledger(creator_client, store)["pending"] == "$0.00"

    def test_a_second_dispute_after_a_won_one_is_debited_again(self, creator_client, store):
        order = dispute(sale(store, 1000))  # net $8.50
        dispute_close(order, won=True)
        dispute_close(dispute(order), won=False)

        assert sorted(entry[:2] for entry in entries(store)) == sorted(
            [(Kind.SALE, 850), (Kind.DISPUTE, -850), (Kind.DISPUTE_WON, 850), (Kind.DISPUTE, -850)]
        )
        assert assert_page_matches_ledger(creator_client, store)["pending"] == "$0.00"

    def test_a_dispute_after_the_money_was_paid_out_shows_a_negative_balance(
        self, creator_client, store
    ):
        order = sale(store, 500)  # net $4.00
        days_pass(7)
        # The money left in a payout (as pay_out books it), then the buyer's bank took it.
        payout = Payout.objects.create(store=store, amount_cents=400, currency="usd")
        LedgerEntry.objects.create(
            store=store,
            kind=Kind.PAYOUT,
            amount_cents=-400,
            payout=payout,
        )
        body = creator_client.get(reverse("payouts:index")).content.decode()
        assert "come out of your next payouts" not in body
        dispute(order)

        totals = assert_page_matches_ledger(creator_client, store)
        assert totals["available"] == "-$4.00"
        body = creator_client.get(reverse("payouts:index")).content.decode()
        assert (
            "Refunds and disputes of money already paid out come out of your next payouts." in body
        )


@pytest.mark.django_db
def test_the_migration_books_the_orders_paid_before_the_ledger(store):
    paid = OrderFactory(product=SellableProductFactory(store=store, price_cents=1000))
    refunded = OrderFactory(product=SellableProductFactory(store=store, price_cents=2000))
    Order.objects.filter(pk=paid.pk).update(fee_cents=150, net_cents=850)
    Order.objects.filter(pk=refunded.pk).update(
        status=Order.Status.REFUNDED,
        fee_cents=250,
        net_cents=1750,
        refunded_cents=2000,
        refunded_net_cents=1750,
    )
    migration = importlib.import_module("payouts.migrations.0002_past_sales")

    migration.book_past_sales(apps, connection.schema_editor())
    migration.book_past_sales(apps, connection.schema_editor())  # run again: nothing more

    assert entries(store) == [
        (Kind.REFUND, -1750, "2000"),
        (Kind.SALE, 850, ""),
        (Kind.SALE, 1750, ""),
    ]
    sale_entry = LedgerEntry.objects.get(order=paid)
    assert sale_entry.earned_at == paid.paid_at
