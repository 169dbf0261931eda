"""Yumroad as several machines would run it, on this one: `make scale-demo`.

Two gunicorn instances (two app servers) and the task worker share one PostgreSQL
database, one Redis database (cache and sessions) and an S3 server (SeaweedFS, a public
bucket for pictures and a private one for the files products sell). Everything listens
on loopback only. `python -m scaleout.stack` starts it all, prints the addresses and
stops everything it started on Ctrl-C; the scale-out test (scaleout/test_scale_out.py)
starts the same stack.

DEBUG is on only so that the local test checkout stands in for Stripe (no Stripe key
here); the rest is production's setup: the database task backend and its worker, Redis,
object storage, a shared SECRET_KEY. The fault test (scaleout/test_faults.py) starts it
with its own database and Redis, DEBUG off, a fake Stripe and an SMTP server (`env`).
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import redis
import requests

from scaleout.seaweedfs import SeaweedFS, free_port

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Our own database and Redis database: nothing else on the machine uses them.
DATABASE_URL = os.environ.get("SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/scale10")
REDIS_URL = os.environ.get("SCALE_REDIS_URL", "redis://127.0.0.1:6379/6")
PUBLIC_BUCKET = "yumroad-pictures"
PRIVATE_BUCKET = "yumroad-files"


def recreate_database(url):
    """An empty database at `url` (dropped first if it exists)."""
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


class Stack:
    def __init__(
        self,
        folder,
        *,
        app_servers=2,
        gunicorn_workers=2,
        database_url=DATABASE_URL,
        redis_url=REDIS_URL,
        env=None,
    ):
        self.folder = Path(folder)
        self.database_url = database_url
        self.redis_url = redis_url
        self.logs = self.folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.emails = self.folder / "emails"
        self.ports = [free_port() for _ in range(app_servers)]
        self.urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.gunicorn_workers = gunicorn_workers
        self.s3 = SeaweedFS(
            self.folder / "seaweedfs",
            public_bucket=PUBLIC_BUCKET,
            private_bucket=PRIVATE_BUCKET,
            log=(self.logs / "seaweedfs.log").open("w"),
        )
        self.processes = []
        self.commands = {}  # name: (command, environment), to start it again
        self.env = {
            **{
                key: value
                for key, value in os.environ.items()
                if not key.startswith(("AWS_", "STRIPE_", "REDIS_", "DATABASE_", "EMAIL_"))
            },
            "DEBUG": "true",
            "SECRET_KEY": "scale-out-demo-only-the-same-on-every-app-server",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "DATABASE_CONN_MAX_AGE": "60",
            "REDIS_URL": redis_url,
            "TASK_BACKEND": "database",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.emails),
            "SITE_URL": self.urls[0],
            # Nothing may land on local disk: these folders must stay empty.
            "MEDIA_ROOT": str(self.folder / "local-media"),
            "PRIVATE_MEDIA_ROOT": str(self.folder / "local-private"),
            "LOG_LEVEL": "WARNING",
            # Every simulated visitor comes from 127.0.0.1, which the per-address limits
            # would count as one client.
            "CHECKOUT_RATE_PER_MINUTE": "100000",
            "EMAILS_PER_CLIENT_PER_HOUR": "100000",
            **self.s3.settings(),
            **(env or {}),
        }

    def start(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        recreate_database(self.database_url)
        redis.Redis.from_url(self.redis_url).flushdb()
        self.s3.start()
        self.manage("migrate", "--noinput", "-v", "0")
        if self.env["DEBUG"] == "false":
            # Production's static files storage serves only what collectstatic gathered.
            self.manage("collectstatic", "--noinput", "-v", "0")
        for index, port in enumerate(self.ports, 1):
            self._spawn(
                f"gunicorn-{index}",
                # Several instances on one machine: no shared control socket.
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--no-control-socket"],
                GUNICORN_BIND=f"127.0.0.1:{port}",
                GUNICORN_WORKERS=str(self.gunicorn_workers),
            )
        self._spawn(
            "worker", [sys.executable, "manage.py", "db_worker", "--interval=0.2", "--no-reload"]
        )
        for url in self.urls:
            self._wait_for(url)

    def manage(self, *args):
        subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT, env=self.env, check=True)

    def _spawn(self, name, command, **env):
        self.commands[name] = (command, {**self.env, **env})
        self.processes.append((name, self._popen(name)))

    def _popen(self, name):
        command, env = self.commands[name]
        # Appended to: a process started again keeps the log of the one before.
        with (self.logs / f"{name}.log").open("a") as log:
            return subprocess.Popen(
                command,
                cwd=PROJECT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def process(self, name):
        return dict(self.processes)[name]

    def kill(self, name):
        """SIGKILL `name` and everything it started, as a crash would end it."""
        process = self.process(name)
        _signal_group(process, signal.SIGCONT)
        _signal_group(process, signal.SIGKILL)
        process.wait()

    def restart(self, name):
        """Start `name` again (killed, or stopped on its own) with the same command."""
        self.processes = [
            (each, self._popen(name) if each == name else process)
            for each, process in self.processes
        ]

    def _wait_for(self, url, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes:
                if process.poll() is not None:
                    log = (self.logs / f"{name}.log").read_text()[-3000:]
                    raise RuntimeError(f"{name} stopped (exit {process.returncode}):\n{log}")
            try:
                # Ready as a load balancer sees it: the database and the cache answer.
                if requests.get(f"{url}/readyz", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow to answer
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{url} did not answer in time")

    def check_running(self):
        """Fails if a process of the stack has stopped."""
        stopped = [(name, p.returncode) for name, p in self.processes if p.poll() is not None]
        assert not stopped, f"stopped: {stopped}; logs in {self.logs}"

    def stop(self):
        for _, process in reversed(self.processes):
            # A stopped (SIGSTOP) process must go on to hear the TERM.
            _signal_group(process, signal.SIGCONT)
            _signal_group(process, signal.SIGTERM)
        for _, process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        self.processes = []
        self.s3.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def _signal_group(process, signum):
    """Send `signum` to the process group `process` leads, unless it is gone."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)


def main():
    folder = Path(os.environ.get("SCALE_DIR") or tempfile.mkdtemp(prefix="yumroad-scale-"))
    stack = Stack(folder)
    # Ctrl-C or a TERM: stop everything this started, then leave.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with stack:
        print("Yumroad on two app servers, sharing PostgreSQL, Redis and S3:")
        for url in stack.urls:
            print(f"  {url}")
        print(f"  S3 (SeaweedFS): {stack.s3.endpoint_url}")
        print(f"  database {DATABASE_URL}, Redis {REDIS_URL}")
        print(f"  emails (sent by the worker) and logs: {stack.emails}, {stack.logs}")
        print("Log in on one, you are logged in on the other. Ctrl-C stops everything.")
        try:
            while True:
                stack.check_running()
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nStopping.")


if __name__ == "__main__":
    main()
