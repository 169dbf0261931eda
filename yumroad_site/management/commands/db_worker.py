"""django-tasks-db's `db_worker`, with the two things it lacks to lose no task:

- a lease: a task RUNNING for longer than TASK_LEASE_SECONDS (its worker was killed, or
  lost its database while recording the result) goes back to READY, and runs again;
- reconnection: a lost database connection while polling, claiming or recording is
  logged, the connection closed, and the worker goes on after a pause; it never exits.

Same name, same options, so every place that runs `db_worker` gets it: this app comes
before django_tasks_db in INSTALLED_APPS.
"""

import logging
import os
import random
import time
from datetime import timedelta

from django.conf import settings
from django.core.management import CommandError
from django.db import DatabaseError, OperationalError, close_old_connections, transaction
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

logger = logging.getLogger("django_tasks_db")

RECONNECT_SECONDS = 1
# How often a worker looks for expired leases (finished tasks have no index on their state).
LEASE_CHECK_SECONDS = 10


def leases_expire(*, backend_name):
    """RUNNING tasks started more than a lease ago back to READY, each by a conditional
    update, so that one worker takes each again. Returns their ids."""
    cutoff = timezone.now() - timedelta(seconds=settings.TASK_LEASE_SECONDS)
    expired = DBTaskResult.objects.running().filter(
        backend_name=backend_name, started_at__lt=cutoff
    )
    returned = []
    for pk in expired.values_list("pk", flat=True)[:100]:
        if expired.filter(pk=pk).update(status=TaskResultStatus.READY):
            returned.append(pk)
    return returned


class Worker(db_worker.Worker):
    leases_checked_at = None

    def run(self):
        logger.info(
            "Starting worker worker_id=%s queues=%s lease=%ss",
            self.worker_id,
            ",".join(self.queue_names),
            settings.TASK_LEASE_SECONDS,
        )
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # workers started together spread out
        while self.running:
            try:
                db_task_result = self.task_claim()
            except DatabaseError as error:
                if isinstance(error, OperationalError) and is_locked_database_exception(error):
                    time.sleep(self.interval)  # SQLite busy with another writer: poll again
                else:
                    self.reconnect(error)
                continue
            if db_task_result is not None:
                try:
                    self.run_task(db_task_result)
                except DatabaseError as error:
                    self.reconnect(error)
                    self.task_release(db_task_result)
            elif self.batch:
                logger.info("No more tasks for worker_id=%s; exiting.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Ran %d tasks, worker_id=%s; exiting.", self.max_tasks, self.worker_id)
                return
            if self.running and db_task_result is None:
                time.sleep(self.interval)

    def task_claim(self):
        """The next due task, marked RUNNING by this worker; None when there is none."""
        close_old_connections()
        checked_at = self.leases_checked_at
        if checked_at is None or time.monotonic() - checked_at > LEASE_CHECK_SECONDS:
            for pk in leases_expire(backend_name=self.backend_name):
                logger.warning("Task id=%s outlived its lease; queued again", pk)
            self.leases_checked_at = time.monotonic()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            db_task_result = tasks.get_locked()
            if db_task_result is not None:
                db_task_result.claim(self.worker_id)
        return db_task_result

    def task_release(self, db_task_result):
        """A task whose result could not be recorded: READY again at once if the database
        answers, else its lease brings it back."""
        try:
            DBTaskResult.objects.filter(
                pk=db_task_result.pk,
                status=TaskResultStatus.RUNNING,
                started_at=db_task_result.started_at,
            ).update(status=TaskResultStatus.READY)
        except DatabaseError as error:
            self.reconnect(error)

    def reconnect(self, error):
        logger.warning(
            "Worker worker_id=%s lost the database (%s); reconnecting in %ss",
            self.worker_id,
            str(error).strip() or type(error).__name__,
            RECONNECT_SECONDS,
        )
        connection = transaction.get_connection(DBTaskResult.objects.db)
        try:
            connection.close()
        except DatabaseError:
            connection.connection = None
        time.sleep(RECONNECT_SECONDS)


class Command(db_worker.Command):
    help = "Run the background worker: tasks queued in the database, leased, retried"

    def handle(self, *, verbosity, queue_name, exclude_queues, reload, batch, **options):
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            excluded_queue_names=excluded_queue_names,
            batch=batch,
            interval=options["interval"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
