import logging
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from payouts.models import LedgerEntry, Payout
from yumroad_site.emails import email_send
from yumroad_site.tasks import reconnected_on_failure, retried_on_failure

logger = logging.getLogger(__name__)
# The sales an email lists at most; it says how many more there were.
SALES_LISTED = 50


def payout_sales(payout):
    """The sales `payout` pays: those that became available (PAYOUT_HOLD_DAYS after
    their payment) after the store's previous sent payout, up to this one's date, the
    first first."""
    hold = timedelta(days=settings.PAYOUT_HOLD_DAYS)
    previous = (
        Payout.objects.filter(
            store_id=payout.store_id, status=Payout.Status.SENT, created_at__lt=payout.created_at
        )
        .values_list("created_at", flat=True)
        .first()
    )
    sales = LedgerEntry.objects.filter(
        store_id=payout.store_id,
        kind=LedgerEntry.Kind.SALE,
        earned_at__lte=payout.created_at - hold,
    )
    if previous:
        sales = sales.filter(earned_at__gt=previous - hold)
    return sales.select_related("order").order_by("earned_at", "pk")


def _claim(payout_id):
    """Whether this run sends the payout's email: claimed by a conditional update, so a
    task run twice (or by two workers) sends it once. A claim older than a lease is
    taken again: its run died before it sent."""
    now = timezone.now()
    lease = timedelta(seconds=settings.TASK_LEASE_SECONDS)
    unsent = Payout.objects.filter(pk=payout_id, emailed_at=None)
    claimed = unsent.filter(email_claimed_at=None).update(email_claimed_at=now) or (
        unsent.filter(email_claimed_at__lt=now - lease).update(email_claimed_at=now)
    )
    return now if claimed else None


@task()
def payout_email_send(payout_id, attempt=1):
    """The seller's "You've been paid $X.XX", listing the sales it pays; once."""
    payout = (
        Payout.objects.select_related("store__owner")
        .filter(pk=payout_id, status=Payout.Status.SENT)
        .first()
    )
    if payout is None:
        return
    claimed_at = _claim(payout_id)
    if claimed_at is None:
        logger.info("The email of payout %s is sent or being sent", payout_id)
        return
    claim = Payout.objects.filter(pk=payout_id, email_claimed_at=claimed_at)
    sales = payout_sales(payout)
    context = {
        "payout": payout,
        "store_name": payout.store.name,
        "sales": list(sales[:SALES_LISTED]),
        "more_sales": max(0, sales.count() - SALES_LISTED),
        "payouts_url": settings.SITE_URL + reverse("payouts:index"),
    }
    sent = False
    with retried_on_failure(payout_email_send, payout_id, attempt=attempt):
        try:
            email_send(
                template="payout_sent",
                subject=f"You've been paid {payout.display_amount}",
                to=[payout.store.owner.email],
                context=context,
            )
        except BaseException:
            # Let go of the claim, so that the retry sends it.
            reconnected_on_failure(lambda: claim.update(email_claimed_at=None))
            raise
        sent = True
    if sent:
        reconnected_on_failure(lambda: claim.update(emailed_at=timezone.now()))
