import logging

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django_tasks import task_backends
from django_tasks_db import DatabaseBackend

from yumroad_site.tasks import tasks_stalled

logger = logging.getLogger(__name__)

# The site serves with these: a cache that does not answer is "degraded" (slower, not
# down: yumroad_site/redis_cache.py); tasks waiting for a worker are "stalled" (emails
# late, pages served).
SERVING = {"ok", "degraded", "stalled"}


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
        checks["cache"] = cache.state()
    except Exception as error:
        logger.error("Not ready: the cache does not answer: %r", error)
        checks["cache"] = "unreachable"
    checks.update(tasks_readiness())
    return checks


def tasks_readiness():
    """{"tasks": "stalled"} when a due task has waited TASK_STALL_SECONDS for a worker,
    else "ok"; nothing when tasks run in the request. A stalled worker delays emails
    but serves pages: readiness stays 200, and the balancer keeps the server."""
    if not isinstance(task_backends["default"], DatabaseBackend):
        return {}
    try:
        stalled = tasks_stalled()
    except DatabaseError:  # the "database" check names it
        return {}
    if stalled:
        logger.warning("Tasks stalled: a due task has waited too long for a worker")
    return {"tasks": "stalled" if stalled else "ok"}


class HealthCheckMiddleware:
    """/healthz and /readyz for load balancers, answered before anything else runs:
    no host check, no https redirect, no session, so a balancer can ask by address.

    /healthz: the process answers (no database). /readyz: the database and the cache
    answer too; 503 naming the part that does not. A Redis down and stalled tasks are
    named, with a 200: the site still serves.
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
