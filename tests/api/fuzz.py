"""`make test-api`: schemathesis runs every operation of API v2's schema against a live
server (gunicorn, production settings, a fresh SQLite database) with a read-write
token, and fails on any 500 or any answer the schema does not describe: its status,
content type, headers and body. It fails too when it tested no operation, or fewer than
the schema has. Time-boxed (FUZZ_SECONDS, default 150).
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(folder, port):
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "fuzz-" + secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{folder / 'fuzz.sqlite3'}",
        "REDIS_URL": "",
        "CACHE_DIR": str(folder / "cache"),
        "MEDIA_ROOT": str(folder / "media"),
        "PRIVATE_MEDIA_ROOT": str(folder / "private"),
        "TASK_BACKEND": "immediate",
        # The fuzzing's own pace: the limits are tested in tests/api.
        "API_RATE_PER_MINUTE": "1000000",
        "LICENSE_VERIFY_RATE_PER_MINUTE": "1000000",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESS_LOG": "",
        "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "yumroad_site.settings",
    }


SEED = """
from api.models import TokenScope
from api.services import access_token_create
from tests.factories import OrderFactory, ProductFactory, StoreFactory
from orders.licenses import license_issue
from orders import services

store = StoreFactory()
products = [ProductFactory(store=store, generates_license_keys=True) for _ in range(3)]
for product in products:
    for _ in range(4):
        license_issue(order=OrderFactory(product=product, store=store))
services.discount_code_create(store=store, code="LAUNCH", percent_off=20, products=[products[0]])
StoreFactory()  # another store, whose objects must stay out of reach
_, text = access_token_create(user=store.owner, name="fuzz", scope=TokenScope.READ_WRITE)
print(text)
"""


def main():
    seconds = int(os.environ.get("FUZZ_SECONDS", "150"))
    folder = Path(tempfile.mkdtemp(prefix="yumroad-fuzz-"))
    port = free_port()
    env = environment(folder, port)
    python = str(BIN / "python")
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    token = (
        subprocess.run(
            [python, "manage.py", "shell", "-c", SEED],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--no-control-socket"],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        schema = wait_for_schema(f"{base}/api/v2/schema/")
        operations = {
            f"{method.upper()} {path}"
            for path, item in schema["paths"].items()
            for method in item
            if method in ("get", "put", "post", "delete", "patch")
        }
        report = folder / "report.xml"
        command = [
            str(BIN / "st"),
            "run",
            f"{base}/api/v2/schema/",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--max-time",
            str(seconds),
            "--max-examples",
            "40",
            "--workers",
            "2",
            "--request-timeout",
            "20",
            "--seed",
            os.environ.get("FUZZ_SEED", str(secrets.randbelow(2**31))),
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
        ]
        result = subprocess.run(command, cwd=folder, env={**os.environ, "NO_COLOR": "1"})
        untested = operations - tested_operations(report)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"schemathesis tested {len(operations) - len(untested)} of the schema's "
        f"{len(operations)} operations"
    )
    if result.returncode != 0:
        return result.returncode
    if not operations or untested:
        print(f"schemathesis did not test {', '.join(sorted(untested))}", file=sys.stderr)
        return 1
    return 0


def wait_for_schema(url):
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def tested_operations(report):
    """The operations ("GET /api/v2/user") schemathesis ran a test case of, from its
    JUnit report (a testcase each, by name; its stateful phase has one more)."""
    import xml.etree.ElementTree as ElementTree

    if not report.exists():
        return set()
    cases = ElementTree.parse(report).getroot().iter("testcase")
    return {case.get("name") for case in cases if case.find("skipped") is None}


if __name__ == "__main__":
    sys.exit(main())
