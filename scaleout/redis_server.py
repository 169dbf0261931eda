"""A redis-server of the fault test's own, on a free loopback port, which the test may
kill, freeze and start again from an old snapshot: nobody else's Redis is touched."""

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from scaleout.seaweedfs import free_port

DUMP = "dump.rdb"


class RedisServer:
    def __init__(self, folder, *, log=subprocess.DEVNULL):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = log
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self, *, snapshot=None):
        """Start, empty, or with the data of `snapshot` (a file `snapshot_save` made)."""
        dump = self.folder / DUMP
        dump.unlink(missing_ok=True)
        if snapshot is not None:
            shutil.copy(snapshot, dump)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--dbfilename",
                DUMP,
                # No snapshot but the one the test asks for, none at shutdown.
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return self
            except redis.RedisError as error:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    message = f"redis-server did not start on port {self.port}"
                    raise RuntimeError(message) from error
                time.sleep(0.05)

    def snapshot_save(self, name):
        """SAVE now, and keep the dump aside as `name`: its path."""
        redis.Redis.from_url(self.url, socket_timeout=5).save()
        kept = self.folder / name
        shutil.copy(self.folder / DUMP, kept)
        return kept

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def kill(self):
        """SIGKILL, as a crash: nothing is saved."""
        if self.process and self.process.poll() is None:
            self.thaw()
            self.process.kill()
            self.process.wait()

    def restart(self, *, snapshot=None):
        """As an operator would: stopped, then started empty or from `snapshot`."""
        self.kill()
        return self.start(snapshot=snapshot)

    def stop(self):
        self.kill()
