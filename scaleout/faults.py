"""The fault test's load and its accounting (scaleout/test_faults.py).

A few threads act on both app servers until stopped, in bounded loops with pauses:
visitors read catalogue pages, a member logs in and out, a creator edits a product, a
buyer buys through the fake Stripe. Every HTTP request is recorded: what it was, when
it started, how long it took, and whether it got what a user expects. A fault is a
window of time: its row of the table counts the requests that started in it, the
emails of the orders paid in it that never came (lost) or came twice (duplicated),
and the 95th percentile of the pages' answer times.
"""

import itertools
import random
import re
import threading
import time
from dataclasses import dataclass, field

import requests

from scaleout.client import PASSWORD, png_bytes

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PAGE_TIMEOUT = 10
SLOW_TIMEOUT = 60
P95_LIMIT = 1.0
RECEIPT = "Your purchase of "
ROWS = []  # the table, printed at the end (scaleout/conftest.py)


class LoopbackCookies(requests.cookies.RequestsCookieJar):
    """DEBUG is off, so the session and CSRF cookies are Secure. In production a proxy
    ends TLS in front of the app servers; here the client stands where that proxy is,
    on loopback, and sends them over plain HTTP."""

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


def status(*codes):
    return lambda response: response.status_code in codes


OK, FOUND, SEE_OTHER = status(200), status(302), status(303)


@dataclass(frozen=True)
class Record:
    kind: str  # "page" for a GET of a page; else the action: login, edit, buy...
    started: float
    seconds: float
    ok: bool
    outcome: str  # the status, or the exception
    url: str


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.records = []
        self.orders = []  # (paid at, buyer's email): the fake Stripe answered Pay
        self.under_way = {}  # a request's id: when it started

    def begin(self, started):
        key = object()
        with self.lock:
            self.under_way[key] = started
        return key

    def settle(self, before, timeout=SLOW_TIMEOUT + 10):
        """Wait until every request that started before `before` has answered (or
        failed): one still hanging belongs in the count too."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(started >= before for started in self.under_way.values()):
                    return
            time.sleep(0.1)

    def add(self, key, record):
        with self.lock:
            del self.under_way[key]
            self.records.append(record)

    def last(self, count=3):
        with self.lock:
            return self.records[-count:]

    def paid(self, email):
        with self.lock:
            self.orders.append((time.monotonic(), email))

    def between(self, start, end):
        with self.lock:
            records = [r for r in self.records if start <= r.started < end]
            orders = [email for at, email in self.orders if start <= at < end]
        return records, orders


class Client:
    """A browser: one cookie jar for every app server, each request recorded."""

    def __init__(self, recorder):
        self.recorder = recorder
        self.http = requests.Session()
        self.http.cookies = LoopbackCookies()
        # A connection of its own for each request: a kept-alive one that the server
        # closes (after GUNICORN_KEEPALIVE) just as it is reused fails in requests,
        # where a browser would quietly try again.
        self.http.headers["Connection"] = "close"

    def call(self, kind, method, url, *, expect, timeout=PAGE_TIMEOUT, **kwargs):
        """The response if `expect` holds for it, else None."""
        started = time.monotonic()
        key = self.recorder.begin(started)
        try:
            response = self.http.request(
                method, url, allow_redirects=False, timeout=timeout, **kwargs
            )
            outcome, ok = str(response.status_code), expect(response)
        except Exception as error:  # everything counts: a timeout, a reset, a bad answer
            response, outcome, ok = None, f"{type(error).__name__}: {error}"[:300], False
        seconds = time.monotonic() - started
        self.recorder.add(key, Record(kind, started, seconds, ok, outcome, url))
        return response if ok else None

    def page(self, url, expect=OK):
        return self.call("page", "GET", url, expect=expect)

    def submit(self, kind, url, data, *, form_url=None, files=None, expect, timeout=PAGE_TIMEOUT):
        """POST a form as a browser does, its page first for the CSRF token."""
        page = self.page(
            form_url or url,
            expect=lambda r: r.status_code == 200 and CSRF.search(r.text) is not None,
        )
        if page is None:
            return None
        token = CSRF.search(page.text).group(1)
        return self.call(
            kind,
            "POST",
            url,
            data={"csrfmiddlewaretoken": token, **data},
            files=files,
            expect=expect,
            timeout=timeout,
        )

    def sign_up(self, url, email, store_name):
        """Sign up, then open the store: the response to the second, or None."""
        data = {"email": email, "password": PASSWORD, "confirm": PASSWORD}
        if self.submit("sign up", f"{url}/accounts/signup/", data, expect=status(302)) is None:
            return None
        return self.submit(
            "open store", f"{url}/stores/new/", {"name": store_name}, expect=status(302)
        )

    def log_in(self, url, email):
        data = {"email": email, "password": PASSWORD}
        return self.submit("login", f"{url}/accounts/login/", data, expect=status(302))

    def log_out(self, url):
        return self.submit(
            "logout", f"{url}/accounts/logout/", {}, form_url=f"{url}/library/", expect=status(302)
        )

    def product_add(self, url, name, *, expect=FOUND, timeout=PAGE_TIMEOUT):
        files = {
            "file": ("guide.pdf", f"%PDF-1.4 {name}\n".encode(), "application/pdf"),
            "image": ("cover.png", png_bytes(), "image/png"),
        }
        data = {"name": name, "description": f"All about {name}.", "price": "5"}
        return self.submit(
            "upload",
            f"{url}/products/create/",
            data,
            files=files,
            expect=expect,
            timeout=timeout,
        )

    def product_edit(self, url, path, name):
        data = {"name": name, "description": f"All about {name}.", "price": "5"}
        return self.submit("edit", f"{url}{path}edit/", data, expect=status(302))

    def buy(self, url, path, email, *, expect=SEE_OTHER):
        """Buy as a guest through the fake Stripe's pay page: True once paid."""
        started = self.submit(
            "buy",
            f"{url}{path}buy/",
            {},
            form_url=f"{url}{path}",
            expect=expect,
            timeout=SLOW_TIMEOUT,
        )
        if started is None or started.status_code != 303:
            return False
        paid = self.call(
            "pay", "POST", started.headers["Location"], data={"email": email}, expect=status(303)
        )
        if paid is None:
            return False
        self.recorder.paid(email)
        return True


@dataclass
class Catalogue:
    """What the load acts on, made before it starts."""

    urls: list
    creator: str
    member: str
    store_path: str
    products: list  # paths, /products/<id>/
    edited: str  # the product the creator keeps renaming


class Load:
    """The mixed traffic, on both servers, until `stop`."""

    def __init__(self, recorder, catalogue):
        self.recorder = recorder
        self.catalogue = catalogue
        self.stopping = threading.Event()
        self.numbers = itertools.count(1)
        # What a Buy may answer: the checkout's address; a slow Stripe also allows
        # "busy" (503) and "failed, try again" (back to the product page).
        self.buy_expect = status(303)
        self.editing = threading.Event()
        self.editing.set()
        self.threads = []

    def start(self):
        actors = [self.reader, self.reader, self.member, self.editor, self.buyer]
        for number, actor in enumerate(actors):
            thread = threading.Thread(target=actor, args=(random.Random(number),), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=SLOW_TIMEOUT + 10)

    def pause(self, seconds):
        self.stopping.wait(seconds)

    def running(self, until=None):
        return not self.stopping.is_set() and (until is None or time.monotonic() < until)

    def reader(self, rng):
        cat = self.catalogue
        paths = ["/", "/products/", cat.store_path, *cat.products]
        client = Client(self.recorder)
        while self.running():
            client.page(rng.choice(cat.urls) + rng.choice(paths))
            self.pause(0.1)

    def member(self, rng):
        cat = self.catalogue
        client = Client(self.recorder)
        while self.running():
            url = rng.choice(cat.urls)
            if client.log_in(url, cat.member):
                other = rng.choice(cat.urls)
                client.page(
                    f"{other}/library/",
                    expect=lambda r: r.status_code == 200 and cat.member in r.text,
                )
                client.log_out(rng.choice(cat.urls))
            self.pause(1)

    def editor(self, rng):
        cat = self.catalogue
        client = Client(self.recorder)
        client.log_in(cat.urls[0], cat.creator)
        while self.running():
            if self.editing.is_set():
                client.product_edit(rng.choice(cat.urls), cat.edited, f"Notes {next(self.numbers)}")
            self.pause(0.5)

    def buyer(self, rng, until=None):
        cat = self.catalogue
        while self.running(until):
            email = f"buyer{next(self.numbers)}@example.com"
            Client(self.recorder).buy(
                rng.choice(cat.urls), rng.choice(cat.products), email, expect=self.buy_expect
            )
            self.pause(0.5)


def p95(seconds):
    if not seconds:
        return 0.0
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def emails_of_orders(smtp, buyers, *, seller, timeout):
    """(lost, duplicated): each order's receipt to its buyer and notice to the seller
    should come once. Waits up to `timeout` for the missing ones."""
    deadline = time.monotonic() + timeout
    while True:
        sent = smtp.received()
        counts = []
        for buyer in buyers:
            counts.append(sum(m.to == buyer and m.subject.startswith(RECEIPT) for m in sent))
            counts.append(sum(m.to == seller and m.reply_to == buyer for m in sent))
        lost = counts.count(0)
        if not lost or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    time.sleep(1)  # a second copy right behind the first
    sent = smtp.received()
    duplicated = 0
    for buyer in buyers:
        duplicated += max(0, sum(m.to == buyer and m.subject.startswith(RECEIPT) for m in sent) - 1)
        duplicated += max(0, sum(m.to == seller and m.reply_to == buyer for m in sent) - 1)
    return lost, duplicated


@dataclass
class Fault:
    """One fault's window of time, what happened in it, and what went wrong."""

    name: str
    recorder: Recorder
    started: float = 0.0
    ended: float = 0.0
    lost: int = 0
    duplicated: int = 0
    problems: list = field(default_factory=list)  # short: the table shows them
    details: list = field(default_factory=list)  # the failure's message only

    def __enter__(self):
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc_info):
        self.ended = time.monotonic()

    @property
    def records(self):
        self.recorder.settle(self.ended)
        return self.recorder.between(self.started, self.ended)[0]

    @property
    def orders(self):
        return self.recorder.between(self.started, self.ended)[1]

    def pages(self):
        return [r for r in self.records if r.kind == "page"]

    def errors(self, records=None):
        return [r for r in (self.records if records is None else records) if not r.ok]

    def show(self, records, count=5):
        self.details += [f"{r.kind} {r.url} -> {r.outcome}" for r in records[:count]]

    def check_pages(self):
        """Every request got what a user expects, and pages answered within a second."""
        errors = self.errors()
        if errors:
            self.problems.append(f"{len(errors)} errors")
            self.show(errors)
        slowest = p95([r.seconds for r in self.pages()])
        if slowest >= P95_LIMIT:
            self.problems.append(f"pages' p95 {slowest:.2f} s")

    def check_emails(self, smtp, *, seller, timeout=20):
        self.lost, self.duplicated = emails_of_orders(
            smtp, self.orders, seller=seller, timeout=timeout
        )
        if self.lost:
            self.problems.append(f"{self.lost} emails of paid orders never sent")
        if self.duplicated:
            self.problems.append(f"{self.duplicated} emails sent twice")

    def finish(self):
        """The fault's row in the table; fails with what went wrong."""
        records = self.records
        ROWS.append(
            (
                self.name,
                len(records),
                len(self.errors(records)),
                self.lost,
                self.duplicated,
                p95([r.seconds for r in records if r.kind == "page"]),
                "FAIL: " + "; ".join(self.problems) if self.problems else "pass",
            )
        )
        assert not self.problems, "\n".join([f"{self.name}:", *self.problems, *self.details])


def table(rows):
    lines = [
        "| fault | requests | errors | lost | duplicated | p95 | result |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, count, errors, lost, duplicated, slowest, result in rows:
        lines.append(
            f"| {name} | {count} | {errors} | {lost} | {duplicated} | {slowest:.2f} s | {result} |"
        )
    return "\n".join(lines)
