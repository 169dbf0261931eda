import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone

from yumroad_site.money import format_money

NOT_SET_UP = "Not set up"
NEEDS_DETAILS = "Stripe needs more details"
PAYOUTS_ON = "Payouts are on"


class PayoutAccount(models.Model):
    """A store's Stripe Express account, where its payouts go; the flags are Stripe's,
    kept from the onboarding's return page and account.updated events."""

    store = models.OneToOneField(
        "stores.Store", on_delete=models.PROTECT, related_name="payout_account"
    )
    stripe_account_id = models.CharField("Stripe account", max_length=255, unique=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.stripe_account_id} of store {self.store_id}"

    @property
    def state(self):
        return account_state(self)


def account_state(account):
    """A store's payout account in words, as its owner reads it; `account` may be None."""
    if account is not None and account.payouts_enabled:
        return PAYOUTS_ON
    if account is not None and account.details_submitted:
        return NEEDS_DETAILS
    return NOT_SET_UP


class PayoutStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # recorded, its transfer not (yet) answered
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"  # Stripe refused it: its money went back to the balance


def payout_token():
    return uuid.uuid4().hex


class PayoutQuerySet(models.QuerySet):
    def for_store(self, store):
        return self.filter(store=store).order_by("-created_at", "-pk")


class Payout(models.Model):
    """One transfer of a store's available balance to its Stripe account: recorded
    (with its ledger entry) before it is sent, sent with an idempotency key and a
    transfer group made from its random token (not its id, which a restored database or
    another environment on the same Stripe key may give again), and marked sent or
    failed after."""

    Status = PayoutStatus

    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="payouts")
    amount_cents = models.PositiveIntegerField("amount in cents")
    currency = models.CharField(max_length=3)
    token = models.CharField(max_length=32, unique=True, default=payout_token, editable=False)
    status = models.CharField(max_length=10, choices=PayoutStatus, default=PayoutStatus.PENDING)
    transfer_id = models.CharField("Stripe transfer", max_length=255, blank=True)
    failure_message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The seller's "You've been paid" email: claimed before it is sent, so it goes once.
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = PayoutQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=PayoutStatus.values), name="payout_status_known"
            ),
            # A payout whose answer never came is retried, never replaced by another.
            models.UniqueConstraint(
                fields=["store"],
                condition=Q(status=PayoutStatus.PENDING),
                name="payout_one_pending_per_store",
            ),
        ]

    def __str__(self):
        return f"Payout {self.pk} of {self.display_amount} to store {self.store_id}"

    @property
    def display_amount(self):
        return format_money(self.amount_cents, self.currency)

    @property
    def idempotency_key(self):
        return f"yumroad-payout-{self.token}"

    @property
    def transfer_group(self):
        return f"payout_{self.token}"


class LedgerEntryKind(models.TextChoices):
    SALE = "sale", "Sale"
    REFUND = "refund", "Refund"
    DISPUTE = "dispute", "Dispute"
    DISPUTE_WON = "dispute_won", "Dispute won"
    PAYOUT = "payout", "Payout"
    PAYOUT_FAILED = "payout_failed", "Payout failed"


ORDER_KINDS = [
    LedgerEntryKind.SALE,
    LedgerEntryKind.REFUND,
    LedgerEntryKind.DISPUTE,
    LedgerEntryKind.DISPUTE_WON,
]
PAYOUT_KINDS = [LedgerEntryKind.PAYOUT, LedgerEntryKind.PAYOUT_FAILED]


class LedgerQuerySet(models.QuerySet):
    def for_store(self, store):
        return self.filter(store=store)

    def balance(self, *, now=None):
        """Pending (not available yet), available and paid-out cents, and when pending
        money next becomes available (None: none is pending). An order's entries are
        pending until PAYOUT_HOLD_DAYS (as it is now) after the order was paid; a
        payout's are available at once. Paid out counts sent payouts; a payout in
        flight has left the balance but is not paid out yet."""
        now = now or timezone.now()
        hold = timedelta(days=settings.PAYOUT_HOLD_DAYS)
        later = Q(earned_at__gt=now - hold)
        totals = self.aggregate(
            pending_cents=Sum("amount_cents", filter=later, default=0),
            available_cents=Sum("amount_cents", filter=~later, default=0),
            paid_out_cents=Sum(
                "amount_cents",
                filter=Q(kind=LedgerEntryKind.PAYOUT, payout__status=PayoutStatus.SENT),
                default=0,
            ),
        )
        totals["paid_out_cents"] = -totals["paid_out_cents"]
        totals["next_available_at"] = None
        if totals["pending_cents"] > 0:
            # The first payment date whose entries still add money: its refunds and
            # disputes may cancel its sales.
            earned = (
                self.filter(later)
                .values("earned_at")
                .annotate(total=Sum("amount_cents"))
                .filter(total__gt=0)
                .order_by("earned_at")
                .values_list("earned_at", flat=True)
                .first()
            )
            totals["next_available_at"] = earned and earned + hold
        return totals


class LedgerEntry(models.Model):
    """One movement of a store's money, never changed once written: a sale's net
    (+), a refund's or a dispute's share of it (-), a dispute won (+), a payout (-) and
    a failed payout's money back (+). The balance is their sum. An order's entries
    keep when it was paid (earned_at): pending until PAYOUT_HOLD_DAYS after it,
    available after; a payout's are available at once. The unique constraints book each entry
    once, whatever retries, replays or two runs at once do."""

    Kind = LedgerEntryKind

    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=15, choices=LedgerEntryKind)
    amount_cents = models.IntegerField("amount in cents")
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    # Which of an order's entries of one kind: a refund's is the total refunded it
    # reached (str(order.refunded_cents)), so each refund total books once.
    key = models.CharField(max_length=32, blank=True, default="")
    # When the entry's order was paid (its sale's and its debits' alike); None for a
    # payout's entries.
    earned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["store", "earned_at"], name="ledger_store_earned")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=LedgerEntryKind.values), name="ledger_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=ORDER_KINDS,
                    order__isnull=False,
                    payout__isnull=True,
                    earned_at__isnull=False,
                )
                | Q(
                    kind__in=PAYOUT_KINDS,
                    payout__isnull=False,
                    order__isnull=True,
                    earned_at__isnull=True,
                ),
                name="ledger_entry_has_its_source",
            ),
            models.UniqueConstraint(
                fields=["kind", "order", "key"],
                condition=Q(order__isnull=False),
                name="ledger_order_entry_once",
            ),
            models.UniqueConstraint(
                fields=["kind", "payout"],
                condition=Q(payout__isnull=False),
                name="ledger_payout_entry_once",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.display_amount} of store {self.store_id}"

    @property
    def display_amount(self):
        return format_money(self.amount_cents)


class PayoutRun(models.Model):
    """The one row `manage.py pay_out` leases for its run: taken by a conditional
    update, so a second run at the same moment finds it taken and does nothing."""

    name = models.CharField(max_length=20, primary_key=True)
    holder = models.CharField(max_length=64, blank=True)
    leased_until = models.DateTimeField()

    def __str__(self):
        return f"{self.name} run, leased until {self.leased_until}"
