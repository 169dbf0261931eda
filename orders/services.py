"""Orders move between a few states (orders.models.Order.Status), each move here.

Every move is a conditional update that returns whether it happened; fulfilment and
emails follow only a move that did, once it commits. So a Stripe retry, a replayed
event or two deliveries at once end with one paid order and one set of emails.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders import payments, tasks
from orders.models import Order, StripeEvent
from yumroad_site.cache import member_changed

logger = logging.getLogger(__name__)
Status = Order.Status
RESEND_INTERVAL_SECONDS = 600


class UnknownCheckout(Exception):
    """A Stripe event for a checkout session Yumroad never created."""


class CheckoutStarting(Exception):
    """Another request of the same buyer is starting their checkout of this product."""


def _order_new(*, product, buyer, email, **fields):
    return Order(
        product=product,
        store=product.store,
        product_name=product.name,
        buyer=buyer,
        email=email,
        amount_cents=product.price_cents,
        currency=settings.CURRENCY,
        **fields,
    )


def checkout_start(*, product, buyer, guest_key="", image_url, success_url, cancel_url):
    """Where to send a buyer to pay for `product`: their open checkout of it (a member's,
    or a guest's, whose session holds `guest_key`), else a new pending order and its
    checkout, which closes after CHECKOUT_EXPIRY_MINUTES.

    Raises CheckoutStarting while another request of theirs starts it, and
    payments.CheckoutError when Stripe refuses (the new order is marked failed)."""
    who = {"buyer": buyer, "guest_key": "" if buyer else guest_key}
    url = _open_checkout_url(product=product, **who)
    if url:
        return url
    expires_at = timezone.now() + timedelta(minutes=settings.CHECKOUT_EXPIRY_MINUTES)
    order = _order_new(
        product=product, email=buyer.email if buyer else "", expires_at=expires_at, **who
    )
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        # Another request of this buyer saved theirs first (the open-checkout constraints).
        url = _open_checkout_url(product=product, **who)
        if url:
            return url
        raise CheckoutStarting from None
    # Nothing is locked while Stripe answers: the order is committed, pending.
    try:
        session_id, url = payments.checkout_session_create(
            order=order, image_url=image_url, success_url=success_url, cancel_url=cancel_url
        )
    except payments.CheckoutError:
        Order.objects.filter(pk=order.pk).update(status=Status.FAILED, updated_at=timezone.now())
        raise
    Order.objects.filter(pk=order.pk).update(stripe_session_id=session_id, checkout_url=url)
    return url


def _open_checkout_url(*, product, buyer, guest_key):
    """The address of the buyer's open checkout of `product`, or None when there is none.

    One past its expiry is marked expired here (Stripe closed it; its expired event may
    not have come yet), and one that got no Stripe session within _start_timeout()
    (its request died) failed, so that a new checkout can start. Raises
    CheckoutStarting while another request is getting its session."""
    order = Order.objects.checkouts_of(product, buyer=buyer, guest_key=guest_key).first()
    if order is None:
        return None
    now = timezone.now()
    if order.expires_at <= now:
        _order_end_unpaid(order, Status.EXPIRED)
        return None
    if order.checkout_url:
        return order.checkout_url
    if order.created_at <= now - _start_timeout():
        _order_end_unpaid(order, Status.FAILED)
        return None
    raise CheckoutStarting


def _start_timeout():
    # Stripe's SDK tries twice (max_network_retries=1), each up to the timeout.
    return timedelta(seconds=2 * settings.STRIPE_TIMEOUT_SECONDS + 30)


def _order_end_unpaid(order, status):
    Order.objects.filter(pk=order.pk, status=Status.PENDING).update(
        status=status, updated_at=timezone.now()
    )


def order_claim_free(*, product, buyer, email):
    """A free product for `email`: paid at once, delivered by email. Returns the order
    and whether it is new; a second claim for the same address resends the link."""
    order = _order_new(
        product=product, buyer=buyer, email=email, status=Status.PAID, paid_at=timezone.now()
    )
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        order = Order.objects.get(product=product, email=email, amount_cents=0)
        receipt_resend(order=order)
        return order, False
    _resend_interval_start(order.pk)
    _fulfil_on_commit(order.pk)
    return order, True


def receipt_resend(*, order):
    """Email the buyer their receipt again, with a fresh link: at most once every few
    minutes for an order (counting its first email), so no form can flood an inbox.
    Returns whether it was sent."""
    if not _resend_interval_start(order.pk):
        return False
    transaction.on_commit(partial(tasks.purchase_receipt_send.enqueue, order.pk), robust=True)
    return True


def _resend_interval_start(order_id):
    return cache.add(f"orders:resend:{order_id}", True, RESEND_INTERVAL_SECONDS)


def order_mark_paid(*, session_id, payment_intent="", email=""):
    """pending → paid for the order of checkout session `session_id`, then fulfilment.
    Returns whether it moved. Raises UnknownCheckout."""
    order_id = _order_id_of_session(session_id)
    now = timezone.now()
    changes = {"status": Status.PAID, "paid_at": now, "updated_at": now}
    if payment_intent:
        changes["payment_intent_id"] = payment_intent
    if email:
        changes["email"] = email[: Order._meta.get_field("email").max_length]
    moved = Order.objects.filter(pk=order_id, status=Status.PENDING).update(**changes)
    if moved:
        _buyers_changed(Order.objects.filter(pk=order_id))
        _fulfil_on_commit(order_id)
    return bool(moved)


def order_mark_ended(*, session_id, status):
    """pending → failed (the payment failed) or expired (the buyer never paid).
    Returns whether it moved. Raises UnknownCheckout."""
    order_id = _order_id_of_session(session_id)
    return bool(
        Order.objects.filter(pk=order_id, status=Status.PENDING).update(
            status=status, updated_at=timezone.now()
        )
    )


def order_refund(*, payment_intent):
    """paid → refunded for the order of `payment_intent`: its download links stop
    working. Returns whether it moved (False too for a payment that is not ours)."""
    if not payment_intent:
        return False
    orders = Order.objects.filter(payment_intent_id=payment_intent)
    moved = orders.filter(status=Status.PAID).update(
        status=Status.REFUNDED, updated_at=timezone.now()
    )
    if moved:
        _buyers_changed(orders)
    return bool(moved)


def _order_id_of_session(session_id):
    order_id = (
        Order.objects.filter(stripe_session_id=session_id).values_list("pk", flat=True).first()
        if isinstance(session_id, str) and payments.SESSION_ID.fullmatch(session_id)
        else None
    )
    if order_id is None:
        raise UnknownCheckout(session_id)
    return order_id


def _buyers_changed(orders):
    """What a buyer owns shows on their pages: retire the copies cached for them (an
    update sends no signal, unlike a save: orders/signals.py)."""
    for buyer_id in orders.values_list("buyer_id", flat=True):
        member_changed(buyer_id)


def _fulfil_on_commit(order_id):
    """Once the payment is committed: the buyer's receipt and link, the seller's notice."""
    transaction.on_commit(partial(tasks.purchase_receipt_send.enqueue, order_id), robust=True)
    transaction.on_commit(partial(tasks.sale_notice_send.enqueue, order_id), robust=True)


def _session_completed(session):
    # A delayed payment method (a bank debit) completes unpaid; its
    # async_payment_succeeded event follows.
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return False
    details = session.get("customer_details") or {}
    email = details.get("email") or session.get("customer_email") or ""
    return order_mark_paid(
        session_id=session.get("id"),
        payment_intent=session.get("payment_intent") or "",
        email=email if isinstance(email, str) else "",
    )


def _session_ended(session, *, status):
    return order_mark_ended(session_id=session.get("id"), status=status)


def _charge_refunded(charge):
    # Only a full refund ends the purchase; a partial one leaves the download.
    if charge.get("refunded") is False:
        return False
    payment_intent = charge.get("payment_intent")
    return order_refund(payment_intent=payment_intent if isinstance(payment_intent, str) else "")


EVENT_HANDLERS = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": _session_completed,
    "checkout.session.async_payment_failed": partial(_session_ended, status=Status.FAILED),
    "checkout.session.expired": partial(_session_ended, status=Status.EXPIRED),
    "charge.refunded": _charge_refunded,
}


def stripe_event_handle(*, event):
    """Apply a verified Stripe event once. Returns "ignored" (a type we don't handle),
    "duplicate" (handled before) or "processed". Raises UnknownCheckout, and then
    nothing is written, the event not even recorded."""
    handler = EVENT_HANDLERS.get(event["type"])
    if handler is None:
        return "ignored"
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(event_id=event["id"][:255], type=event["type"])
        except IntegrityError:
            return "duplicate"
        handler(event["data"]["object"])
    return "processed"
