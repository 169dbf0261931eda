"""Faults under load, on the scale-out stack: `make test-faults`.

The stack (two gunicorn app servers, the task worker, PostgreSQL, SeaweedFS's S3) runs
as production does, DEBUG off, with parts of this test's own: a redis-server on a free
port, a fake Stripe on another origin that can answer slowly, and an SMTP server that
can hold a sender mid-send. While visitors, a member, a creator and a buyer keep using
both servers (scaleout/faults.py), each test breaks one part, checks what users got,
and puts the part back. The table of every fault is printed at the end.
"""

import atexit
import contextlib
import logging
import random
import signal
import threading
import time
from dataclasses import dataclass

import psycopg
import pytest
import requests
from pytest_httpserver import HTTPServer

from scaleout.faults import (
    SLOW_TIMEOUT,
    Catalogue,
    Client,
    Fault,
    Load,
    Recorder,
    status,
)
from scaleout.redis_server import RedisServer
from scaleout.seaweedfs import free_port
from scaleout.smtp_server import SMTPServer
from scaleout.stack import DATABASE_URL, Stack
from tests.orders.fake_stripe import FakeStripe, site_settings

FAULT_SECONDS = 8
EMAIL_TIMEOUT = 10
# A task its worker took and never finished runs again after this (more than a send).
TASK_LEASE_SECONDS = 15
GUNICORN_TIMEOUT = 30
CREATOR = "maker@example.com"
MEMBER = "member@example.com"
SLEEPER = "sleeper@example.com"
OLD_NAME = "Lantern Guide"
NEW_NAME = "Lantern Guide, second edition"


class SlowStripe(FakeStripe):
    """The fake Stripe with its pay pages, whose session answer can be slow."""

    def __init__(self, server):
        super().__init__(server)
        self.delay = 0
        self.lock = threading.Lock()

    def _session_with_pay_page(self, request):
        time.sleep(self.delay)
        with self.lock:  # one number per session, with several asking at once
            return super()._session_with_pay_page(request)


@dataclass
class Site:
    stack: Stack
    redis: RedisServer
    smtp: SMTPServer
    stripe: SlowStripe
    recorder: Recorder
    catalogue: Catalogue
    load: Load = None

    def fault(self, name):
        return Fault(name, self.recorder)

    def client(self):
        return Client(self.recorder)

    def settle(self, fault):
        """Every process of the stack running and both servers ready again: the next
        fault starts from a healthy site. A process that stopped is a problem of
        `fault`, and is started again."""
        for name, process in list(self.stack.processes):
            if process.poll() is not None:
                fault.problems.append(f"{name} exited with code {process.returncode}")
                self.stack.restart(name)
        if not all(thread.is_alive() for thread in self.load.threads):
            fault.problems.append("a thread of the load stopped")
        deadline = time.monotonic() + 30
        for url in self.stack.urls:
            while True:
                try:
                    if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    fault.problems.append(f"{url} not ready 30 s after the fault")
                    break
                time.sleep(0.2)


def must(response, what, recorder=None):
    assert response is not None, f"{what} failed: {recorder.last() if recorder else ''}"
    return response


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    with contextlib.ExitStack() as cleanup:
        # Whatever ends the run, every process started here is stopped.
        atexit.register(cleanup.close)
        previous = signal.signal(signal.SIGTERM, _interrupt)
        cleanup.callback(signal.signal, signal.SIGTERM, previous)
        redis_log = cleanup.enter_context((folder / "redis.log").open("w"))
        redis_server = RedisServer(folder / "redis", log=redis_log)
        cleanup.callback(redis_server.stop)
        redis_server.start()
        smtp = SMTPServer().start()
        cleanup.callback(smtp.stop)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per Stripe call
        stripe_server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
        stripe_server.start()
        cleanup.callback(stripe_server.stop)
        stripe_url = stripe_server.url_for("/").rstrip("/")
        stack = Stack(
            folder,
            redis_url=redis_server.url,
            env={
                **site_settings(stripe_url),
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(smtp.port),
                "EMAIL_TIMEOUT": str(EMAIL_TIMEOUT),
                "TASK_LEASE_SECONDS": str(TASK_LEASE_SECONDS),
                "GUNICORN_TIMEOUT": str(GUNICORN_TIMEOUT),
            },
        )
        cleanup.enter_context(stack)
        stripe = SlowStripe(stripe_server)
        stripe.serve_checkout(webhook_url=f"{stack.urls[0]}/webhooks/stripe/")
        recorder = Recorder()
        site = Site(stack, redis_server, smtp, stripe, recorder, _catalogue(stack, recorder))
        site.load = Load(recorder, site.catalogue).start()
        cleanup.callback(site.load.stop)
        yield site
        stack.check_running()


def _catalogue(stack, recorder):
    """A store with four products, and two members, made through the pages."""
    a, b = stack.urls
    creator = Client(recorder)
    must(creator.sign_up(a, CREATOR, "Fault Lines"), "the creator's sign-up", recorder)
    products = [
        must(creator.product_add(a, name), f"adding {name}").headers["Location"]
        for name in (OLD_NAME, "Editable Notes", "Field Recipes", "Night Sky Atlas")
    ]
    for email, store in ((MEMBER, "Member Shelf"), (SLEEPER, "Sleeper Shelf")):
        member = Client(recorder)
        must(member.sign_up(b, email, store), f"{email}'s sign-up")
        must(member.log_out(b), f"{email}'s log out")
    store_path = "/stores/fault-lines/"
    must(creator.page(b + store_path), "the store's page")
    return Catalogue(
        urls=stack.urls,
        creator=CREATOR,
        member=MEMBER,
        store_path=store_path,
        products=products,
        edited=products[1],
    )


@contextlib.contextmanager
def fault_on(site, name):
    fault = site.fault(name)
    try:
        yield fault
    finally:
        site.settle(fault)


def test_with_no_fault_pages_answer_within_a_second_and_every_receipt_comes_once(site):
    with fault_on(site, "none") as fault:
        with fault:
            time.sleep(FAULT_SECONDS)
        fault.check_pages()
        fault.check_emails(site.smtp, seller=CREATOR)
    fault.finish()


def test_with_redis_killed_pages_answer_within_a_second_and_no_500(site):
    with fault_on(site, "Redis killed") as fault:
        try:
            with fault:
                site.redis.kill()
                time.sleep(FAULT_SECONDS)
        finally:
            site.redis.start()
        fault.check_pages()
        fault.check_emails(site.smtp, seller=CREATOR)
    fault.finish()


def test_with_redis_frozen_pages_answer_within_a_second_and_no_500(site):
    with fault_on(site, "Redis frozen (SIGSTOP)") as fault:
        try:
            with fault:
                site.redis.freeze()
                time.sleep(FAULT_SECONDS)
        finally:
            site.redis.thaw()
        fault.check_pages()
        fault.check_emails(site.smtp, seller=CREATOR)
    fault.finish()


def test_a_redis_restored_from_an_old_snapshot_shows_no_old_page_and_no_ended_session(site):
    a, b = site.stack.urls
    product = site.catalogue.products[0]
    creator, sleeper, visitor = site.client(), site.client(), site.client()
    must(creator.log_in(a, CREATOR), "the creator's log in")
    must(sleeper.log_in(a, SLEEPER), "the sleeper's log in")
    for url in (a, b):
        must(sleeper.page(f"{url}/library/"), "the sleeper's library")
        page = must(visitor.page(url + product), "the product's page")
        assert f">{OLD_NAME}</h1>" in page.text
    # Any change to the catalogue would retire the old copies the snapshot brings back.
    site.load.editing.clear()
    snapshot = site.redis.snapshot_save("old.rdb")
    ended_session = sleeper.http.cookies.copy()
    stale = revived = 0
    with fault_on(site, "Redis restored from an old snapshot") as fault:
        try:
            with fault:
                must(creator.product_edit(b, product, NEW_NAME), "the rename")
                must(sleeper.log_out(b), "the sleeper's log out")
                site.redis.kill()
                site.redis.start(snapshot=snapshot)
                deadline = time.monotonic() + FAULT_SECONDS
                while time.monotonic() < deadline:
                    for url in (a, b):
                        page = visitor.page(url + product)
                        stale += page is not None and f">{NEW_NAME}</h1>" not in page.text
                        back = site.client()
                        back.http.cookies = ended_session.copy()
                        library = back.page(f"{url}/library/", expect=status(200, 302))
                        revived += library is not None and library.status_code == 200
                    time.sleep(0.2)
        finally:
            site.load.editing.set()
            if site.redis.process.poll() is not None:  # killed, and the restart failed
                site.redis.start()
        fault.check_pages()
        fault.check_emails(site.smtp, seller=CREATOR)
        # A rename and a log out, acknowledged and then undone for some readers.
        fault.lost += stale + revived
        if stale:
            fault.problems.append(f"{stale} pages with the old name")
        if revived:
            fault.problems.append(f"{revived} pages of a logged-out session")
    fault.finish()


def test_a_worker_killed_mid_send_five_times_sends_every_receipt_once(site):
    kills = 0
    with fault_on(site, "Worker killed mid-send, 5 times") as fault:
        try:
            with fault:
                site.smtp.hold()
                for _ in range(5):
                    if not wait_for_held_send(site.smtp, site.smtp.held):
                        fault.problems.append(f"no send to catch after {kills} kills")
                        break
                    site.stack.kill("worker")
                    kills += 1
                    site.stack.restart("worker")
        finally:
            site.smtp.let_go()
        # A killed worker's task waits for its lease to end, then runs again.
        fault.check_emails(site.smtp, seller=CREATOR, timeout=TASK_LEASE_SECONDS + 25)
        fault.check_pages()
    fault.finish()


def test_the_worker_and_pages_recover_from_terminated_database_connections(site):
    with fault_on(site, "Database connections terminated") as fault:
        try:
            with fault:
                # The worker in the middle of a task, its connection open: held mid-send.
                site.smtp.hold()
                if not wait_for_held_send(site.smtp, site.smtp.held):
                    fault.problems.append("no send to catch")
                terminated = terminate_connections()
                after = time.monotonic()
                site.smtp.let_go()
                time.sleep(FAULT_SECONDS)
                # A purchase queued afterwards: the worker must still be there to send it.
                must(
                    site.client().buy(
                        site.stack.urls[1], site.catalogue.products[2], "late@example.com"
                    ),
                    "a purchase after the termination",
                    site.recorder,
                )
        finally:
            site.smtp.let_go()
        if terminated < 3:  # both servers' connections and the worker's at least
            fault.problems.append(f"only {terminated} connections to terminate")
        # Requests under way when their connection went may fail; none after.
        failed = fault.errors([r for r in fault.records if r.started >= after])
        if failed:
            fault.problems.append(f"{len(failed)} requests failed after the termination")
            fault.show(failed)
        # The worker is still there (fault_on says if it exited), and sends.
        fault.check_emails(site.smtp, seller=CREATOR, timeout=TASK_LEASE_SECONDS + 25)
    fault.finish()


def wait_for_held_send(smtp, held, timeout=TASK_LEASE_SECONDS + 30):
    """Whether a sender was held at DATA after `held` were, within `timeout`."""
    deadline = time.monotonic() + timeout
    while smtp.held == held and time.monotonic() < deadline:
        time.sleep(0.02)
    return smtp.held > held


def terminate_connections():
    """pg_terminate_backend on every connection to the stack's database but this one."""
    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as db:
        return db.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]


def test_with_stripe_answering_in_15_seconds_other_pages_answer_within_a_second(site):
    with fault_on(site, "Stripe slow (15 s)") as fault:
        site.stripe.delay = 15
        site.load.buy_expect = status(303, 302, 503)
        buyers = []
        try:
            with fault:
                until = time.monotonic() + 2 * FAULT_SECONDS
                for number in range(4):
                    buyer = threading.Thread(
                        target=site.load.buyer, args=(random.Random(number), until), daemon=True
                    )
                    buyer.start()
                    buyers.append(buyer)
                time.sleep(2 * FAULT_SECONDS)
        finally:
            site.stripe.delay = 0
            for buyer in buyers:
                buyer.join(timeout=SLOW_TIMEOUT + 10)
            site.load.buy_expect = status(303)
        # Buy may say "busy" or "failed": every other page must keep flowing.
        fault.check_pages()
        fault.check_emails(site.smtp, seller=CREATOR)
    fault.finish()


def failed_cleanly(response):
    """A page saying the upload failed and to try again, in time: a 4xx or 5xx, never
    a 500, within gunicorn's timeout (which a gthread worker does not apply to one
    request)."""
    return (
        400 <= response.status_code < 600
        and response.status_code != 500
        and "try again" in response.text.lower()
        and response.elapsed.total_seconds() < GUNICORN_TIMEOUT
    )


def test_with_s3_frozen_uploads_fail_cleanly_and_other_pages_answer_within_a_second(site):
    uploads = []

    def upload(url, number):
        creator = site.client()
        creator.log_in(url, CREATOR)
        until = time.monotonic() + FAULT_SECONDS
        while time.monotonic() < until:
            answer = creator.product_add(
                url,
                f"Frozen upload {number}",
                expect=failed_cleanly,
                timeout=GUNICORN_TIMEOUT + 15,
            )
            uploads.append(answer)

    with fault_on(site, "S3 frozen (SIGSTOP)") as fault:
        uploaders = [
            threading.Thread(target=upload, args=(url, n), daemon=True)
            for n, url in enumerate(site.stack.urls)
        ]
        try:
            with fault:
                site.stack.s3.freeze()
                for uploader in uploaders:
                    uploader.start()
                for uploader in uploaders:
                    uploader.join(timeout=2 * GUNICORN_TIMEOUT + 30)
        finally:
            site.stack.s3.thaw()
        fault.check_pages()
        fault.check_emails(site.smtp, seller=CREATOR)
        if not uploads:
            fault.problems.append("no upload was tried")
        with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as db:
            saved = db.execute(
                "SELECT count(*) FROM products_product WHERE name LIKE 'Frozen upload %'"
            ).fetchone()[0]
        if saved:
            fault.problems.append(f"{saved} products saved by uploads that failed")
    fault.finish()
