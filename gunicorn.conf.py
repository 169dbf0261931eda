"""gunicorn's configuration, read from the environment (README: "Deploying for real").

`make serve` runs it locally with production settings.
"""

import multiprocessing
import os

wsgi_app = "yumroad_site.wsgi:application"
# Beside a reverse proxy: loopback or a Unix socket (unix:/run/yumroad.sock), never
# every interface, or clients could skip the proxy.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# "-" logs each request to stdout; empty turns the access log off.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
