import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Min
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_RETRY_SECONDS = 30
RECONNECT_SECONDS = 1


@contextmanager
def retried_on_failure(task, *args, attempt, **kwargs):
    """Run a task's network work (sending an email); when it fails, log it and queue
    the task again, `attempt` + 1, later each time: 30 s, 2 min, 8 min, 32 min.

    The immediate backend can't wait, so there it tries again at once. After
    MAX_ATTEMPTS the error is logged and raised, and the task fails.
    """
    try:
        yield
    except OSError:  # smtplib's errors and socket errors alike
        if attempt >= MAX_ATTEMPTS:
            logger.exception("%s%r failed %d times; giving up", task.name, args, attempt)
            raise
        delay = timedelta(seconds=FIRST_RETRY_SECONDS * 4 ** (attempt - 1))
        logger.warning(
            "%s%r failed (attempt %d); trying again in %s",
            task.name,
            args,
            attempt,
            delay,
            exc_info=True,
        )
        if task.get_backend().supports_defer:
            task = task.using(run_after=timezone.now() + delay)
        task.enqueue(*args, attempt=attempt + 1, **kwargs)


def reconnected_on_failure(write, *, tries=3):
    """`write()`, tried again on a new database connection when the one it used failed
    (outside a transaction only: inside one, the error goes up to whoever opened it)."""
    for attempt in range(1, tries + 1):
        try:
            return write()
        except DatabaseError:
            if attempt == tries or connection.in_atomic_block:
                raise
            logger.warning("Lost the database connection; reconnecting", exc_info=True)
            connection.close()
            time.sleep(RECONNECT_SECONDS * attempt)


def tasks_overview(*, now=None):
    """The queue at a glance, for `manage.py tasks_status` and /readyz: counts by state,
    when the longest-waiting due task became due, when the oldest running task started,
    and how many running tasks are past their lease (their worker died)."""
    now = now or timezone.now()
    counts = dict(DBTaskResult.objects.values_list("status").annotate(Count("pk")).order_by())
    ready = DBTaskResult.objects.ready()
    oldest_due = [
        ready.filter(run_after=get_date_max()).aggregate(at=Min("enqueued_at"))["at"],
        ready.exclude(run_after=get_date_max()).aggregate(at=Min("run_after"))["at"],
    ]
    running = DBTaskResult.objects.running()
    lease_cutoff = now - timedelta(seconds=settings.TASK_LEASE_SECONDS)
    return {
        "counts": {status: counts.get(status, 0) for status in TaskResultStatus.values},
        "oldest_due_at": min((at for at in oldest_due if at), default=None),
        "oldest_running_at": running.aggregate(at=Min("started_at"))["at"],
        "past_lease": running.filter(started_at__lt=lease_cutoff).count(),
    }


def tasks_stalled(*, now=None):
    """Whether a due task has waited TASK_STALL_SECONDS for a worker: none is running."""
    now = now or timezone.now()
    stall_cutoff = now - timedelta(seconds=settings.TASK_STALL_SECONDS)
    ready = DBTaskResult.objects.ready()
    return (
        ready.filter(run_after=get_date_max(), enqueued_at__lt=stall_cutoff).exists()
        or ready.filter(run_after__lt=stall_cutoff).exists()
    )
