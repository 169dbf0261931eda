"""Two app servers over shared PostgreSQL, Redis and S3, with the task worker: nothing
a visitor does on one is lost on the other, and a minute of mixed traffic over both
gives no error and keeps every write."""

import io
import itertools
import os
import random
import re
import threading
import time

import psycopg
import pytest
import requests
from PIL import Image

from scaleout.client import PASSWORD, Visitor
from scaleout.mailbox import download_link, sent_emails, wait_for_email
from scaleout.stack import DATABASE_URL, PRIVATE_BUCKET, PUBLIC_BUCKET, Stack

A, B = 0, 1
LOAD_SECONDS = int(os.environ.get("SCALE_LOAD_SECONDS", "60"))
LOAD_THREADS = 4
IMG = re.compile(r'<img src="([^"]+)"[^>]*alt="([^"]*)"')


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with Stack(tmp_path_factory.mktemp("scale")) as running:
        yield running
        running.check_running()
        # Nothing went to local disk: pictures and files are in the buckets only.
        for folder in ("local-media", "local-private"):
            assert not any((running.folder / folder).rglob("*.*")), folder
        for name in ("gunicorn-1", "gunicorn-2"):
            log = (running.logs / f"{name}.log").read_text()
            assert not re.search(r'HTTP/1\.1" 5\d\d ', log), f"a 5xx in {name}'s log"


def query(sql, *params):
    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as connection:
        return connection.execute(sql, params).fetchall()


def visitor(stack):
    return Visitor(stack.urls)


def test_both_servers_are_ready_over_the_shared_database_and_cache(stack):
    for server in (A, B):
        ready = visitor(stack).get(server, "/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"database": "ok", "cache": "ok", "tasks": "ok"}


def test_a_login_on_one_server_holds_on_the_other(stack):
    visitor(stack).sign_up(A, "traveller@example.com", "Travel Notes")

    person = visitor(stack)
    response = person.log_in(B, "traveller@example.com")
    assert response.status_code == 302

    for server in (A, B):
        library = person.get(server, "/library/")
        assert library.status_code == 200
        assert "traveller@example.com" in library.text
    logged_out = person.submit(A, "/accounts/logout/", {}, form_path="/library/")
    assert logged_out.status_code == 302
    assert person.get(B, "/library/").headers["Location"].startswith("/accounts/login/")


def test_a_product_made_on_one_server_shows_with_its_picture_on_the_other(stack):
    creator = visitor(stack)
    creator.sign_up(A, "painter@example.com", "Painted Pixels")
    # B caches the landing page in Redis without the store (it has no product yet).
    assert "Painted Pixels" not in visitor(stack).get(B, "/").text

    path = creator.add_product(A, "Watercolour Brushes")

    page = visitor(stack).get(B, path)
    assert page.status_code == 200
    assert "Watercolour Brushes" in page.text
    src = {alt: src for src, alt in IMG.findall(page.text)}["Watercolour Brushes"]
    assert src.startswith(f"{stack.s3.endpoint_url}/{PUBLIC_BUCKET}/products/")
    picture = requests.get(src, timeout=10)  # no signature: the bucket is public
    assert picture.status_code == 200
    assert Image.open(io.BytesIO(picture.content)).format == "WEBP"  # a web size
    # A's change dropped the shared copy: B shows the store at once.
    landing_after = visitor(stack).get(B, "/")
    assert re.search(r"Painted Pixels.*?1 product\b", landing_after.text, re.S)


def test_a_purchase_on_one_server_downloads_from_the_other(stack):
    creator = visitor(stack)
    creator.sign_up(A, "author@example.com", "Author Desk")
    path = creator.add_product(A, "Short Stories", price="3")
    buyer = visitor(stack)
    buyer.sign_up(A, "fan@example.com", "Fan Shelf")
    # B keeps the buyer's own copy of the product page.
    assert "You own this." not in buyer.get(B, path).text

    buyer.buy(A, path, "fan@example.com")

    # The worker sends the receipt: its link points at SITE_URL; follow it on B.
    receipt = wait_for_email(stack.emails, "fan@example.com", "Your purchase of Short Stories")
    link = download_link(receipt)
    download = buyer.get(B, link.removeprefix(stack.urls[A]))
    assert download.status_code == 302
    signed = download.headers["Location"]
    assert signed.startswith(f"{stack.s3.endpoint_url}/{PRIVATE_BUCKET}/files/")
    file = requests.get(signed, timeout=10)
    assert file.status_code == 200
    assert file.content == b"%PDF-1.4 Short Stories\n"
    assert file.headers["Content-Disposition"] == 'attachment; filename="guide.pdf"'
    unsigned = requests.get(signed.split("?")[0], timeout=10)
    assert unsigned.status_code == 403
    assert "Short Stories" in buyer.get(B, "/library/").text
    # The purchase retired B's copy: the page tells the buyer at once.
    assert "You own this." in buyer.get(B, path).text
    sales = creator.get(B, "/sales/")
    assert "fan@example.com" in sales.text
    assert wait_for_email(stack.emails, "author@example.com", "You sold Short Stories")


def test_failed_logins_count_across_servers(stack):
    visitor(stack).sign_up(A, "careful@example.com", "Careful Co")
    intruder = visitor(stack)

    statuses = [
        intruder.log_in(server, "careful@example.com", "not-the-password").status_code
        for server in (A, B, A, B, A)
    ]

    assert statuses == [200, 200, 200, 200, 429]
    for server in (A, B):
        locked = intruder.log_in(server, "careful@example.com", PASSWORD)
        assert locked.status_code == 429
        assert "Too many failed logins" in locked.text


class Traffic:
    """Several visitors reading and writing over both servers for a while."""

    def __init__(self, stack, seconds, threads):
        self.stack = stack
        self.deadline = time.monotonic() + seconds
        self.threads = threads
        self.lock = threading.Lock()
        self.errors = []
        self.actions = 0
        self.products = {}  # path: latest name
        self.orders = {}  # checkout session id: buyer email
        self.counter = itertools.count(1)

    def record_error(self, what, error):
        with self.lock:
            self.errors.append(f"{what}: {error!r}"[:500])

    def run(self):
        workers = [threading.Thread(target=self.visit, args=(n,)) for n in range(self.threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    def visit(self, number):
        rng = random.Random(number)
        creator = visitor(self.stack)
        try:
            creator.sign_up(number % 2, f"load{number}@example.com", f"Load Store {number}")
        except Exception as error:
            self.record_error(f"sign-up of visitor {number}", error)
            return
        mine = []
        reads = ["/", "/products/", "/stores/", f"/stores/load-store-{number}/"]
        while time.monotonic() < self.deadline:
            server = rng.choice((A, B))
            action = rng.choices(["read", "create", "edit", "buy"], weights=[60, 15, 10, 15])[0]
            n = next(self.counter)
            try:
                if action == "create" or not mine:
                    name = f"Load product {n}"
                    path = creator.add_product(server, name, picture=n % 2 == 0)
                    mine.append(path)
                    with self.lock:
                        self.products[path] = name
                elif action == "edit":
                    path = rng.choice(mine)
                    name = f"Load product {n} edited"
                    response = creator.edit_product(server, path, name)
                    assert response.status_code == 302, response.status_code
                    with self.lock:
                        self.products[path] = name
                elif action == "buy":
                    with self.lock:
                        path = rng.choice(list(self.products))
                    email = f"guest{n}@example.com"
                    session_id = visitor(self.stack).buy(server, path, email)
                    with self.lock:
                        self.orders[session_id] = email
                else:
                    with self.lock:
                        known = list(self.products)
                    path = rng.choice(reads + known[-20:])
                    response = creator.get(server, path)
                    assert response.status_code == 200, (path, response.status_code)
            except Exception as error:  # everything counts: a status, a timeout, a reset
                self.record_error(f"{action} on server {server}", error)
            with self.lock:
                self.actions += 1


def test_a_minute_of_mixed_traffic_over_both_servers_loses_nothing(stack):
    traffic = Traffic(stack, LOAD_SECONDS, LOAD_THREADS)

    traffic.run()

    print(
        f"{traffic.actions} actions in {LOAD_SECONDS}s: {len(traffic.products)} products, "
        f"{len(traffic.orders)} orders, {len(traffic.errors)} errors"
    )
    assert traffic.errors == []
    assert len(traffic.products) >= 10
    assert len(traffic.orders) >= 10
    # Every product, with its latest name, on both servers and in the database.
    for path, name in traffic.products.items():
        for server in (A, B):
            page = visitor(stack).get(server, path)
            assert page.status_code == 200
            assert f">{name}</h1>" in page.text, (server, path, name)
    names = dict(query("SELECT id, name FROM products_product"))
    for path, name in traffic.products.items():
        assert names[int(path.strip("/").rsplit("/", 1)[1])] == name
    # Every order paid, and its receipt sent by the worker.
    paid = dict(
        query(
            "SELECT stripe_session_id, email FROM orders_order WHERE status = 'paid' "
            "AND stripe_session_id = ANY(%s)",
            list(traffic.orders),
        )
    )
    assert paid == traffic.orders
    deadline = time.monotonic() + 60
    while True:
        receipts = {to for to, subject, _ in sent_emails(stack.emails) if "purchase" in subject}
        missing = set(traffic.orders.values()) - receipts
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not missing, f"{len(missing)} receipts never sent"
