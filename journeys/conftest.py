"""The browser journeys: Playwright drives Debian's Chromium against a real server.

The server is `manage.py runserver` as `make run` starts it (DEBUG on, so the local test
checkout stands in for Stripe), on a fresh SQLite database, writing emails to files the
journeys read; or, for buying as production does (`production_site`), gunicorn with
DEBUG off, a fake Stripe and SeaweedFS's S3, each on an origin of its own. Every page a
journey looks at goes through `Pages.check`, at the browser's size and at a phone's
(390 px): axe-core finds no serious or critical accessibility problem, the browser
logged no error (a Content-Security-Policy violation is one), the page is no wider than
the phone, and a screenshot of each size lands in screenshots/.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright
from pytest_httpserver import HTTPServer

from scaleout.mailbox import wait_for_email
from scaleout.seaweedfs import SeaweedFS, free_port
from tests.orders.fake_stripe import FakeStripe, site_settings

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# What works on a machine with no network and no screen, as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = PROJECT / "journeys" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or PROJECT / "screenshots")
PHONE = {"width": 390, "height": 844}
# Run in every page before its own scripts: the page's CSP can't stop it.
CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.violatedDirective} `
    + `blocked ${event.blockedURI}`);
});
"""


class Site:
    """A server of the project on a loopback port, and the emails it sent."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.emails = folder / "emails"
        self.log = folder / "server.log"
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "STRIPE_", "REDIS_", "DATABASE_", "EMAIL_"))
        }
        self.env = {
            **env,
            "DEBUG": "true",
            "SECRET_KEY": "browser-journeys-only-not-a-secret",
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "MEDIA_ROOT": str(folder / "media"),
            "PRIVATE_MEDIA_ROOT": str(folder / "private"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.emails),
            "TASK_BACKEND": "immediate",
            "SITE_URL": self.url,
        }
        self.process = None

    def manage(self, *args):
        subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT, env=self.env, check=True)

    def command(self):
        return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"]

    def start(self):
        self.manage("migrate", "--noinput", "-v", "0")
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=PROJECT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.url, timeout=2)
                return self
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow to answer
                time.sleep(0.2)
        raise RuntimeError(f"The server did not start: {self.log.read_text()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)

    def email_to(self, address, subject_start):
        """The body of the last email to `address` whose subject starts so."""
        return wait_for_email(self.emails, address, subject_start, timeout=10)


class ProductionSite(Site):
    """The site as production runs it (`make serve`): gunicorn with DEBUG off and the
    collected static files, Stripe at `stripe_url` (a fake Stripe with its own pay pages)
    and the files in object storage (`s3`): the browser leaves for other origins."""

    def __init__(self, folder, *, stripe_url, s3):
        super().__init__(folder)
        self.stripe_url = stripe_url
        self.s3_url = s3.endpoint_url
        self.env.update(
            {
                **site_settings(stripe_url),
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "GUNICORN_WORKERS": "2",
                **s3.settings(),
            }
        )

    def command(self):
        gunicorn = Path(sys.executable).parent / "gunicorn"
        return [str(gunicorn), "-c", "gunicorn.conf.py", "--no-control-socket"]

    def start(self):
        self.manage("collectstatic", "--noinput", "-v", "0")
        return super().start()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    server = Site(tmp_path_factory.mktemp("site")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def production_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    stripe_server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
    stripe_server.start()
    s3_log = (folder / "seaweedfs.log").open("w")
    s3 = SeaweedFS(
        folder / "seaweedfs",
        public_bucket="journey-pictures",
        private_bucket="journey-files",
        log=s3_log,
    )
    server = None
    try:
        s3.start()
        server = ProductionSite(folder, stripe_url=stripe_server.url_for("/").rstrip("/"), s3=s3)
        FakeStripe(stripe_server).serve_checkout(webhook_url=f"{server.url}/webhooks/stripe/")
        yield server.start()
    finally:
        if server:
            server.stop()
        s3.stop()
        s3_log.close()
        stripe_server.stop()


@pytest.fixture(scope="session")
def chromium():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make test-browser`, which installs axe-core.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    return SCREENSHOTS


class Pages:
    """One visitor's browser (its own cookies), and the checks every page passes."""

    def __init__(self, browser, site, screenshots, name, viewport):
        self.site = site
        self.screenshots = screenshots
        self.name = name
        self.count = 0
        self.context = browser.new_context(viewport=viewport, accept_downloads=True)
        self.context.set_default_timeout(15_000)
        self.context.add_init_script(CSP_VIOLATIONS)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        # Every page the browser lands on must pass `check` before the visitor leaves.
        self.unchecked = []
        self.page.on("framenavigated", self._navigated)
        self.axe = AXE.read_text()

    def _console(self, message):
        if message.type != "error":
            return
        # The browser logs a page's own error status (403, 429): that is the page.
        own_status = message.text.startswith("Failed to load resource") and (
            message.location.get("url") == self.page.url
        )
        if not own_status:
            self.errors.append(f"console: {message.text} at {message.location.get('url')}")

    def _navigated(self, frame):
        if frame == self.page.main_frame and frame.url not in self.unchecked:
            self.unchecked.append(frame.url)

    def goto(self, path):
        self.page.goto(self.site.url + path)
        return self.page

    def check(self, label):
        """At the browser's size and then at a phone's: audit the page with axe-core,
        fail on browser errors or a page wider than a phone, take a screenshot."""
        page = self.page
        page.wait_for_load_state("load")
        self.count += 1
        size = page.viewport_size
        for viewport, suffix in [(size, ""), (PHONE, "-phone")] if size != PHONE else [(size, "")]:
            page.set_viewport_size(viewport)
            self.audit(f"{label}{suffix}")
            if viewport == PHONE:
                self.no_horizontal_scroll()
        page.set_viewport_size(size)
        errors, self.errors = self.errors, []
        assert not errors, f"browser errors on {label} ({page.url}): {errors}"
        self.unchecked = [url for url in self.unchecked if url != page.url]

    def audit(self, label):
        """A screenshot, and no serious or critical axe-core violation."""
        page = self.page
        page.screenshot(
            path=self.screenshots / f"{self.name}-{self.count:02d}-{label}.png", full_page=True
        )
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe)  # through the DevTools protocol: the page's CSP stays on
        results = page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if os.environ.get("AXE_REPORT_ALL"):
            print(label, [(v["id"], v["impact"], len(v["nodes"])) for v in results["violations"]])
        assert not serious, f"axe on {label} ({page.url}): {serious}"

    def no_horizontal_scroll(self):
        width = self.page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert width[0] <= width[1], f"{self.page.url} scrolls sideways: {width}"

    def close(self):
        self.context.close()


@pytest.fixture
def visitor(chromium, screenshots, request):
    """A new visitor: `visitor("buyer")` opens a browser with its own cookies, on `site`
    unless another is given (`visitor("buyer", site=production_site)`)."""
    opened = []

    def open_browser(name, viewport=None, site=None):
        pages = Pages(
            chromium,
            site or request.getfixturevalue("site"),
            screenshots,
            f"{request.node.name.removeprefix('test_')}-{name}",
            viewport or {"width": 1280, "height": 900},
        )
        opened.append(pages)
        return pages

    yield open_browser
    for pages in opened:
        pages.close()
    call = getattr(request.node, "rep_call", None)  # none when the setup failed
    if call is not None and call.passed:
        unchecked = {pages.name: pages.unchecked for pages in opened if pages.unchecked}
        assert not unchecked, f"pages no check looked at: {unchecked}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Lets a fixture know, after the test, whether it failed (rep_setup, rep_call).
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
