import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

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
    """`write()`, tried again on a new database connection when the one it used was lost
    (outside a transaction only: inside one, the error goes up to whoever opened it)."""
    for attempt in range(1, tries + 1):
        try:
            return write()
        except (OperationalError, InterfaceError):
            if attempt == tries or connection.in_atomic_block:
                raise
            logger.warning("Lost the database connection; reconnecting", exc_info=True)
            connection.close()
            time.sleep(RECONNECT_SECONDS * attempt)
