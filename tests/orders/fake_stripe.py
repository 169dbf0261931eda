"""A fake Stripe for the tests: its API server, and webhooks signed as Stripe signs them."""

import hashlib
import hmac
import json
import re
import threading
import time
from functools import partial
from html import escape
from urllib.parse import parse_qsl

import requests
from werkzeug import Response

STRIPE_KEY = "sk_test_yumroad_fake"
WEBHOOK_SECRET = "whsec_yumroad_test_secret"
SESSION_URL = "https://checkout.stripe.test/c/pay/cs_test_fake"
PAY_PAGE = re.compile(r"/c/pay/(cs_test_fake_[0-9]+)$")
SESSION_PATH = re.compile(r"/v1/checkout/sessions/[^/]+$")


class FakeStripe:
    """A Stripe API server on loopback for the real `stripe` package to talk to: it
    records what it was sent and answers like Stripe, or with an error."""

    def __init__(self, httpserver):
        self.server = httpserver
        self.requests = []
        self.session_count = 0
        # What each session was created with, when the server shows pay pages.
        self.sessions = {}
        # The refunds made, and each by its Idempotency-Key.
        self.refunds = []
        self.refunds_by_key = {}
        self._refunds_lock = threading.Lock()

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

    def answer_retrieve(self, session=None, *, status=200, body=None, delay=0):
        """A checkout session as Stripe has it (GET /v1/checkout/sessions/<id>):
        `session`, or an error, `delay` seconds late."""

        def handle(request):
            self.requests.append(request)
            time.sleep(delay)
            if status != 200:
                return error(body, status)
            return Response(json.dumps(session), content_type="application/json")

        self.server.expect_request(SESSION_PATH, method="GET").respond_with_handler(handle)

    def answer_refunds(self, *, status=200, body=None, delay=0):
        """Stripe's refunds (POST /v1/refunds): a refund of `amount` of `payment_intent`,
        made once per Idempotency-Key as Stripe does (the same key answers the refund it
        made); or an error (`status`, `body`), or an answer `delay` seconds late."""

        def handle(request):
            self.requests.append(request)
            time.sleep(delay)
            if status != 200:
                return error(body, status)
            params = dict(parse_qsl(request.get_data(as_text=True)))
            key = request.headers.get("Idempotency-Key")
            with self._refunds_lock:
                refund = self.refunds_by_key.get(key)
                if refund is None:
                    refund = {
                        "id": f"re_test_fake_{len(self.refunds) + 1}",
                        "object": "refund",
                        "amount": int(params["amount"]),
                        "currency": "usd",
                        "payment_intent": params["payment_intent"],
                        "charge": f"ch_of_{params['payment_intent']}",
                        "metadata": {"order_id": params.get("metadata[order_id]")},
                        "status": "succeeded",
                        "created": int(time.time()),
                    }
                    self.refunds.append(refund)
                    self.refunds_by_key[key] = refund
            return Response(json.dumps(refund), content_type="application/json")

        self.server.expect_request("/v1/refunds", method="POST").respond_with_handler(handle)

    @property
    def refund_requests(self):
        """The refund requests asked of this server, in order."""
        return [request for request in self.requests if request.path == "/v1/refunds"]

    @property
    def retrievals(self):
        """The session retrievals asked of this server, in order."""
        return [request for request in self.requests if request.method == "GET"]

    def serve_checkout(self, *, webhook_url):
        """Stripe Checkout on this server's own origin, for a browser: a session's `url`
        is a pay page here, whose Pay button sends `webhook_url` the signed
        checkout.session.completed event, then the browser to the session's success_url."""
        self.server.expect_request("/v1/checkout/sessions", method="POST").respond_with_handler(
            self._session_with_pay_page
        )
        self.server.expect_request(PAY_PAGE, method="GET").respond_with_handler(self._pay_page)
        self.server.expect_request(PAY_PAGE, method="POST").respond_with_handler(
            partial(self._pay, webhook_url)
        )

    def _session_with_pay_page(self, request):
        self.requests.append(request)
        self.session_count += 1
        session_id = f"cs_test_fake_{self.session_count}"
        self.sessions[session_id] = dict(parse_qsl(request.get_data(as_text=True)))
        url = self.server.url_for(f"/c/pay/{session_id}")
        session = {"id": session_id, "object": "checkout.session", "url": url}
        return Response(json.dumps(session), content_type="application/json")

    def _session_of(self, request):
        """The session id of a pay page's address, and what the session was made with."""
        session_id = PAY_PAGE.match(request.path)[1]
        return session_id, self.sessions.get(session_id)

    def _pay_page(self, request):
        _, sent = self._session_of(request)
        if sent is None:
            return Response("No such checkout session.", status=404)
        cents = int(sent["line_items[0][price_data][unit_amount]"])
        amount = f"${cents // 100}.{cents % 100:02d}"
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fake Stripe Checkout</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>Fake Stripe Checkout</h1>
<p>{escape(sent["line_items[0][price_data][product_data][name]"])}: {amount}</p>
<form method="post"><label for="email">Email</label>
<input id="email" name="email" type="email" value="{escape(sent.get("customer_email", ""))}">
<button type="submit">Pay {amount}</button></form></main></body></html>"""
        return Response(page, content_type="text/html; charset=utf-8")

    def _pay(self, webhook_url, request):
        session_id, sent = self._session_of(request)
        if sent is None:
            return Response("No such checkout session.", status=404)
        session = paid_session(
            session_id,
            amount=int(sent["line_items[0][price_data][unit_amount]"]),
            currency=sent["line_items[0][price_data][currency]"],
            order_id=sent["metadata[order_id]"],
            payment_intent=f"pi_test_{session_id}",
            customer_email=sent.get("customer_email"),
            customer_details={"email": request.form.get("email", "")},
        )
        payload = stripe_event("checkout.session.completed", session, f"evt_{session_id}")
        answer = requests.post(
            webhook_url,
            data=payload,
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": stripe_signature(payload),
            },
            timeout=10,
        )
        if answer.status_code != 200:
            return Response(f"The webhook got {answer.status_code}: {answer.text}", status=502)
        success_url = sent["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        return Response(status=303, headers={"Location": success_url})

    @property
    def sent(self):
        """The form fields of the last request, as Stripe's SDK encodes them."""
        return dict(parse_qsl(self.requests[-1].get_data(as_text=True)))


CARD_ERROR = {
    "error": {
        "type": "invalid_request_error",
        "code": "charge_already_refunded",
        "message": "Charge ch_1 has already been refunded.",
    }
}
SERVER_ERROR = {"error": {"type": "api_error", "message": "Something went wrong."}}

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


def site_settings(stripe_url):
    """The environment of a site served in its own process that talks to a fake Stripe at
    `stripe_url`, production's way: DEBUG off, no https redirect, Stripe's checkout on
    that other origin."""
    return {
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_url,
        "STRIPE_CHECKOUT_ORIGIN": stripe_url,
    }


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
    session = paid_session(
        order.stripe_session_id,
        amount=order.amount_cents,
        currency=order.currency,
        order_id=str(order.pk),
        customer_email=order.email or None,
    )
    return session | fields


def paid_session(session_id, *, amount, currency, order_id, **fields):
    """A paid checkout session as Stripe sends it once completed."""
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": "pi_test_paid",
        "amount_subtotal": amount,
        "amount_total": amount,
        "currency": currency,
        "client_reference_id": order_id,
        "metadata": {"order_id": order_id},
        "customer_email": None,
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


def charge_refunded(payment_intent, *, amount=1900, amount_refunded, **fields):
    """A charge.refunded event's charge: `amount_refunded` of `amount` refunded so far,
    `refunded` when that is all of it."""
    return refunded_charge(
        payment_intent,
        amount=amount,
        amount_refunded=amount_refunded,
        refunded=amount_refunded == amount,
        **fields,
    )


def dispute(payment_intent, *, status="needs_response", amount=1900, **fields):
    """A Dispute object, as charge.dispute.created and charge.dispute.closed carry it."""
    return {
        "id": "dp_test_1",
        "object": "dispute",
        "amount": amount,
        "currency": "usd",
        "charge": f"ch_of_{payment_intent}",
        "payment_intent": payment_intent,
        "reason": "fraudulent",
        "status": status,
        **fields,
    }
