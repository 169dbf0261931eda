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
                return error(body, status)
            params = dict(parse_qsl(request.get_data(as_text=True)))
            expires_at = params.get("expires_at")
            if expires_at is not None and not valid_expiry(expires_at):
                return error(EXPIRY_ERROR, 400)
            self.session_count += 1
            session_id = f"cs_test_fake_{self.session_count}"
            session = {"id": session_id, "object": "checkout.session", "url": SESSION_URL}
            if expires_at is not None:
                session["expires_at"] = int(expires_at)
            return Response(json.dumps(session), content_type="application/json")

        self.server.expect_request("/v1/checkout/sessions", method="POST").respond_with_handler(
            handle
        )

    @property
    def sent(self):
        """The form fields of the last request, as Stripe's SDK encodes them."""
        return dict(parse_qsl(self.requests[-1].get_data(as_text=True)))


EXPIRY_ERROR = {
    "error": {
        "type": "invalid_request_error",
        "param": "expires_at",
        "message": "The Checkout Session expires_at must be 30 minutes to 24 hours away.",
    }
}


def valid_expiry(expires_at):
    """Stripe's rule: a session closes 30 minutes to 24 hours after it is created."""
    if not expires_at.isdigit():
        return False
    seconds = int(expires_at) - time.time()
    return 30 * 60 <= seconds <= 24 * 3600


def error(body, status):
    return Response(json.dumps(body), status=status, content_type="application/json")


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


def completed_session(session_id, **fields):
    return {
        "id": session_id,
        "object": "checkout.session",
        "payment_status": "paid",
        "payment_intent": "pi_test_paid",
        "customer_details": {"email": "payer@example.com"},
        **fields,
    }
