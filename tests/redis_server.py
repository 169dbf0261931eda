"""A redis-server of a test's own, on a free port of the loopback, to kill, freeze,
thaw and restore from an older snapshot."""

import os
import shutil
import signal
import socket
import subprocess
import time

import redis


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    def __init__(self, folder):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = self.client()
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def client(self):
        return redis.Redis.from_url(self.url, socket_timeout=5)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.thaw()
            self.process.kill()
            self.process.wait()

    kill = stop

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def snapshot(self):
        """Keep what Redis holds now, to restore later."""
        self.client().save()
        shutil.copy(self.folder / "dump.rdb", self.folder / "old.rdb")

    def restore(self):
        """Restart Redis with the data of the last snapshot, as an operator would."""
        self.stop()
        shutil.copy(self.folder / "old.rdb", self.folder / "dump.rdb")
        self.start()

    def replace(self):
        """Another, empty Redis at the same address."""
        self.stop()
        (self.folder / "dump.rdb").unlink(missing_ok=True)
        self.start()
