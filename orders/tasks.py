import logging
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from orders.models import Order, SentEmail
from yumroad_site.emails import email_send
from yumroad_site.money import format_money
from yumroad_site.tasks import reconnected_on_failure, retried_on_failure

logger = logging.getLogger(__name__)

FREE_DOWNLOAD_SUBJECT = "Here is your free download"


def _paid_order(order_id):
    return (
        Order.objects.select_related("store__owner", "license")
        .filter(pk=order_id, status=Order.Status.PAID)
        .first()
    )


def _context(order):
    return {
        "order": order,
        "store_name": order.store.name if order.store else settings.SITE_NAME,
        "download_url": settings.SITE_URL + order.download_url,
        "receipt_url": settings.SITE_URL + order.receipt_url,
        "free": _claimed_free(order),
        "link_days": max(1, settings.DOWNLOAD_LINK_MAX_AGE // 86400),
        "sales_url": settings.SITE_URL + reverse("orders:sales"),
    }


def _claimed_free(order):
    # Anyone can claim a free product for any address: a stranger's, say. Its emails
    # carry no seller's words in their subject, and point no reply at that address.
    return order.amount_cents == 0


def sent_email_claim(*, order, kind, key=""):
    """Claim the right to send email `kind` of `order`: returns (claimed_at, None) when
    this run sends it, or (None, busy_until) when it was sent already (busy_until None)
    or another run claimed it less than a lease ago (it may still be sending)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            SentEmail.objects.create(order=order, kind=kind, key=key, claimed_at=now)
        return now, None
    except IntegrityError:
        pass
    lease = timedelta(seconds=settings.TASK_LEASE_SECONDS)
    unsent = SentEmail.objects.filter(order=order, kind=kind, key=key, sent_at=None)
    # A claim older than a lease: its run died before it sent or let go. One run takes it.
    if unsent.filter(claimed_at__lt=now - lease).update(claimed_at=now):
        return now, None
    held = unsent.values_list("claimed_at", flat=True).first()
    return None, (held + lease if held else None)


@contextmanager
def _sent_once(task, order, kind, *, attempt, key=""):
    """Whether this run sends the email: claimed before the send, marked sent after it,
    let go when it fails (so that its retry sends). A crash between the send and the
    mark is the one way it goes twice. An email another run is sending is looked at
    again when that run's lease ends, in case it died."""
    claimed_at, busy_until = sent_email_claim(order=order, kind=kind, key=key)
    if claimed_at is None:
        if busy_until is not None and task.get_backend().supports_defer:
            logger.info(
                "%s of order %s is being sent; looking again at %s", kind, order.pk, busy_until
            )
            kwargs = {"key": key} if key else {}
            task.using(run_after=busy_until).enqueue(order.pk, attempt=attempt, **kwargs)
        elif busy_until is not None:
            logger.warning("%s of order %s is being sent by another run; skipped", kind, order.pk)
        yield False
        return
    claim = SentEmail.objects.filter(order=order, kind=kind, key=key, claimed_at=claimed_at)
    try:
        yield True
    except BaseException:
        reconnected_on_failure(lambda: claim.filter(sent_at=None).delete())
        raise
    reconnected_on_failure(lambda: claim.update(sent_at=timezone.now()))


@task()
def purchase_receipt_send(order_id, attempt=1, key=""):
    """The buyer's receipt with the download link; nothing if the order is no longer paid.
    `key` is new for each receipt the buyer asks for again: each is sent once."""
    order = _paid_order(order_id)
    if order is None or not order.email:
        return
    context = _context(order)
    subject = (
        FREE_DOWNLOAD_SUBJECT
        if context["free"]
        else f"Your purchase of {order.product_name} from {context['store_name']}"
    )
    kwargs = {"key": key} if key else {}
    with (
        retried_on_failure(purchase_receipt_send, order_id, attempt=attempt, **kwargs),
        _sent_once(
            purchase_receipt_send, order, SentEmail.Kind.RECEIPT, attempt=attempt, key=key
        ) as sending,
    ):
        if sending:
            email_send(
                template="purchase_receipt",
                subject=subject,
                to=[order.email],
                context=context,
            )


@task()
def sale_notice_send(order_id, attempt=1):
    """The seller's notice of a sale: the product, the amount and the buyer's email."""
    order = _paid_order(order_id)
    if order is None or order.store is None:
        return
    with (
        retried_on_failure(sale_notice_send, order_id, attempt=attempt),
        _sent_once(sale_notice_send, order, SentEmail.Kind.SALE_NOTICE, attempt=attempt) as sending,
    ):
        if sending:
            email_send(
                template="sale_notice",
                subject=f"You sold {order.product_name}",
                to=[order.store.owner.email],
                context=_context(order),
                reply_to=[order.email] if order.email and not _claimed_free(order) else None,
            )


@task()
def refund_notice_send(order_id, attempt=1, key=""):
    """The buyer's notice of a refund: `key` is the refunded total it announces (each
    total is announced once), and whether the purchase ended with it."""
    order = Order.objects.select_related("store").filter(pk=order_id).first()
    if order is None or not order.email:
        return
    refunded_cents = int(key)
    context = {
        "order": order,
        "store_name": order.store.name if order.store else settings.SITE_NAME,
        "refunded": format_money(refunded_cents, order.currency),
        "full": refunded_cents >= order.amount_cents,
        "receipt_url": settings.SITE_URL + order.receipt_url,
    }
    with (
        retried_on_failure(refund_notice_send, order_id, attempt=attempt, key=key),
        _sent_once(
            refund_notice_send, order, SentEmail.Kind.REFUND_NOTICE, attempt=attempt, key=key
        ) as sending,
    ):
        if sending:
            email_send(
                template="refund_notice",
                subject=f"Your refund for {order.product_name}",
                to=[order.email],
                context=context,
            )


# The seller's dispute notice of each outcome: its subject.
DISPUTE_SUBJECTS = {
    Order.Dispute.OPEN: "A buyer disputed {product}",
    Order.Dispute.WON: "You won the dispute over {product}",
    Order.Dispute.LOST: "You lost the dispute over {product}",
}


@task()
def dispute_notice_send(order_id, attempt=1, key=""):
    """The seller's notice of a dispute opened, won or lost: `key` is the outcome, then
    the dispute (each is announced once)."""
    order = Order.objects.select_related("store__owner").filter(pk=order_id).first()
    if order is None or order.store is None:
        return
    outcome = Order.Dispute(key.partition("-")[0])
    context = {
        "order": order,
        "outcome": outcome,
        "net": format_money(order.net_cents - order.refunded_net_cents, order.currency),
        "sales_url": settings.SITE_URL + reverse("orders:sales"),
    }
    with (
        retried_on_failure(dispute_notice_send, order_id, attempt=attempt, key=key),
        _sent_once(
            dispute_notice_send, order, SentEmail.Kind.DISPUTE_NOTICE, attempt=attempt, key=key
        ) as sending,
    ):
        if sending:
            email_send(
                template="dispute_notice",
                subject=DISPUTE_SUBJECTS[outcome].format(product=order.product_name),
                to=[order.store.owner.email],
                context=context,
            )


@task()
def license_uses_write():
    """Write the license uses Redis counted into the database (orders.licenses)."""
    from orders.licenses import uses_write  # which schedules this task

    uses_write()
