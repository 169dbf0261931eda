"""Profile one page in-process with pyinstrument, as `make bench` serves it.

    python -m benchmarks.profile /products/ [--member] [--requests 500]

It reads the database `make bench` left (`yumroad_bench`, the last size it seeded)
with the same production settings and Redis cache, warms the page up, then profiles
that many requests through Django's WSGI handler and prints where the time went and
the time per request. Measure with it before changing anything, and again after.
"""

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import django_setup, member_cookies


def wsgi_get(application, path, cookies):
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": cookies,
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
    }
    statuses = []
    b"".join(application(environ, lambda status, headers: statuses.append(status)))
    return statuses[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--member", action="store_true", help="as the benchmark's member")
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()

    django_setup(Path(tempfile.mkdtemp(prefix="yumroad-profile-")))
    from django.core.wsgi import get_wsgi_application
    from pyinstrument import Profiler

    application = get_wsgi_application()
    cookies = member_cookies() if args.member else ""
    status = wsgi_get(application, args.path, cookies)
    if not status.startswith("200"):
        raise SystemExit(f"{args.path} answered {status}: run `make bench` first?")
    for _ in range(50):
        wsgi_get(application, args.path, cookies)

    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    with profiler:
        for _ in range(args.requests):
            wsgi_get(application, args.path, cookies)
    elapsed = time.perf_counter() - started
    print(profiler.output_text(unicode=True, color=False))
    print(f"{args.path}: {elapsed / args.requests * 1000:.2f} ms a request (profiled)")


if __name__ == "__main__":
    main()
