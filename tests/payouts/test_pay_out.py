"""`manage.py pay_out`: each store whose account has payouts on gets its whole available
balance, at least PAYOUT_MINIMUM_CENTS, in one transfer recorded before it is sent. A
transfer Stripe refuses gives the money back; one whose answer never came is retried
with its same key, never replaced; two runs at once transfer once."""

import io
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

import pytest
import stripe
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from payouts import services
from payouts.models import LedgerEntry, Payout, PayoutAccount, PayoutRun
from payouts.tasks import payout_email_send
from tests.factories import StoreFactory
from tests.fakes import FlakyEmailBackend, InterruptedEmailBackend
from tests.payouts.steps import (
    assert_page_matches_ledger,
    days_pass,
    dispute,
    page_totals,
    refund,
    sale,
)
from tests.utils import race

Status = Payout.Status
TRANSFERS = "/v1/transfers"

BUSY = (
    "Another pay_out run is in progress, or one stopped less than 10 minutes ago; nothing done.\n"
)


def pay_out():
    """Run `manage.py pay_out`: (what it printed, whether it exited 0). What it leaves
    for after the commit (the email's task) runs, as outside a test's transaction."""
    out = io.StringIO()
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("pay_out", stdout=out)
    except CommandError as error:
        return out.getvalue() + str(error), False
    return out.getvalue(), True


def account_of(store, account_id="acct_fake1", connect_server=None, **flags):
    """`store`'s payouts account, set up (at the fake Stripe too, when given)."""
    flags = {"payouts_enabled": True, "charges_enabled": True, "details_submitted": True} | flags
    if connect_server is not None:
        connect_server.accounts[account_id] = {"id": account_id, "object": "account", **flags}
    return PayoutAccount.objects.create(store=store, stripe_account_id=account_id, **flags)


@pytest.fixture
def seller(store, connect_server, creator_client):
    """A store whose Stripe account has payouts on, with $17.50 + $8.50 available."""
    creator_client.post(reverse("payouts:connect"))
    connect_server.account_set("acct_fake1", payouts_enabled=True, details_submitted=True)
    creator_client.get(reverse("payouts:connect_return"))
    sale(store, 2000)
    sale(store, 1000)
    days_pass(7)
    return store


@pytest.mark.django_db
class TestPaying:
    def test_the_whole_available_balance_is_transferred_once_and_leaves_the_balance(
        self, seller, connect_server, creator_client
    ):
        assert page_totals(creator_client)["available"] == "$26.00"

        said, ok = pay_out()

        payout = Payout.objects.get()
        assert ok
        assert f"Paid $26.00 (payout {payout.pk}) to {seller.name}: sent" in said
        assert (payout.status, payout.amount_cents, payout.transfer_id) == (
            Status.SENT,
            2600,
            "tr_fake1",
        )
        [sent] = connect_server.sent(TRANSFERS)
        assert sent == {
            "amount": "2600",
            "currency": "usd",
            "destination": "acct_fake1",
            "transfer_group": f"payout_{payout.token}",
            "metadata[store_id]": str(seller.pk),
            "metadata[payout_id]": str(payout.pk),
        }
        assert connect_server.keys(TRANSFERS) == [f"yumroad-payout-{payout.token}"]
        assert len(payout.token) == 32
        totals = assert_page_matches_ledger(creator_client, seller)
        assert totals == {"pending": "$0.00", "available": "$0.00", "paid-out": "$26.00"}
        body = creator_client.get(reverse("payouts:index")).content.decode()
        assert "<td>Sent</td>" in body

        # Nothing left: the next run skips the store.
        said, ok = pay_out()
        assert ok
        assert f"Skipped {seller.name}: $0.00 available, under $10.00" in said
        assert len(connect_server.transfers) == 1

    def test_pending_money_is_not_paid_out(self, store, connect_server, creator_client):
        account_of(store, connect_server=connect_server)
        sale(store, 5000)

        said, ok = pay_out()

        assert ok
        assert "Skipped" in said
        assert not Payout.objects.exists()
        days_pass(7)
        pay_out()
        assert Payout.objects.get().amount_cents == 4450

    def test_a_balance_under_the_minimum_waits(self, store, connect_server, settings):
        account_of(store, connect_server=connect_server)
        sale(store, 1000)  # net $8.50
        days_pass(7)

        said, ok = pay_out()

        assert ok
        assert f"Skipped {store.name}: $8.50 available, under $10.00" in said
        settings.PAYOUT_MINIMUM_CENTS = 850
        pay_out()
        assert Payout.objects.get().amount_cents == 850

    def test_a_store_whose_payouts_are_off_is_skipped(self, store, connect_server):
        account_of(store, connect_server=connect_server, payouts_enabled=False)
        sale(store, 5000)
        days_pass(7)

        said, ok = pay_out()

        assert ok
        assert f"Skipped {store.name}: payouts are not on" in said
        assert connect_server.transfers == []

    def test_refunded_and_disputed_money_is_never_paid_out(
        self, store, connect_server, creator_client
    ):
        account_of(store, connect_server=connect_server)
        kept, refunded, disputed = sale(store, 2000), sale(store, 2000), sale(store, 2000)
        refund(refunded, 2000)
        dispute(disputed)
        days_pass(7)

        pay_out()

        assert Payout.objects.get().amount_cents == kept.net_cents
        assert assert_page_matches_ledger(creator_client, store)["available"] == "$0.00"

    def test_the_seller_is_emailed_once_with_the_sales_paid(self, seller, mailoutbox):
        mail.outbox.clear()

        pay_out()
        payout = Payout.objects.get()
        # The task run again (the queue delivers at least once): no second email.
        payout_email_send.call(payout.pk)

        [email] = mail.outbox
        assert email.subject == "You've been paid $26.00"
        assert email.to == [seller.owner.email]
        assert "$20.00, yours $17.50" in email.body
        assert "$10.00, yours $8.50" in email.body

    def test_without_a_stripe_key_in_debug_transfers_are_recorded_as_sent(self, store, settings):
        settings.DEBUG = True
        settings.STRIPE_SECRET_KEY = ""
        account_of(store, account_id=f"acct_test_{store.pk}")
        sale(store, 2000)
        days_pass(7)

        said, ok = pay_out()

        payout = Payout.objects.get()
        assert ok
        assert "Paid $17.50" in said
        assert (payout.status, payout.transfer_id) == (Status.SENT, f"tr_test_{payout.pk}")


@pytest.mark.django_db
class TestFailures:
    def test_a_refused_transfer_fails_and_its_money_goes_back(
        self, seller, connect_server, creator_client, mailoutbox
    ):
        mail.outbox.clear()
        connect_server.transfer_troubles = ["refuse"]

        said, ok = pay_out()

        payout = Payout.objects.get()
        assert not ok
        assert f"Failed $26.00 (payout {payout.pk}) to {seller.name}: Stripe refused it" in said
        assert "1 transfer(s) failed or got no answer." in said
        assert payout.status == Status.FAILED
        assert "insufficient available funds" in payout.failure_message
        totals = assert_page_matches_ledger(creator_client, seller)
        assert (totals["available"], totals["paid-out"]) == ("$26.00", "$0.00")
        assert "<td>Failed" in creator_client.get(reverse("payouts:index")).content.decode()
        assert mail.outbox == []

        # The next run makes a new payout, with a new key.
        said, ok = pay_out()

        assert ok
        failed, sent = Payout.objects.order_by("pk")
        assert (failed.status, sent.status, sent.amount_cents) == (Status.FAILED, Status.SENT, 2600)
        assert connect_server.keys(TRANSFERS) == [
            failed.idempotency_key,
            sent.idempotency_key,
        ]
        assert len(connect_server.transfers) == 1
        assert assert_page_matches_ledger(creator_client, seller)["paid-out"] == "$26.00"

    @pytest.mark.parametrize("trouble", ["late", "fail"])
    def test_a_transfer_without_an_answer_stays_pending_and_is_retried_with_its_key(
        self, seller, connect_server, creator_client, trouble
    ):
        # The client tries twice (max_network_retries): neither answer comes.
        connect_server.transfer_troubles = [trouble, trouble]

        said, ok = pay_out()

        payout = Payout.objects.get()
        assert not ok
        assert "no answer from Stripe; retried with the same key" in said
        assert payout.status == Status.PENDING
        totals = assert_page_matches_ledger(creator_client, seller)
        assert (totals["available"], totals["paid-out"]) == ("$0.00", "$0.00")
        assert "<td>Pending</td>" in creator_client.get(reverse("payouts:index")).content.decode()

        said, ok = pay_out()

        assert ok
        assert "retried and sent" in said
        assert list(Payout.objects.values_list("pk", "status")) == [(payout.pk, Status.SENT)]
        assert set(connect_server.keys(TRANSFERS)) == {payout.idempotency_key}
        assert len(connect_server.transfers) == 1
        assert assert_page_matches_ledger(creator_client, seller)["paid-out"] == "$26.00"

    def test_a_retry_that_cannot_ask_stripe_for_the_transfer_stays_pending(
        self, seller, connect_server
    ):
        connect_server.transfer_troubles = ["fail", "fail"]
        pay_out()
        connect_server.listing_fails = True

        said, ok = pay_out()

        assert not ok
        assert "no answer from Stripe" in said
        assert Payout.objects.get().status == Status.PENDING
        assert len(connect_server.keys(TRANSFERS)) == 2  # the first run's two tries only

    def test_a_run_killed_after_recording_its_payout_is_finished_by_the_next(
        self, seller, connect_server
    ):
        # What a run killed between recording the payout and sending it leaves.
        account = PayoutAccount.objects.get()
        with pytest.raises(KeyboardInterrupt), _killed_at_transfer():
            services.store_pay_out(account=account)
        payout = Payout.objects.get(status=Status.PENDING)

        _said, ok = pay_out()

        assert ok
        payout.refresh_from_db()
        assert payout.status == Status.SENT
        assert connect_server.keys(TRANSFERS) == [payout.idempotency_key]

    def test_a_retry_after_stripe_forgot_the_key_finds_the_transfer_made(
        self, seller, connect_server
    ):
        connect_server.transfer_troubles = ["late", "late"]
        pay_out()
        connect_server.forget_keys()  # a day later

        _said, ok = pay_out()

        assert ok
        payout = Payout.objects.get()
        assert (payout.status, payout.transfer_id) == (Status.SENT, "tr_fake1")
        assert len(connect_server.transfers) == 1

    @pytest.mark.parametrize(
        "made_for",
        [
            {"amount": 100},
            {"destination": "acct_other"},
            {"metadata": {"store_id": "1", "payout_id": "999999"}},
        ],
    )
    def test_a_retry_that_finds_another_transfer_in_its_group_leaves_the_payout_pending(
        self, seller, connect_server, made_for, caplog
    ):
        connect_server.transfer_troubles = ["late", "late"]
        pay_out()
        connect_server.forget_keys()  # a day later, and the transfer is not this payout's
        connect_server.transfers[0].update(made_for)

        said, ok = pay_out()

        assert not ok
        assert "Stripe's transfer tr_fake1 of its group is not this payout's; left pending" in said
        payout = Payout.objects.get()
        assert (payout.status, payout.transfer_id) == (Status.PENDING, "")
        assert len(connect_server.transfers) == 1
        assert "left pending" in caplog.text

    def test_two_payouts_with_one_id_in_two_databases_never_share_a_key(self, seller):
        first = Payout(pk=1, store=seller, amount_cents=1000, currency="usd")
        again = Payout(pk=1, store=seller, amount_cents=1000, currency="usd")

        assert first.idempotency_key != again.idempotency_key
        assert first.transfer_group != again.transfer_group


@contextmanager
def _killed_at_transfer():
    """The run dies as it would send the transfer (Stripe's SDK is where it stops)."""
    create = stripe.StripeClient.__init__

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    stripe.StripeClient.__init__ = killed
    try:
        yield
    finally:
        stripe.StripeClient.__init__ = create


@pytest.mark.django_db
class TestRuns:
    def test_a_run_while_another_holds_the_lease_does_nothing_and_exits_0(
        self, seller, connect_server
    ):
        PayoutRun.objects.create(
            name="pay_out", holder="another", leased_until=timezone.now() + timedelta(minutes=5)
        )

        said, ok = pay_out()

        assert ok
        assert said == BUSY
        assert not Payout.objects.exists()

    def test_a_lease_left_by_a_killed_run_expires(self, seller, connect_server):
        PayoutRun.objects.create(
            name="pay_out", holder="dead", leased_until=timezone.now() - timedelta(seconds=1)
        )

        said, ok = pay_out()

        assert ok
        assert "Paid $26.00" in said


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_transfer_once(connect_server, settings):
    stores = [StoreFactory() for _ in range(3)]
    for number, store in enumerate(stores, start=1):
        account_of(store, account_id=f"acct_fake{number}", connect_server=connect_server)
        sale(store, 2000)
    days_pass(7)

    results = race(pay_out, pay_out)

    assert all(ok for _, ok in results)
    said = [text for text, _ in results]
    assert BUSY in said or any(
        # One run finished before the other started: the second finds nothing to pay.
        text.count("Skipped") == 3
        for text in said
    )
    assert Payout.objects.filter(status=Status.SENT).count() == 3
    assert len(connect_server.transfers) == 3
    assert sum(LedgerEntry.objects.values_list("amount_cents", flat=True)) == 0


@pytest.mark.django_db(transaction=True)
def test_two_runs_paying_one_store_at_once_without_the_lease_transfer_once(connect_server):
    # As if a run's lease ran out while it was still at work: the store's lock decides.
    store = StoreFactory()
    account = account_of(store, connect_server=connect_server)
    sale(store, 5000)
    days_pass(7)
    pay = partial(services.store_pay_out, account=account)

    outcomes = [outcome for outcome, _, _ in race(pay, pay)]

    # The second found the first's payout and sent it again with its key, or, when the
    # first had finished, nothing left to pay.
    assert services.Outcome.PAID in outcomes
    assert set(outcomes) <= {services.Outcome.PAID, services.Outcome.SKIPPED}
    payout = Payout.objects.get()
    assert (payout.status, payout.amount_cents) == (Status.SENT, 4450)
    assert set(connect_server.keys(TRANSFERS)) == {payout.idempotency_key}
    assert len(connect_server.transfers) == 1


@pytest.mark.django_db
class TestTheEmail:
    def test_is_delivered_once_after_the_mail_server_failed_twice(
        self, seller, settings, mailoutbox
    ):
        settings.EMAIL_BACKEND = "tests.fakes.FlakyEmailBackend"
        FlakyEmailBackend.reset(failures=2)
        mail.outbox.clear()

        _, ok = pay_out()

        assert ok
        assert FlakyEmailBackend.attempts == 3
        assert [email.subject for email in mail.outbox] == ["You've been paid $26.00"]
        assert Payout.objects.get().emailed_at is not None
        FlakyEmailBackend.reset(failures=0)

    def test_a_run_of_the_task_while_another_sends_it_sends_nothing(
        self, seller, settings, mailoutbox
    ):
        settings.EMAIL_BACKEND = "tests.fakes.InterruptedEmailBackend"
        mail.outbox.clear()
        InterruptedEmailBackend.meanwhile = lambda: payout_email_send.call(Payout.objects.get().pk)

        pay_out()

        assert [email.subject for email in mail.outbox] == ["You've been paid $26.00"]

    def test_lists_the_sales_since_the_last_payout(self, seller, store, mailoutbox):
        pay_out()
        mail.outbox.clear()
        sale(store, 1500)  # net $13.00
        days_pass(7)

        pay_out()

        [email] = mail.outbox
        assert email.subject == "You've been paid $13.00"
        assert "$15.00, yours $13.00" in email.body
        assert "$20.00" not in email.body
        assert "$15.00" in email.alternatives[0][0]

    def test_a_failed_payout_gets_none(self, seller, connect_server, mailoutbox):
        connect_server.transfer_troubles = ["refuse"]
        mail.outbox.clear()
        pay_out()

        payout_email_send.call(Payout.objects.get().pk)

        assert mail.outbox == []
