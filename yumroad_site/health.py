import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

READY_KEY = "health:ready"
# The site serves with these: a cache that does not answer is "degraded" (slower, not
# down: yumroad_site/redis_cache.py).
SERVING = {"ok", "degraded"}


def readiness():
    """Whether the database and the cache answer: {"database": "ok", "cache": ...}; the
    Redis cache is "degraded" when it does not."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        logger.error("Not ready: the database does not answer: %r", error)
        checks["database"] = "unreachable"
    try:
        if hasattr(cache, "state"):
            checks["cache"] = cache.state()
        else:
            cache.set(READY_KEY, 1, 10)
            checks["cache"] = "ok" if cache.get(READY_KEY) == 1 else "not storing"
    except Exception as error:
        logger.error("Not ready: the cache does not answer: %r", error)
        checks["cache"] = "unreachable"
    return checks


class HealthCheckMiddleware:
    """/healthz and /readyz for load balancers, answered before anything else runs:
    no host check, no https redirect, no session, so a balancer can ask by address.

    /healthz: the process answers (no database). /readyz: the database and the cache
    answer too; 503 naming the part that does not (a Redis down is named, with 200).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return HttpResponse("ok", content_type="text/plain")
        if request.path == "/readyz":
            checks = readiness()
            ready = all(state in SERVING for state in checks.values())
            return JsonResponse(checks, status=200 if ready else 503)
        return self.get_response(request)
