"""Two gunicorn workers without Redis, as `make serve` runs them: a change made in any
process shows at once on both workers, and an ended session gets no member's page.

The site runs with production settings over a SQLite database of its own; changes are
made through `manage.py shell` against it (a third process, sending the same signals
as the site's forms). Which worker answered a request is read from gunicorn's access
log, which here names each request's X-Probe header and the worker's process id.
"""

import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.urls import reverse

from scaleout.seaweedfs import free_port
from tests.factories import PASSWORD
from tests.live import CSRF_INPUT

BIN = Path(sys.executable).parent
MEMBER = "member@example.com"
# Reads until each worker has answered this many, and at most so many in all.
READS_PER_WORKER = 5
MAX_READS = 300


class Site:
    def __init__(self, folder):
        self.folder = folder
        self.url = f"http://127.0.0.1:{free_port()}"
        self.access_log = folder / "access.log"
        self.env = {
            **{
                key: value
                for key, value in os.environ.items()
                if not key.startswith(
                    ("REDIS_", "DATABASE_", "CACHE_", "GUNICORN_", "AWS_", "STRIPE_", "EMAIL_")
                )
            },
            "DEBUG": "false",
            "SECRET_KEY": "two-workers-test-only",
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "CACHE_DIR": str(folder / "cache"),
            "MEDIA_ROOT": str(folder / "media"),
            "PRIVATE_MEDIA_ROOT": str(folder / "private"),
            "TASK_BACKEND": "immediate",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_BIND": self.url.removeprefix("http://"),
            "GUNICORN_WORKERS": "2",
            "GUNICORN_ACCESS_LOG": str(self.access_log),
        }
        self.probes = itertools.count()
        self.process = None

    def manage(self, *args, code=None):
        """Run manage.py with `args` (`shell -c code` with `code`); its output."""
        command = [sys.executable, "manage.py", *args, *(["-v0", "-c", code] if code else [])]
        result = subprocess.run(
            command, cwd=settings.BASE_DIR, env=self.env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def start(self):
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                *("-c", "gunicorn.conf.py", "--no-control-socket"),
                *("--access-logformat", "%({x-probe}i)s %(p)s"),
            ],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=(self.folder / "gunicorn.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.folder / "gunicorn.log").read_text()
            try:
                if requests.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow to answer
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer: {(self.folder / 'gunicorn.log').read_text()}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def request(self, method, path, cookies=None, data=None):
        """One request on a new connection, which either worker may take."""
        return requests.request(
            method,
            self.url + path,
            headers={"X-Probe": str(next(self.probes)), "Connection": "close"},
            cookies=cookies,
            data=data,
            allow_redirects=False,
            timeout=30,
        )

    def workers_of(self, responses):
        """The process id of the worker that answered each of `responses`."""
        probes = [response.request.headers["X-Probe"] for response in responses]
        deadline = time.monotonic() + 30
        while True:
            # A worker logs a request just after answering it.
            logged = dict(line.split() for line in self.access_log.read_text().splitlines())
            if all(probe in logged for probe in probes):
                return [logged[probe] for probe in probes]
            assert time.monotonic() < deadline, "requests missing from the access log"
            time.sleep(0.05)

    def read_on_both_workers(self, path, cookies=None):
        """GET `path` until each of the two workers has answered it READS_PER_WORKER
        times: every answer, as (worker, response)."""
        answers = []
        while len(answers) < MAX_READS:
            # Ten at once: one after another, the same idle worker may take them all.
            with ThreadPoolExecutor(max_workers=10) as pool:
                responses = list(pool.map(lambda _: self.request("GET", path, cookies), range(10)))
            answers += zip(self.workers_of(responses), responses, strict=True)
            counts = Counter(worker for worker, _ in answers)
            if len(counts) == 2 and min(counts.values()) >= READS_PER_WORKER:
                return answers
        raise AssertionError(f"both workers did not answer {path} in {MAX_READS} reads")

    def browse(self, method, path, cookies, data=None):
        """A request as a browser makes it: with `cookies`, which it then updates as
        the response says (Secure cookies too, over this http)."""
        response = self.request(method, path, cookies, data)
        for header in response.raw.headers.getlist("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    cookies.pop(name, None)
                else:
                    cookies[name] = morsel.value
        return response

    def log_in(self, email):
        """A logged-in member's cookies, once the page after logging in is shown."""
        cookies = {}
        token = CSRF_INPUT.search(self.browse("GET", reverse("accounts:login"), cookies).text)[1]
        response = self.browse(
            "POST",
            reverse("accounts:login"),
            cookies,
            {"csrfmiddlewaretoken": token, "email": email, "password": PASSWORD},
        )
        assert response.status_code == 302, response.text
        self.browse("GET", response.headers["Location"], cookies)
        assert set(cookies) == {"csrftoken", "sessionid"}
        return cookies


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("two-workers"))
    try:
        site.start()
        yield site
    finally:
        site.stop()


@pytest.fixture(scope="module")
def product_id(site):
    """The id of a product in a store; a member who owns nothing is made too."""
    return site.manage(
        "shell",
        code=(
            "from tests.factories import ProductFactory, UserFactory; "
            f"UserFactory(email={MEMBER!r}); "
            "print(ProductFactory(name='Sourdough Guide', store__name='Bakery').pk)"
        ),
    )


def shows(answers, text):
    """The workers whose answers show `text`, and those whose answers do not."""
    showing = {pid for pid, response in answers if text in response.text}
    return showing, {pid for pid, response in answers if text not in response.text}


def test_a_renamed_then_deleted_product_shows_at_once_on_both_workers(site, product_id):
    product_page = reverse("products:detail", args=[product_id])
    pages = [reverse("products:index"), product_page]
    for page in pages:
        assert shows(site.read_on_both_workers(page), "Sourdough Guide")[1] == set()

    site.manage(
        "shell",
        code=(
            "from products.models import Product; "
            f"product = Product.objects.get(pk={product_id}); "
            "product.name = 'Rye Guide'; product.save()"
        ),
    )

    for page in pages:
        answers = site.read_on_both_workers(page)
        assert shows(answers, "Sourdough Guide")[0] == set(), f"stale {page}"
        assert shows(answers, "Rye Guide")[1] == set()

    site.manage(
        "shell",
        code=f"from products.models import Product; Product.objects.get(pk={product_id}).delete()",
    )

    assert shows(site.read_on_both_workers(reverse("products:index")), "Rye Guide")[0] == set()
    answers = site.read_on_both_workers(product_page)
    assert {response.status_code for _, response in answers} == {404}


def test_an_ended_session_gets_the_members_page_on_neither_worker(site, product_id):
    page = reverse("products:stores")
    logged_out = site.log_in(MEMBER)
    ended = site.log_in(MEMBER)
    for cookies in (logged_out, ended):
        assert shows(site.read_on_both_workers(page, cookies), MEMBER)[1] == set()

    # One session logs out; the password changes elsewhere, which ends the other. Both
    # sessions' cookies are then sent again, as a stolen copy would be.
    token = CSRF_INPUT.search(site.request("GET", page, logged_out).text)[1]
    logout = site.request(
        "POST", reverse("accounts:logout"), logged_out, {"csrfmiddlewaretoken": token}
    )
    site.manage(
        "shell",
        code=(
            "from accounts.models import User; "
            f"member = User.objects.get(email={MEMBER!r}); "
            "member.set_password('another-Str0ng-passphrase'); member.save()"
        ),
    )

    assert (logout.status_code, logout.headers["Location"]) == (302, reverse("products:index"))
    for cookies in (logged_out, ended):
        answers = site.read_on_both_workers(page, cookies)
        assert shows(answers, MEMBER)[0] == set(), "a member's page for an ended session"
        assert shows(answers, "Log in")[1] == set()
