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
# Threads: a request waiting on Stripe or S3 holds one thread, not the process, so
# pages keep flowing beside it (orders.payments caps Stripe's share: STRIPE_MAX_CONCURRENT).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# The longest request line taken (gunicorn's most; its default, 4094, is shorter than an
# API query with each parameter at its documented longest, percent-encoded): nginx's
# default buffers take 8 KB too.
limit_request_line = 8190
# "-" logs each request to stdout; empty turns the access log off.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
