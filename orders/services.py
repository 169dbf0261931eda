"""Orders move between a few states (orders.models.Order.Status), each move here.

Every move is a conditional update that returns whether it happened; fulfilment and
emails follow only a move that did, once it commits. So a Stripe retry, a replayed
event or two deliveries at once end with one paid order and one set of emails.
"""

import hashlib
import logging
import math
import re
import time
import uuid
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from orders import payments, signals, tasks
from orders.licenses import license_issue, order_license_disable
from orders.models import (
    REFUNDABLE_DISPUTES,
    DiscountCode,
    EarlyRefund,
    Order,
    StripeEvent,
    fee_of,
    refunded_net_of,
)
from orders.pricing import Price, discount_code_reserve
from yumroad_site.retirement import member_changed, members_changed, products_changed
from yumroad_site.validators import normalize_email

logger = logging.getLogger(__name__)
Status = Order.Status
RESEND_INTERVAL_SECONDS = 600
# Stripe's ids: an event's, a payment intent's.
STRIPE_ID = re.compile(r"[A-Za-z0-9_]{1,255}")
PAYMENT_INTENT_ID = re.compile(r"pi_[A-Za-z0-9_]{1,252}")
SHAPES = {dict: "an object", str: "a string", int: "an integer", bool: "a boolean"}


class RefusedEvent(Exception):
    """A signed Stripe event that is not applied: nothing of it is written. `answer` is
    what the webhook answers (400); str() says more, for the log."""

    answer = "Refused event."


class UnknownCheckout(RefusedEvent):
    """A Stripe event for a checkout session Yumroad never created."""

    answer = "Unknown checkout session."

    def __str__(self):
        return f"it names an unknown checkout: {self.args[0]!r}"


class MalformedEvent(RefusedEvent):
    """A field of the event in a shape Stripe never sends."""

    def __init__(self, field, shape):
        super().__init__(field, shape)
        self.answer = f"Malformed event: {field} must be {shape}."

    def __str__(self):
        return self.answer


class EventMismatch(RefusedEvent):
    """A completed checkout whose amount, currency or order is not its order's."""

    def __init__(self, order_id, found, expected):
        super().__init__(order_id, found, expected)
        self.fields = [name for name in expected if found[name] != expected[name]]
        self.answer = f"The event does not match its order: {', '.join(self.fields)}."

    def __str__(self):
        order_id, found, expected = self.args
        differences = ", ".join(
            f"{name} {found[name]!r} (the order's: {expected[name]!r})" for name in self.fields
        )
        return f"it does not match order {order_id}: {differences}"


class CheckoutStarting(Exception):
    """Another request of the same buyer is starting their checkout of this product."""


class CheckoutOpen(Exception):
    """The buyer has a checkout of this product open at another price: `args[0]` is its
    order. It may be paid until it expires, so no second one starts meanwhile."""


class CodeRefused(Exception):
    """The discount code has no use left for this order: `args[0]` is why (a
    pricing.CodeRefusal). Nothing was made."""


def _order_new(*, product, buyer, email, price=None, **fields):
    price = price or Price(product.price_cents)
    return Order(
        product=product,
        store=product.store,
        product_name=product.name,
        buyer=buyer,
        email=normalize_email(email),
        amount_cents=price.amount_cents,
        discount_cents=price.discount_cents,
        discount_code=price.code,
        discount_code_name=price.code.code if price.code else "",
        currency=settings.CURRENCY,
        **fields,
    )


def _order_save(order):
    """Save new `order`, with a use of its discount code reserved in the same
    transaction. Raises CodeRefused, and IntegrityError (the order's constraints)."""
    with transaction.atomic():
        if order.discount_code_id is not None:
            refusal = discount_code_reserve(order.discount_code_id)
            if refusal is not None:
                raise CodeRefused(refusal)
        order.save()


def checkout_start(*, product, buyer, guest_key="", image_url, site_url, price=None):
    """Where to send a buyer to pay `price` (a pricing.Price; the product's price when
    None) for `product`: their open checkout of it (a member's, or a guest's, whose
    session holds `guest_key`), else a new pending order and its checkout, which closes
    after CHECKOUT_EXPIRY_MINUTES and returns the buyer to `site_url`, on the order's
    receipt page. A new order with a discount code holds one of its uses until it is
    paid, fails or expires (Order.objects.using_code).

    Raises CheckoutStarting while another request of theirs starts it, CheckoutOpen
    when their open checkout is at another price or code, CodeRefused when the code has
    no use left, payments.CheckoutBusy, before any order is made, when this process
    waits on Stripe STRIPE_MAX_CONCURRENT times already, and payments.CheckoutError when
    Stripe refuses (the new order is marked failed, its use released)."""
    price = price or Price(product.price_cents)
    who = {"buyer": buyer, "guest_key": "" if buyer else guest_key}
    url = _open_checkout_url(product=product, price=price, **who)
    if url:
        return url
    # The permit comes first: a Buy refused for it leaves no order behind.
    with payments.stripe_permit():
        expires_at = timezone.now() + timedelta(minutes=settings.CHECKOUT_EXPIRY_MINUTES)
        order = _order_new(
            product=product,
            email=buyer.email if buyer else "",
            expires_at=expires_at,
            price=price,
            **who,
        )
        try:
            _order_save(order)
        except IntegrityError:
            # Another request of this buyer saved theirs first (the open-checkout constraints).
            url = _open_checkout_url(product=product, price=price, **who)
            if url:
                return url
            raise CheckoutStarting from None
        # Nothing is locked while Stripe answers: the order is committed, pending.
        try:
            session_id, url = payments.checkout_session_create(
                order=order, image_url=image_url, site_url=site_url
            )
        except payments.CheckoutError:
            Order.objects.filter(pk=order.pk).update(
                status=Status.FAILED, updated_at=timezone.now()
            )
            raise
    Order.objects.filter(pk=order.pk).update(stripe_session_id=session_id, checkout_url=url)
    return url


def _open_checkout_url(*, product, price, buyer, guest_key):
    """The address of the buyer's open checkout of `product`, or None when there is none.
    Raises CheckoutOpen when it is at another price than `price`, or another code.

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
        if (order.amount_cents, order.discount_code_id) != (
            price.amount_cents,
            price.code.pk if price.code else None,
        ):
            raise CheckoutOpen(order)
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


class ProductGone(Exception):
    """The product was deleted while it was being bought."""


def order_claim_free(*, product, buyer, email, price=None):
    """A free product for `email`, or one free for them (`price`, a pricing.Price of 0:
    a pay-what-you-want buyer's $0, a code that takes it all off, which is used then):
    paid at once, with a license key as a paid order
    gets (license_issue), delivered by email. Returns the order and whether its link was
    emailed: a second claim for the same address resends it, as receipt_resend allows.
    Raises CodeRefused when the code has no use left."""
    order = _order_new(
        product=product,
        buyer=buyer,
        email=email,
        price=price,
        status=Status.PAID,
        paid_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            if buyer is None:
                order.buyer_id = _confirmed_account_id(email)
            _order_save(order)
            license_issue(order=order)
            # Before the commit: a claim racing this one sees the order only once it is
            # committed, and then finds the interval running, so it sends nothing more.
            _resend_interval_start(order.pk)
    except IntegrityError:
        # This address claimed it already; or the product was deleted meanwhile (the
        # order's foreign key fails at the commit).
        order = Order.objects.of_email(email).filter(product=product, amount_cents=0).first()
        if order is None:
            raise ProductGone from None
        return order, receipt_resend(order=order)
    _fulfil_on_commit(order.pk)
    return order, True


def receipt_resend(*, order):
    """Email the buyer their receipt again, with a fresh link: at most once every few
    minutes for an order (counting its first email), so no form can flood an inbox.
    Returns whether it was sent; receipt_resend_wait says when it may be asked again."""
    if not _resend_interval_start(order.pk):
        return False
    resend = partial(tasks.purchase_receipt_send.enqueue, order.pk, key=uuid.uuid4().hex)
    transaction.on_commit(resend, robust=True)
    return True


def receipt_resend_wait(*, order):
    """Seconds until receipt_resend may send `order`'s receipt again; 0: now."""
    started = cache.get(_resend_key(order.pk))
    if started is None:
        return 0
    if type(started) is not float:  # an interval started before it held its start
        return RESEND_INTERVAL_SECONDS
    return max(0, math.ceil(started + RESEND_INTERVAL_SECONDS - time.time()))


def _resend_key(order_id):
    return f"orders:resend:{order_id}"


def _resend_interval_start(order_id):
    return cache.add(_resend_key(order_id), time.time(), RESEND_INTERVAL_SECONDS)


def order_mark_paid(*, session_id, payment_intent="", email=""):
    """pending → paid for the order of checkout session `session_id`, with the
    platform's fee and the seller's net fixed now (fee_of) and its license key made
    (license_issue), then fulfilment; or pending → refunded, with no fulfilment and its
    key disabled, when the full refund of `payment_intent` came first (an EarlyRefund).
    Returns whether it moved. Raises UnknownCheckout."""
    found = _order_of_session(session_id, "pk", "amount_cents")
    order_id, amount = found["pk"], found["amount_cents"]
    now = timezone.now()
    fee = fee_of(amount)
    changes = {
        "status": Status.PAID,
        "paid_at": now,
        "updated_at": now,
        "fee_cents": fee,
        "net_cents": amount - fee,
    }
    if payment_intent:
        changes["payment_intent_id"] = payment_intent
    if email:
        changes["email"] = normalize_email(email)[: Order._meta.get_field("email").max_length]
    order = Order.objects.filter(pk=order_id)
    with transaction.atomic():
        if not order.filter(status=Status.PENDING).update(**changes):
            return False
        if email:
            _guest_order_attach(order, email)
        _orders_changed(order)
        paid = order.get()
        license_issue(order=paid)
        signals.order_paid.send(Order, order=paid)
        if payment_intent and _early_refund_take(payment_intent):
            order.update(
                status=Status.REFUNDED,
                refunded_cents=amount,
                refunded_net_cents=amount - fee,
                updated_at=now,
            )
            order_license_disable(order_id=order_id)
            signals.order_refunded.send(Order, order=order.get(), refunded_net_before=0)
            logger.info("Order %s was refunded before its payment arrived", order_id)
        else:
            _fulfil_on_commit(order_id)
    return True


def guest_orders_attach(*, user):
    """The paid orders placed as a guest with `user`'s email join their account (their
    library), now that they confirmed it: one conditional update, so an order paid at
    the same moment is attached here or at its payment (_guest_order_attach)."""
    attached = (
        Order.objects.of_email(user.email)
        .filter(buyer=None, status=Status.PAID)
        .update(buyer=user, updated_at=timezone.now())
    )
    if attached:
        member_changed(user.pk)
    return attached


def _guest_order_attach(order, email):
    """A guest's order (`order`, a queryset of one) paid with the email of a confirmed
    account joins that account."""
    with transaction.atomic():
        account_id = _confirmed_account_id(email)
        if account_id is not None:
            order.filter(buyer=None).update(buyer_id=account_id)


def _confirmed_account_id(email):
    """The id of the account whose confirmed email `email` is, or None. The account is
    locked until the transaction ends (PostgreSQL; SQLite runs one writer at a time):
    a confirmation at the same moment waits for this order to commit and then attaches
    it, or commits first and is seen here."""
    account = (
        User.objects.select_for_update()
        .filter(email=normalize_email(email))
        .values("pk", "email", "confirmed_email")
        .first()
    )
    if account is None or account["confirmed_email"] != account["email"]:
        return None
    return account["pk"]


def _early_refund_take(payment_intent):
    """Whether a full refund of `payment_intent` came before its payment; it is used up.

    Inserting the payment intent is the lock that orders this against a refund of it
    delivered at the same moment (order_refund inserts it first too): whichever inserts
    second waits for the other's commit at the unique index, then sees its work. (SQLite
    runs one writing transaction at a time anyway.)"""
    try:
        with transaction.atomic():
            EarlyRefund.objects.create(payment_intent_id=payment_intent)
        came_first = False
    except IntegrityError:
        came_first = True
    EarlyRefund.objects.filter(payment_intent_id=payment_intent).delete()
    return came_first


def order_mark_ended(*, session_id, status):
    """pending → failed (the payment failed) or expired (the buyer never paid).
    Returns whether it moved. Raises UnknownCheckout."""
    order_id = _order_id_of_session(session_id)
    return bool(
        Order.objects.filter(pk=order_id, status=Status.PENDING).update(
            status=status, updated_at=timezone.now()
        )
    )


def order_refund(*, payment_intent, refunded_cents, full):
    """Book Stripe's refunds of `payment_intent` (charge.refunded): `refunded_cents` in
    all so far, `full` when that is the whole charge (order_refund_record). Returns
    whether the order moved. A full refund that no order holds yet is kept for its
    payment to meet (order_mark_paid): one row per payment intent, which stays for a
    payment that is not ours."""
    if not payment_intent:
        return False
    if full:
        EarlyRefund.objects.bulk_create(
            [EarlyRefund(payment_intent_id=payment_intent)], ignore_conflicts=True
        )
    order = (
        Order.objects.filter(payment_intent_id=payment_intent).values("pk", "amount_cents").first()
    )
    if order is None:
        if not full:
            logger.info("A partial refund of %s is for no paid order; ignored", payment_intent)
        return False
    if full:
        EarlyRefund.objects.filter(payment_intent_id=payment_intent).delete()
    total = order["amount_cents"] if full else refunded_cents
    return order_refund_record(order_id=order["pk"], refunded_cents=total)


def order_refund_record(*, order_id, refunded_cents):
    """Book refunds of paid order `order_id` totalling `refunded_cents` (cumulative, as
    Stripe's amount_refunded): the order keeps the total and the net's refunded share
    (refunded_net_of), and ends refunded, its download links and license key with it,
    when the total reaches the amount. Then signals.order_refunded, and once committed
    the buyer's email. Returns whether it moved: a total no higher than the one booked (a replay,
    Stripe's event for the seller's own refund) changes nothing. A refund of an order
    whose dispute is open or lost changes nothing either (Stripe refuses those)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id, status=Status.PAID).first()
        if order is None or refunded_cents <= order.refunded_cents:
            return False
        if order.dispute_status not in REFUNDABLE_DISPUTES:
            logger.warning(
                "A refund of order %s, whose dispute is %s, is not booked",
                order_id,
                order.dispute_status,
            )
            return False
        if refunded_cents > order.amount_cents:
            logger.warning(
                "Order %s of %s cents has %s refunded, says Stripe: booked as fully refunded",
                order_id,
                order.amount_cents,
                refunded_cents,
            )
            refunded_cents = order.amount_cents
        changes = {
            "refunded_cents": refunded_cents,
            "refunded_net_cents": refunded_net_of(
                net_cents=order.net_cents,
                refunded_cents=refunded_cents,
                amount_cents=order.amount_cents,
            ),
            "updated_at": timezone.now(),
        }
        if refunded_cents == order.amount_cents:
            changes["status"] = Status.REFUNDED
            order_license_disable(order_id=order_id)
        orders = Order.objects.filter(pk=order_id)
        orders.update(**changes)
        _orders_changed(orders)
        signals.order_refunded.send(
            Order, order=orders.get(), refunded_net_before=order.refunded_net_cents
        )
        transaction.on_commit(
            partial(tasks.refund_notice_send.enqueue, order_id, key=str(refunded_cents)),
            robust=True,
        )
    return True


class RefundInProgress(Exception):
    """Another refund of the order is being made at Stripe now. `same` when it reaches
    the same total: this is the same confirmation sent again."""

    def __init__(self, *, same):
        super().__init__(same)
        self.same = same


def order_refund_make(*, order, amount_cents, refunded_before):
    """The seller refunds `amount_cents` of paid `order`, whose refunds totalled
    `refunded_before` when they chose it: Stripe refunds it, then it is booked
    (order_refund_record). Returns the refunded total it reaches.

    The refund is claimed on the order's row first (a conditional update: one at a time
    per order, on every database), so two forms sent at once with different amounts
    can't both reach Stripe while one of them would be booked. Nothing is locked while
    Stripe answers; a claim whose request died lapses after _start_timeout(). Stripe's
    idempotency key is the order and the total it reaches: the same confirmation sent
    twice refunds once and books once. Raises RefundInProgress and payments.CheckoutBusy
    (before calling Stripe), and payments.RefundError (nothing was booked; sending it
    again is safe)."""
    total = refunded_before + amount_cents
    now = timezone.now()
    claimed = (
        Order.objects.filter(pk=order.pk, status=Status.PAID, refunded_cents=refunded_before)
        .filter(Q(refund_started_at=None) | Q(refund_started_at__lt=now - _start_timeout()))
        .update(refunding_cents=total, refund_started_at=now)
    )
    if not claimed:
        refunding = Order.objects.filter(pk=order.pk).values_list("refunding_cents", flat=True)
        raise RefundInProgress(same=refunding.first() == total)
    try:
        with payments.stripe_permit():
            payments.refund_create(
                order=order,
                amount_cents=amount_cents,
                idempotency_key=f"yumroad-refund-{order.pk}-{total}",
            )
        order_refund_record(order_id=order.pk, refunded_cents=total)
    finally:
        Order.objects.filter(pk=order.pk, refund_started_at=now).update(
            refunding_cents=0, refund_started_at=None
        )
    return total


def order_dispute_open(*, payment_intent, dispute_id=""):
    """A buyer disputed the payment `payment_intent` (charge.dispute.created): its
    downloads pause while the bank decides (dispute_status "open"), signals.order_disputed,
    and the seller is told. Returns whether it moved; a payment no order holds moves
    nothing (logged)."""
    orders = Order.objects.filter(
        payment_intent_id=payment_intent,
        status__in=[Status.PAID, Status.REFUNDED],
        dispute_status__in=[Order.Dispute.NONE, Order.Dispute.WON],
    )
    return _dispute_move(orders, Order.Dispute.OPEN, payment_intent, dispute_id)


def order_dispute_close(*, payment_intent, won, dispute_id=""):
    """The bank decided the open dispute of `payment_intent` (charge.dispute.closed):
    won, the downloads come back; lost, they end (410) and the license key is disabled,
    as a refund ends them. Then signals.order_dispute_closed and the seller's email.
    Returns whether it moved."""
    orders = Order.objects.filter(
        payment_intent_id=payment_intent, dispute_status=Order.Dispute.OPEN
    )
    outcome = Order.Dispute.WON if won else Order.Dispute.LOST
    return _dispute_move(orders, outcome, payment_intent, dispute_id)


def _dispute_move(orders, outcome, payment_intent, dispute_id):
    """Move the order of `orders` (a conditional queryset) to dispute `outcome`."""
    with transaction.atomic():
        order_id = orders.values_list("pk", flat=True).first()
        moving = orders.filter(pk=order_id)
        if order_id is None or not moving.update(dispute_status=outcome, updated_at=timezone.now()):
            logger.info(
                "Stripe's dispute %s (%s) of %s moves no order: unknown, or moved already",
                dispute_id,
                outcome,
                payment_intent,
            )
            return False
        if outcome == Order.Dispute.LOST:
            order_license_disable(order_id=order_id)
        order = Order.objects.get(pk=order_id)
        _orders_changed(Order.objects.filter(pk=order_id))
        # An order may be disputed again after a dispute it won: each dispute is its own.
        dispute_key = hashlib.sha256(dispute_id.encode()).hexdigest()[:24]
        if outcome == Order.Dispute.OPEN:
            signals.order_disputed.send(Order, order=order, dispute_key=dispute_key)
        else:
            signals.order_dispute_closed.send(
                Order, order=order, won=outcome == Order.Dispute.WON, dispute_key=dispute_key
            )
        transaction.on_commit(
            partial(tasks.dispute_notice_send.enqueue, order_id, key=f"{outcome}-{dispute_key}"),
            robust=True,
        )
    return True


def _order_id_of_session(session_id):
    return _order_of_session(session_id, "pk")["pk"]


def _order_of_session(session_id, *fields):
    """`fields` of the order of checkout session `session_id`. Raises UnknownCheckout."""
    order = (
        Order.objects.filter(stripe_session_id=session_id).values(*fields).first()
        if isinstance(session_id, str) and payments.SESSION_ID.fullmatch(session_id)
        else None
    )
    if order is None:
        raise UnknownCheckout(session_id)
    return order


def _orders_changed(orders):
    """What a buyer owns shows on their pages, and what is kept of an order for its
    license key's verification (orders.licenses) shows its state: retire them (an update
    sends no signal, unlike a save)."""
    rows = list(orders.values_list("buyer_id", "product_id"))
    members_changed(buyer_id for buyer_id, _ in rows)
    products_changed(product_id for _, product_id in rows)


def _fulfil_on_commit(order_id):
    """Once the payment is committed: the buyer's receipt and link, the seller's notice."""
    transaction.on_commit(partial(tasks.purchase_receipt_send.enqueue, order_id), robust=True)
    transaction.on_commit(partial(tasks.sale_notice_send.enqueue, order_id), robust=True)


def _field(data, path, kind):
    """The field at `path` (dotted) of an event's object, None when it is absent or
    null. Raises MalformedEvent when it has another type, or is a string no database
    can store."""
    names = path.split(".")
    for depth, name in enumerate(names):
        if data is None:
            return None
        if not isinstance(data, dict):
            raise MalformedEvent(".".join(names[:depth]), SHAPES[dict])
        data = data.get(name)
    if data is not None and (
        not isinstance(data, kind)
        or (isinstance(data, bool) and kind is not bool)
        or (kind is str and not _storable(data))
    ):
        raise MalformedEvent(path, SHAPES[kind])
    return data


def _storable(text):
    """Whether a database can store `text`: no NUL (PostgreSQL refuses it), and no lone
    surrogate (a JSON escape can spell one; it has no UTF-8 form)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _payment_intent(data):
    payment_intent = _field(data, "payment_intent", str) or ""
    if payment_intent and not PAYMENT_INTENT_ID.fullmatch(payment_intent):
        raise MalformedEvent("payment_intent", "a payment intent's id")
    return payment_intent


def _session_check(session):
    """Refuse (EventMismatch) a session whose amount, currency or order id differs from
    those of the order it was made for (payments.checkout_session_create). Stripe always
    sends all four in a completed session: one that is missing does not match."""
    found = {
        "amount_total": _field(session, "amount_total", int),
        "currency": _field(session, "currency", str),
        "metadata.order_id": _field(session, "metadata.order_id", str),
        "client_reference_id": _field(session, "client_reference_id", str),
    }
    order = _order_of_session(session.get("id"), "pk", "amount_cents", "currency")
    expected = {
        "amount_total": order["amount_cents"],
        "currency": order["currency"],
        "metadata.order_id": str(order["pk"]),
        "client_reference_id": str(order["pk"]),
    }
    if found["currency"]:
        found["currency"] = found["currency"].lower()
    if found != expected:
        raise EventMismatch(order["pk"], found, expected)


def _session_completed(session):
    email = (
        _field(session, "customer_details.email", str)
        or _field(session, "customer_email", str)
        or ""
    )
    payment_intent = _payment_intent(session)
    payment_status = _field(session, "payment_status", str)
    _session_check(session)
    # A delayed payment method (a bank debit) completes unpaid; its
    # async_payment_succeeded event follows.
    if payment_status not in ("paid", "no_payment_required"):
        return False
    return order_mark_paid(session_id=session.get("id"), payment_intent=payment_intent, email=email)


def _session_ended(session, *, status):
    return order_mark_ended(session_id=session.get("id"), status=status)


def _charge_refunded(charge):
    payment_intent = _payment_intent(charge)
    full = _field(charge, "refunded", bool) is True
    refunded_cents = _cents(charge, "amount_refunded")
    if not (full or refunded_cents):
        return False
    return order_refund(payment_intent=payment_intent, refunded_cents=refunded_cents, full=full)


def _cents(data, field):
    cents = _field(data, field, int) or 0
    if cents < 0:
        raise MalformedEvent(field, "an amount of cents")
    return cents


def _dispute(dispute):
    """A Dispute object's payment intent and id."""
    dispute_id = _field(dispute, "id", str) or ""
    if dispute_id and not STRIPE_ID.fullmatch(dispute_id):
        raise MalformedEvent("id", "a Stripe id")
    payment_intent = _payment_intent(dispute)
    if not payment_intent:
        logger.warning("Dispute %s names no payment intent; ignored", dispute_id)
    return payment_intent, dispute_id


def _dispute_created(dispute):
    payment_intent, dispute_id = _dispute(dispute)
    if not payment_intent:
        return False
    return order_dispute_open(payment_intent=payment_intent, dispute_id=dispute_id)


# A closed dispute's status: whether the seller keeps the money. A warning (an inquiry)
# closes without the money ever leaving.
DISPUTE_WON = {"won": True, "warning_closed": True, "lost": False}


def _dispute_closed(dispute):
    payment_intent, dispute_id = _dispute(dispute)
    status = _field(dispute, "status", str)
    if status not in DISPUTE_WON:
        raise MalformedEvent("status", "won, warning_closed or lost")
    if not payment_intent:
        return False
    return order_dispute_close(
        payment_intent=payment_intent, won=DISPUTE_WON[status], dispute_id=dispute_id
    )


EVENT_HANDLERS = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": _session_completed,
    "checkout.session.async_payment_failed": partial(_session_ended, status=Status.FAILED),
    "checkout.session.expired": partial(_session_ended, status=Status.EXPIRED),
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
    "charge.dispute.closed": _dispute_closed,
}


# The events of a connected account (with an `account` field) that apply here.
ACCOUNT_EVENTS = {"account.updated"}


def stripe_event_handler_add(event_type, handler):
    """Have `handler(data_object)` apply Stripe's events of `event_type`, for an app
    above orders (payouts: account.updated), called from its AppConfig.ready. It runs as
    the handlers here do: once per event, in the event's transaction, and raises
    RefusedEvent for an event it refuses."""
    if EVENT_HANDLERS.setdefault(event_type, handler) is not handler:
        raise ValueError(f"Stripe's {event_type} events have a handler already.")


def stripe_event_handle(*, event):
    """Apply a verified Stripe event once. Returns "ignored" (a type we don't handle),
    "duplicate" (handled before) or "processed". Raises RefusedEvent (an unknown
    checkout, a malformed event, a checkout that does not match its order), and then
    nothing is written, the event not even recorded."""
    handler = EVENT_HANDLERS.get(event["type"])
    # A connected account's own events (their charges, refunds and disputes) are not the
    # platform's: only what Stripe says of the account itself applies.
    if handler is None or (event.get("account") and event["type"] not in ACCOUNT_EVENTS):
        return "ignored"
    if not STRIPE_ID.fullmatch(event["id"]):
        raise MalformedEvent("id", "a Stripe id")
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(event_id=event["id"], type=event["type"])
        except IntegrityError:
            return "duplicate"
        handler(event["data"]["object"])
    return "processed"


# How often a pending order's receipt page may ask Stripe about it, in seconds.
CHECK_INTERVAL_SECONDS = 4


def checkout_check(*, order):
    """Ask Stripe how the checkout of a pending `order` went, once, for its receipt page
    while the webhook has not come: paid, the order is paid as the webhook pays it
    (order_mark_paid: a webhook at the same moment pays it once); expired, it expires.
    Returns whether the order moved. Stripe slow, down or busy, or a session the webhook
    would refuse: nothing moves, and the page asks again at a later view."""
    if not (
        order.status == Status.PENDING
        and order.stripe_session_id
        and payments.checkout_mode() == payments.STRIPE
    ):
        return False
    # Once every few seconds an order at most, however many tabs or reloads ask: an open
    # receipt must not spend the Stripe calls and permits that checkouts need.
    if not cache.add(f"orders:checked:{order.pk}", True, CHECK_INTERVAL_SECONDS):
        return False
    try:
        with payments.stripe_permit():
            session = payments.checkout_session_retrieve(order.stripe_session_id)
    except (payments.CheckoutBusy, payments.CheckoutError):
        return False
    try:
        if session.get("id") != order.stripe_session_id:
            raise UnknownCheckout(session.get("id"))
        with transaction.atomic():
            match _field(session, "status", str):
                case "complete":
                    return _session_completed(session)
                case "expired":
                    return _session_ended(session, status=Status.EXPIRED)
    except RefusedEvent as error:
        logger.warning("Stripe's checkout session of order %s is refused: %s", order.pk, error)
    return False


CODE_TAKEN_MESSAGE = "Your store has a code of that name already."
ONE_DISCOUNT_MESSAGE = "Take a percent or an amount off: one of them, not both."
DISCOUNT_CODE_FIELDS = ("code", "percent_off", "amount_off_cents", "max_uses", "expires_at")


def discount_code_create(
    *,
    store,
    code,
    percent_off=None,
    amount_off_cents=None,
    products=(),
    max_uses=None,
    expires_at=None,
):
    """A new discount code of `store`: `percent_off` (1-100) or `amount_off_cents`,
    exactly one; for `products` (of the store; empty: every product), up to `max_uses`
    orders, until `expires_at` (each None: no limit). Raises ValidationError naming the
    field, a name the store has already (in any case) included, however close the race."""
    discount = DiscountCode(store=store)
    return _discount_code_save(
        discount,
        products=products,
        code=code,
        percent_off=percent_off,
        amount_off_cents=amount_off_cents,
        max_uses=max_uses,
        expires_at=expires_at,
    )


def discount_code_update(*, discount_code, products=None, **changes):
    """Change `discount_code`: any of DISCOUNT_CODE_FIELDS, and `products` (None: kept).
    A percent off clears the amount off, and the other way round. Orders made with it
    keep their price. Raises ValidationError as discount_code_create."""
    unknown = set(changes) - set(DISCOUNT_CODE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    if changes.get("percent_off") is not None:
        changes.setdefault("amount_off_cents", None)
    if changes.get("amount_off_cents") is not None:
        changes.setdefault("percent_off", None)
    return _discount_code_save(discount_code, products=products, **changes)


def discount_code_delete(*, discount_code):
    """Delete `discount_code`: orders made with it keep its name and their discount."""
    discount_code.delete()


def discount_codes_of_product_delete(*, product):
    """Delete the discount codes limited to `product` alone, as it is deleted: left
    with no products, they would apply to every product of the store."""
    alone = DiscountCode.objects.annotate(limited_to=Count("products")).filter(
        limited_to=1, products=product
    )
    DiscountCode.objects.filter(pk__in=list(alone.values_list("pk", flat=True))).delete()


def _discount_code_save(discount, *, products, **fields):
    for name, value in fields.items():
        setattr(discount, name, value)
    if products is not None:
        products = list(products)
        if any(product.store_id != discount.store_id for product in products):
            raise ValidationError({"products": "Choose products of your own store."})
    # The field's rules (the code's shape, the ranges); the constraints' here, each
    # error naming its field.
    discount.full_clean(validate_constraints=False)
    if (discount.percent_off is None) == (discount.amount_off_cents is None):
        raise ValidationError({"percent_off": ONE_DISCOUNT_MESSAGE})
    if (
        DiscountCode.objects.filter(store_id=discount.store_id)
        .named(discount.code)
        .exclude(pk=discount.pk)
        .exists()
    ):
        raise ValidationError({"code": CODE_TAKEN_MESSAGE})
    try:
        with transaction.atomic():
            discount.save()
            if products is not None:
                discount.products.set(products)
    except IntegrityError:
        # The same name saved at the same moment (discount_code_unique_per_store).
        raise ValidationError({"code": CODE_TAKEN_MESSAGE}) from None
    return discount
