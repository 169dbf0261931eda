"""A fake Stripe for the tests: its API server, and webhooks signed as Stripe signs them."""

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl

from werkzeug import Response

STRIPE_KEY = "sk_test_yumroad_fake"
WEBHOOK_SECRET = "whsec_yumroad_test_secret"
SESSION_URL = "https://checkout.stripe.test/c/pay/cs_test_fake"


class FakeStripe:
    """A Stripe API server on loopback for the real `stripe` package to talk to: it
    records what it was sent and answers like Stripe, or with an error."""

    def __init__(self, httpserver):
        self.server = httpserver
        self.requests = []
        self.session_count = 0

    def answer_sessions(self, status=200, body=None):
        def handle(request):
            self.requests.append(request)
            if status != 200:
                return Response(json.dumps(body), status=status, content_type="application/json")
            self.session_count += 1
            session_id = f"cs_test_fake_{self.session_count}"
            session = {"id": session_id, "object": "checkout.session", "url": SESSION_URL}
            return Response(json.dumps(session), content_type="application/json")

        self.server.expect_request("/v1/checkout/sessions", method="POST").respond_with_handler(
            handle
        )

    @property
    def sent(self):
        """The form fields of the last request, as Stripe's SDK encodes them."""
        return dict(parse_qsl(self.requests[-1].get_data(as_text=True)))


def stripe_signature(payload, secret=WEBHOOK_SECRET, timestamp=None):
    """The Stripe-Signature header Stripe sends: t=<unix time>,v1=<HMAC-SHA256 hex>."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(event_type, data_object, event_id="evt_test_1"):
    return json.dumps(
        {"id": event_id, "object": "event", "type": event_type, "data": {"object": data_object}}
    )


def completed_session(order, **fields):
    """A paid checkout session of `order`, as Stripe sends it once completed: with the
    amount, currency and order id that payments.checkout_session_create gave it."""
    return {
        "id": order.stripe_session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": "pi_test_paid",
        "amount_subtotal": order.amount_cents,
        "amount_total": order.amount_cents,
        "currency": order.currency,
        "client_reference_id": str(order.pk),
        "metadata": {"order_id": str(order.pk)},
        "customer_email": order.email or None,
        "customer_details": {"email": "payer@example.com", "name": "Pat Payer"},
        **fields,
    }


def refunded_charge(payment_intent, **fields):
    """A charge fully refunded, as Stripe sends it in charge.refunded."""
    return {
        "id": "ch_test_refunded",
        "object": "charge",
        "amount": 1900,
        "amount_refunded": 1900,
        "currency": "usd",
        "payment_intent": payment_intent,
        "refunded": True,
        **fields,
    }
