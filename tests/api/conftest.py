import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from api.models import TokenScope
from api.services import access_token_create
from tests.factories import StoreFactory


class ApiClient:
    """The test client speaking to the API with a token (None: without one)."""

    def __init__(self, client, text):
        self.client = client
        self.text = text

    def _headers(self):
        return {"Authorization": f"Bearer {self.text}"} if self.text else {}

    def get(self, path, data=None, **headers):
        return self.client.get(path, data, headers={**self._headers(), **headers})

    def delete(self, path, **headers):
        return self.client.delete(path, headers={**self._headers(), **headers})

    def send(self, method, path, data=None, *, form=False, **headers):
        """POST or PUT `data` as JSON, or form-encoded (`form`)."""
        headers = {**self._headers(), **headers}
        if form:
            from urllib.parse import urlencode

            body, content_type = urlencode(data or {}), "application/x-www-form-urlencoded"
        else:
            body, content_type = json.dumps(data or {}), "application/json"
        return self.client.generic(method, path, body, content_type=content_type, headers=headers)

    def post(self, path, data=None, **kwargs):
        return self.send("POST", path, data, **kwargs)

    def put(self, path, data=None, **kwargs):
        return self.send("PUT", path, data, **kwargs)


@pytest.fixture
def seller(db):
    """A store owner."""
    return StoreFactory().owner


@pytest.fixture
def api(client, seller):
    """The API with a read-write token of `seller`."""
    _, text = access_token_create(user=seller, name="CI", scope=TokenScope.READ_WRITE)
    return ApiClient(client, text)


@pytest.fixture
def read_api(client, seller):
    """The API with a read-only token of `seller`."""
    _, text = access_token_create(user=seller, name="Reader", scope=TokenScope.READ)
    return ApiClient(client, text)


@pytest.fixture
def anonymous_api(client):
    return ApiClient(client, None)


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def signature_valid(secret, header, body, *, tolerance=300):
    """A seller's check of the Yumroad-Signature header, as the README shows it."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - timestamp) < tolerance


class Receiver:
    """A seller's server on loopback: it answers each POST with the next of `statuses`
    (then 200), after `delay` seconds, and keeps what it received. `secret`, once set,
    is checked against each request's signature."""

    def __init__(self):
        self.statuses = []
        self.delay = 0
        self.secret = None
        self.requests = []
        self.signatures_valid = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                if receiver.secret is not None:
                    receiver.signatures_valid.append(
                        signature_valid(receiver.secret, self.headers["Yumroad-Signature"], body)
                    )
                time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                answer = b'{"ok": true}' if status < 300 else b"x" * 1000
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/yumroad?via=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def bodies(self):
        return [json.loads(request["body"]) for request in self.requests]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def private_allowed(settings):
    """Webhooks to loopback and over http: the receiver runs on this machine."""
    settings.SELLER_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def database_tasks(settings):
    """Tasks queued in the database for the worker, as production runs them; retries
    due at once, so that one run of the worker makes every try."""
    settings.TASKS = DATABASE_TASKS
    settings.SELLER_WEBHOOK_RETRY_SECONDS = [0, 0, 0, 0, 0]


@pytest.fixture
def live_api(live_server, settings):
    """Requests to the API of a live server (for requests at once, each on its own
    connection), with production settings, and a read-write token of a new seller:
    `live_api.seller`; `live_api.request(method, path, body)` is an action for race()
    that returns the answer's status and JSON."""
    settings.DEBUG = False
    seller = StoreFactory().owner
    _, text = access_token_create(user=seller, name="CI", scope=TokenScope.READ_WRITE)
    headers = {"Authorization": f"Bearer {text}", "Content-Type": "application/json"}

    def request(method, path, body=None):
        def action():
            data = json.dumps(body or {}).encode()
            sent = urllib.request.Request(
                live_server.url + path, data=data, headers=headers, method=method
            )
            try:
                with urllib.request.urlopen(sent, timeout=60) as response:
                    return response.status, json.load(response)
            except urllib.error.HTTPError as error:
                return error.code, json.load(error)

        return action

    return SimpleNamespace(seller=seller, request=request)
