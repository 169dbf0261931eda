"""A store's money: the ledger that orders' signals book (payouts.receivers), its
payout account at Stripe Connect, and paying out its available balance.

Every entry is inserted under a unique key (LedgerEntry's constraints), so a replayed
event, a retry or two runs at once book nothing twice. A payout is recorded with its
ledger entry before its transfer is sent, and marked sent or failed after.
"""

import enum
import logging
import uuid
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.payments import stripe_permit
from orders.services import MalformedEvent
from payouts import payments, tasks
from payouts.models import LedgerEntry, Payout, PayoutAccount, PayoutRun
from yumroad_site.money import format_money

logger = logging.getLogger(__name__)
Kind = LedgerEntry.Kind
# How long a pay_out run holds its lease without renewing it (it renews it before each
# store): a run killed half-way lets the next one start after this.
RUN_LEASE_SECONDS = 600
RUN_NAME = "pay_out"


def _entry_book(*, store_id, kind, amount_cents, earned_at=None, order=None, payout=None, key=""):
    """Insert one ledger entry; returns False when it was booked before (its unique key)."""
    try:
        with transaction.atomic():
            LedgerEntry.objects.create(
                store_id=store_id,
                kind=kind,
                amount_cents=amount_cents,
                earned_at=earned_at,
                order=order,
                payout=payout,
                key=key,
            )
    except IntegrityError:
        return False
    return True


def _order_entry_book(order, kind, amount_cents, key=""):
    """One of `order`'s entries, dated by its payment: its debits (refunds, disputes)
    become available with its sale, so refunding a pending sale lowers pending, and
    refunding an available one lowers available."""
    if not amount_cents or order.store_id is None:
        return False
    return _entry_book(
        store_id=order.store_id,
        kind=kind,
        amount_cents=amount_cents,
        earned_at=order.paid_at,
        order=order,
        key=key,
    )


def ledger_sale_book(*, order):
    """The seller's net of a paid `order`, pending until PAYOUT_HOLD_DAYS after its
    payment (the setting as it is when the balance is read). Returns whether it was
    booked now (a free order books nothing)."""
    return _order_entry_book(order, Kind.SALE, order.net_cents)


def ledger_refund_book(*, order, refunded_net_before):
    """The net's share that a refund took back: what order.refunded_net_cents (the
    share of all refunds so far) adds to `refunded_net_before`. Keyed by the total
    refunded, so each refund total books once."""
    taken = order.refunded_net_cents - refunded_net_before
    return _order_entry_book(order, Kind.REFUND, -taken, key=str(order.refunded_cents))


def ledger_dispute_book(*, order, dispute_key):
    """Dispute `dispute_key` takes the net still held: the net less its refunded share.
    Keyed by the dispute, so a replay books nothing and a later dispute books again."""
    held = order.net_cents - order.refunded_net_cents
    return _order_entry_book(order, Kind.DISPUTE, -held, key=dispute_key)


def ledger_dispute_won_book(*, order, dispute_key):
    """A dispute won gives back what that dispute took; a lost one books nothing more."""
    taken = LedgerEntry.objects.filter(kind=Kind.DISPUTE, order=order, key=dispute_key)
    amount = taken.values_list("amount_cents", flat=True).first() or 0
    return _order_entry_book(order, Kind.DISPUTE_WON, -amount, key=dispute_key)


def store_balance(*, store, now=None):
    """`store`'s pending, available and paid-out cents and when pending money next
    becomes available (LedgerQuerySet.balance)."""
    return LedgerEntry.objects.for_store(store).balance(now=now)


def account_connect(*, store, email, site_url):
    """The address of Stripe's onboarding for `store`'s payout account, made now if the
    store has none: one Express account per store, however many clicks (Stripe's
    idempotency key is the store's, and the OneToOne keeps one row). Raises
    payments.ConnectError, or orders.payments.CheckoutBusy when this process waits on
    Stripe STRIPE_MAX_CONCURRENT times already."""
    with stripe_permit():
        account = PayoutAccount.objects.filter(store=store).first()
        if account is None:
            account_id = payments.account_create(store=store, email=email)
            try:
                with transaction.atomic():
                    account = PayoutAccount.objects.create(
                        store=store, stripe_account_id=account_id
                    )
            except IntegrityError:  # the other click saved it first
                account = PayoutAccount.objects.get(store=store)
        return payments.account_link_create(account_id=account.stripe_account_id, site_url=site_url)


def account_link_new(*, account, site_url):
    """A new onboarding link for `account` (the last one expired). Raises as
    account_connect."""
    with stripe_permit():
        return payments.account_link_create(account_id=account.stripe_account_id, site_url=site_url)


def account_refresh(*, account):
    """Ask Stripe how `account` is now and keep its flags. Raises as account_connect."""
    if payments.mode() == payments.TEST:
        return
    with stripe_permit():
        data = payments.account_retrieve(account.stripe_account_id)
    try:
        account_updated(data)
    except MalformedEvent as error:
        raise payments.ConnectError(str(error)) from error


def account_dashboard_link(*, account):
    """A one-time address of `account`'s Stripe Express dashboard. Raises as
    account_connect."""
    with stripe_permit():
        return payments.login_link_create(account.stripe_account_id)


def account_test_finish(*, account):
    """The test onboarding's "Finish setup": the account is set up, as Stripe would
    say once the seller gave every detail (the local stand-in only)."""
    PayoutAccount.objects.filter(pk=account.pk).update(
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
        updated_at=timezone.now(),
    )


FLAGS = ["charges_enabled", "payouts_enabled", "details_submitted"]


def account_updated(data):
    """Keep a connected account's flags from Stripe's account object `data` (an
    account.updated event's, or a retrieved one). Matched by the account's id only: an
    unknown account is logged and changes nothing. Returns whether an account was
    updated. Raises orders.services.MalformedEvent."""
    account_id = data.get("id")
    if not (isinstance(account_id, str) and payments.ACCOUNT_ID.fullmatch(account_id)):
        raise MalformedEvent("id", "an account's id")
    flags = {}
    for name in FLAGS:
        if not isinstance(data.get(name), bool):
            raise MalformedEvent(name, "a boolean")
        flags[name] = data[name]
    updated = PayoutAccount.objects.filter(stripe_account_id=account_id).update(
        **flags, updated_at=timezone.now()
    )
    if not updated:
        logger.warning("Stripe updated account %s, which no store has; nothing changed", account_id)
    return bool(updated)


def run_lease_take(*, holder):
    """Take the pay_out run's lease for `holder`: False while another run holds it. A
    conditional update on one row, so of two runs at once one takes it (PostgreSQL's
    row lock, SQLite's one writer)."""
    now = timezone.now()
    PayoutRun.objects.get_or_create(
        name=RUN_NAME, defaults={"leased_until": now - timedelta(seconds=1)}
    )
    return bool(
        PayoutRun.objects.filter(name=RUN_NAME, leased_until__lte=now).update(
            holder=holder, leased_until=now + timedelta(seconds=RUN_LEASE_SECONDS)
        )
    )


def run_lease_renew(*, holder):
    """Whether `holder` still holds the lease, which then lasts RUN_LEASE_SECONDS more."""
    return bool(
        PayoutRun.objects.filter(name=RUN_NAME, holder=holder).update(
            leased_until=timezone.now() + timedelta(seconds=RUN_LEASE_SECONDS)
        )
    )


def run_lease_release(*, holder):
    PayoutRun.objects.filter(name=RUN_NAME, holder=holder).update(
        holder="", leased_until=timezone.now()
    )


def run_holder_new():
    return uuid.uuid4().hex


class Outcome(enum.StrEnum):
    PAID = "paid"
    SKIPPED = "skipped"
    FAILED = "failed"  # Stripe refused the transfer: its money is back in the balance
    UNANSWERED = "unanswered"  # no answer came: the payout stays pending, for a retry


def store_pay_out(*, account):
    """Pay `account`'s store: first a payout whose transfer got no answer, retried
    with its own key (never replaced); else, when payouts are on and the available
    balance is at least PAYOUT_MINIMUM_CENTS, a new payout of all of it, recorded with
    its ledger entry before its transfer is sent. Returns (Outcome, payout or None,
    what happened in words)."""
    with transaction.atomic():
        # The store's lock: a second run (one whose lease ran out) waits here.
        account = PayoutAccount.objects.select_for_update().get(pk=account.pk)
        payout = Payout.objects.filter(store_id=account.store_id, status=Payout.Status.PENDING)
        payout = payout.first()
        retry = payout is not None
        if payout is None:
            if not account.payouts_enabled:
                return Outcome.SKIPPED, None, "payouts are not on"
            now = timezone.now()
            available = store_balance(store=account.store, now=now)["available_cents"]
            if available < settings.PAYOUT_MINIMUM_CENTS:
                minimum = format_money(settings.PAYOUT_MINIMUM_CENTS)
                return (
                    Outcome.SKIPPED,
                    None,
                    f"{format_money(available)} available, under {minimum}",
                )
            payout = _payout_record(account, available, now)
    try:
        transfer_id = (
            payments.transfer_find(payout=payout, account_id=account.stripe_account_id)
            if retry
            else ""
        )
        transfer_id = transfer_id or payments.transfer_create(
            payout=payout, account_id=account.stripe_account_id
        )
    except payments.TransferRefused as error:
        _payout_fail(payout, str(error))
        return Outcome.FAILED, payout, f"Stripe refused it: {error}"
    except payments.TransferMismatch as error:
        said = f"Stripe's transfer {error} of its group is not this payout's; left pending"
        return Outcome.UNANSWERED, payout, said
    except payments.TransferUnanswered:
        return Outcome.UNANSWERED, payout, "no answer from Stripe; retried with the same key"
    _payout_sent(payout, transfer_id)
    return Outcome.PAID, payout, ("retried and sent" if retry else "sent")


def _payout_record(account, available, now):
    """A pending payout of the store's whole `available` balance, and the ledger entry
    that takes it from the balance, in the caller's transaction."""
    payout = Payout.objects.create(
        store_id=account.store_id,
        amount_cents=available,
        currency=settings.CURRENCY,
        created_at=now,
    )
    _entry_book(
        store_id=account.store_id,
        kind=Kind.PAYOUT,
        amount_cents=-available,
        payout=payout,
    )
    return payout


def _payout_sent(payout, transfer_id):
    now = timezone.now()
    with transaction.atomic():
        moved = Payout.objects.filter(pk=payout.pk, status=Payout.Status.PENDING).update(
            status=Payout.Status.SENT, transfer_id=transfer_id, sent_at=now
        )
        if moved:
            transaction.on_commit(partial(tasks.payout_email_send.enqueue, payout.pk), robust=True)
    payout.refresh_from_db()


def _payout_fail(payout, message):
    """Stripe refused the transfer: the payout failed, and its money goes back to the
    balance. The next run makes a new payout, with a new key."""
    with transaction.atomic():
        moved = Payout.objects.filter(pk=payout.pk, status=Payout.Status.PENDING).update(
            status=Payout.Status.FAILED, failure_message=message[:1000]
        )
        if moved:
            _entry_book(
                store_id=payout.store_id,
                kind=Kind.PAYOUT_FAILED,
                amount_cents=payout.amount_cents,
                payout=payout,
            )
    payout.refresh_from_db()
