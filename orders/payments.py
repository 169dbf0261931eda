"""Everything Yumroad says to Stripe, and hears from it, goes through this module.

Views never import the SDK; tests point STRIPE_API_BASE at a fake Stripe server.
Without STRIPE_SECRET_KEY and with DEBUG on, a local test checkout stands in for
Stripe's page (orders.views.checkout.TestCheckoutView), so that development can buy things.
"""

import json
import logging
import re
import secrets
import threading
from contextlib import contextmanager

import stripe
from django.conf import settings
from django.urls import reverse

logger = logging.getLogger(__name__)

STRIPE = "stripe"
TEST = "test"
TEST_SESSION_PREFIX = "test_"
# Stripe's checkout session ids, and the test checkout's: nothing else names a session.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,255}")


class CheckoutError(Exception):
    """Stripe refused, failed or could not be reached: no checkout was started, or
    nothing was learnt of one."""


class CheckoutBusy(Exception):
    """STRIPE_MAX_CONCURRENT requests of this process wait on Stripe already."""


class RefundError(Exception):
    """Stripe refused the refund, failed or could not be reached: nothing is booked.
    str() is what the seller reads."""


class InvalidWebhook(Exception):
    """A webhook request that Stripe did not sign, or that is not an event."""


# STRIPE_MAX_CONCURRENT permits per process, made again when the setting changes (tests).
_permits = {}
_permits_lock = threading.Lock()


@contextmanager
def stripe_permit():
    """Hold one of this process's STRIPE_MAX_CONCURRENT permits to call Stripe while the
    block runs. Raises CheckoutBusy at once, without waiting, when all are held: the
    threads beyond the cap stay free for pages."""
    limit = settings.STRIPE_MAX_CONCURRENT
    with _permits_lock:
        permits = _permits.setdefault(limit, threading.BoundedSemaphore(limit))
    if not permits.acquire(blocking=False):
        raise CheckoutBusy
    try:
        yield
    finally:
        permits.release()


def checkout_mode():
    """STRIPE with a secret key; TEST, the local stand-in, without one in DEBUG; else None."""
    if settings.STRIPE_SECRET_KEY:
        return STRIPE
    return TEST if settings.DEBUG else None


def stripe_client():
    """A Stripe client with the site's key, API address, timeout and one retry."""
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE or None},
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        max_network_retries=1,
    )


def checkout_session_create(*, order, image_url, site_url):
    """A checkout session for `order`, open until its expires_at: (session id, the
    address to send the buyer to). Stripe sends the buyer back to `site_url` (the
    origin they came from): to the order's receipt page once they paid, to the cancel
    page if they cancel.

    Call it within stripe_permit(). Raises CheckoutError.
    """
    if checkout_mode() == TEST:
        session_id = TEST_SESSION_PREFIX + secrets.token_urlsafe(24)
        return session_id, reverse("orders:test_checkout", args=[session_id])
    product_data = {"name": order.product_name}
    if image_url:
        product_data["images"] = [image_url]
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": order.currency,
                    "unit_amount": order.amount_cents,
                    "product_data": product_data,
                },
            }
        ],
        "client_reference_id": str(order.pk),
        "metadata": {"order_id": str(order.pk)},
        "success_url": site_url + order.receipt_url,
        # Stripe puts the session id where the placeholder is.
        "cancel_url": f"{site_url}{reverse('orders:cancel')}?session_id={{CHECKOUT_SESSION_ID}}",
        # Stripe closes the session then, and its checkout.session.expired event follows.
        "expires_at": int(order.expires_at.timestamp()),
    }
    if order.email:
        params["customer_email"] = order.email
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params, {"idempotency_key": f"yumroad-order-{order.pk}"}
        )
        return session["id"], session["url"]
    except (stripe.StripeError, KeyError, TypeError) as error:
        logger.error("Stripe refused a checkout session for order %s: %r", order.pk, error)
        raise CheckoutError(str(error)) from error


def checkout_session_retrieve(session_id):
    """Checkout session `session_id` as Stripe has it now, a dict of the shape a webhook
    event's object has. Call it within stripe_permit(). Raises CheckoutError."""
    try:
        return stripe_client().v1.checkout.sessions.retrieve(session_id).to_dict()
    except (stripe.StripeError, AttributeError) as error:
        logger.warning("Stripe did not say how checkout session %s went: %r", session_id, error)
        raise CheckoutError(str(error)) from error


def refund_create(*, order, amount_cents, idempotency_key):
    """Refund `amount_cents` of `order`'s payment (its payment intent), once per
    `idempotency_key`: Stripe answers a second request with that key with the refund
    the first made. In the local test mode (checkout_mode() TEST) no Stripe is asked.

    Call it within stripe_permit(). Raises RefundError."""
    if checkout_mode() == TEST:
        return
    params = {
        "payment_intent": order.payment_intent_id,
        "amount": amount_cents,
        "metadata": {"order_id": str(order.pk)},
    }
    try:
        refund = stripe_client().v1.refunds.create(params, {"idempotency_key": idempotency_key})
        status = refund["status"]
    except (stripe.StripeError, KeyError, TypeError) as error:
        logger.error("Stripe refused a refund of order %s: %r", order.pk, error)
        if isinstance(error, (stripe.APIConnectionError, stripe.APIError)):
            raise RefundError("Stripe is not answering, so nothing was refunded.") from error
        message = getattr(error, "user_message", None) or "Stripe refused the refund"
        raise RefundError(f"{message.rstrip('.')}. Nothing was refunded.") from error
    # Pending (a bank transfer's refund, say) goes through later, as a rule; failed and
    # canceled refunds returned nothing.
    if status in ("failed", "canceled"):
        logger.error("Stripe's refund of order %s ended %s", order.pk, status)
        raise RefundError(f"Stripe could not make the refund ({status}). Nothing was refunded.")


def webhook_event(payload, signature):
    """The event a webhook request carries, as a dict, once its signature is checked
    (STRIPE_WEBHOOK_SECRET, or STRIPE_CONNECT_WEBHOOK_SECRET when it is set: Connect's
    endpoint, within the SDK's timestamp tolerance). Raises InvalidWebhook."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise InvalidWebhook("STRIPE_WEBHOOK_SECRET is not set.")
    signing_secrets = [settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET]
    refusal = None
    for secret in filter(None, signing_secrets):
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE
            )
            break
        except (stripe.SignatureVerificationError, ValueError) as error:
            refusal = error
    else:
        raise InvalidWebhook(str(refusal))
    try:
        event = json.loads(payload)
    except ValueError as error:
        raise InvalidWebhook(str(error)) from error
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise InvalidWebhook("The body is not a Stripe event.")
    return event
