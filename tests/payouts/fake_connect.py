"""A fake Stripe Connect for the tests: the accounts, account links, login links and
transfers Yumroad asks for, answered in Stripe's wire format by a pytest-httpserver that
the real `stripe` package talks to. A request sent again with the same Idempotency-Key
gets the same answer, as Stripe's; and the next requests may be refused (400), fail
(500) or be answered too late (past the client's timeout)."""

import json
import re
import threading
import time
from urllib.parse import parse_qsl

from werkzeug import Response

CONNECT_ORIGIN = "https://connect.stripe.test"
ACCOUNT_PATH = re.compile(r"/v1/accounts/(acct_[A-Za-z0-9_]+)$")
LOGIN_LINK_PATH = re.compile(r"/v1/accounts/(acct_[A-Za-z0-9_]+)/login_links$")
REFUSAL = {
    "error": {
        "type": "invalid_request_error",
        "code": "balance_insufficient",
        "message": "You have insufficient available funds in your Stripe account.",
    }
}
FAILURE = {"error": {"type": "api_error", "message": "An unknown error occurred."}}
NO_SUCH_ACCOUNT = {
    "error": {
        "type": "invalid_request_error",
        "code": "resource_missing",
        "message": "No such account.",
    }
}


def answer(body, status=200):
    return Response(json.dumps(body), status=status, content_type="application/json")


class FakeConnect:
    """Stripe Connect's part of the fake Stripe at `httpserver`. What it made is in
    `accounts` and `transfers`; each request it got, in `requests`."""

    def __init__(self, httpserver, *, timeout):
        self.server = httpserver
        self.timeout = timeout
        self.lock = threading.Lock()
        self.requests = []
        self.accounts = {}
        self.transfers = []
        self.answers = {}  # by Idempotency-Key: what the first request got
        # What the next transfer requests get, one each: "refuse", "fail" or "late".
        self.transfer_troubles = []
        # Whether listing transfers fails (500), as Stripe down does.
        self.listing_fails = False
        routes = [
            ("/v1/accounts", "POST", self._account_create),
            (ACCOUNT_PATH, "GET", self._account_retrieve),
            (LOGIN_LINK_PATH, "POST", self._login_link_create),
            ("/v1/account_links", "POST", self._account_link_create),
            ("/v1/transfers", "POST", self._transfer_create),
            ("/v1/transfers", "GET", self._transfer_list),
        ]
        for path, method, handler in routes:
            self.server.expect_request(path, method=method).respond_with_handler(
                self._recorded(handler)
            )

    def _recorded(self, handler):
        def handle(request):
            with self.lock:
                self.requests.append(request)
            return handler(request)

        return handle

    def _idempotent(self, request, make):
        """The answer of the first request with this Idempotency-Key, made once."""
        key = request.headers.get("Idempotency-Key")
        with self.lock:
            if key and key in self.answers:
                body, status = self.answers[key]
            else:
                body, status = make(dict(parse_qsl(request.get_data(as_text=True))))
                if key and status < 500:
                    self.answers[key] = body, status
        return answer(body, status)

    def sent(self, path, method="POST"):
        """The form fields of each request to `path`, as Stripe's SDK encodes them."""
        return [
            dict(parse_qsl(request.get_data(as_text=True)))
            for request in self.requests
            if request.path == path and request.method == method
        ]

    def keys(self, path):
        return [
            request.headers.get("Idempotency-Key")
            for request in self.requests
            if request.path == path and request.method == "POST"
        ]

    # Accounts

    def _account_create(self, request):
        def make(fields):
            account_id = f"acct_fake{len(self.accounts) + 1}"
            self.accounts[account_id] = {
                "id": account_id,
                "object": "account",
                "type": fields.get("type"),
                "email": fields.get("email"),
                "metadata": {"store_id": fields.get("metadata[store_id]")},
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
            }
            return self.accounts[account_id], 200

        return self._idempotent(request, make)

    def account_set(self, account_id, **flags):
        """What Stripe knows of the account now: the seller gave details, say."""
        self.accounts[account_id].update(flags)
        return self.accounts[account_id]

    def _account_retrieve(self, request):
        account = self.accounts.get(ACCOUNT_PATH.match(request.path)[1])
        return answer(account) if account else answer(NO_SUCH_ACCOUNT, 404)

    def _account_link_create(self, request):
        fields = dict(parse_qsl(request.get_data(as_text=True)))
        if fields.get("account") not in self.accounts:
            return answer(NO_SUCH_ACCOUNT, 400)
        link = {
            "object": "account_link",
            "created": int(time.time()),
            "expires_at": int(time.time()) + 300,
            "url": f"{CONNECT_ORIGIN}/setup/e/{fields['account']}/{len(self.requests)}",
        }
        return answer(link)

    def _login_link_create(self, request):
        account_id = LOGIN_LINK_PATH.match(request.path)[1]
        if account_id not in self.accounts:
            return answer(NO_SUCH_ACCOUNT, 404)
        link = {
            "object": "login_link",
            "created": int(time.time()),
            "url": f"{CONNECT_ORIGIN}/express/{account_id}/{len(self.requests)}",
        }
        return answer(link)

    # Transfers

    def _transfer_create(self, request):
        with self.lock:
            trouble = self.transfer_troubles.pop(0) if self.transfer_troubles else None
        if trouble == "fail":
            return answer(FAILURE, 500)
        if trouble == "refuse":
            return self._idempotent(request, lambda fields: (REFUSAL, 400))
        response = self._idempotent(request, self._transfer_make)
        if trouble == "late":
            # Made, but the answer comes after the client gave up waiting.
            time.sleep(self.timeout + 0.5)
        return response

    def _transfer_make(self, fields):
        if fields.get("destination") not in self.accounts:
            return NO_SUCH_ACCOUNT, 400
        transfer = {
            "id": f"tr_fake{len(self.transfers) + 1}",
            "object": "transfer",
            "amount": int(fields["amount"]),
            "currency": fields["currency"],
            "destination": fields["destination"],
            "transfer_group": fields.get("transfer_group"),
            "metadata": {
                "store_id": fields.get("metadata[store_id]"),
                "payout_id": fields.get("metadata[payout_id]"),
            },
        }
        self.transfers.append(transfer)
        return transfer, 200

    def _transfer_list(self, request):
        if self.listing_fails:
            return answer(FAILURE, 500)
        group = request.args.get("transfer_group")
        with self.lock:
            found = [t for t in self.transfers if group is None or t["transfer_group"] == group]
        limit = int(request.args.get("limit", 10))
        body = {"object": "list", "url": "/v1/transfers", "has_more": False, "data": found[:limit]}
        return answer(body)

    def forget_keys(self):
        """Stripe forgets idempotency keys after 24 hours."""
        with self.lock:
            self.answers.clear()
