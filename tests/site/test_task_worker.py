"""The worker loses no task: a task its worker took and did not finish runs again once
its lease ends, a lost database connection is a pause, not an exit, and at-least-once
never sends an email twice. The real database backend and `manage.py db_worker`."""

import logging
import sqlite3
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from django_tasks.signals import task_started
from django_tasks_db.models import DBTaskResult

from orders.models import Order, SentEmail
from orders.tasks import sale_notice_send
from tests.factories import SellableProductFactory, StoreFactory, UserFactory
from tests.fakes import InterruptedEmailBackend

BUYER = "ann@example.com"
SELLER = "baker@example.com"
RECEIPT_TASK = "orders.tasks.purchase_receipt_send"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _database_tasks(settings):
    settings.TASKS = DATABASE_TASKS
    settings.TASK_LEASE_SECONDS = 300
    settings.TASK_STALL_SECONDS = 120


@pytest.fixture
def product(db):
    store = StoreFactory(name="Crumb Club", owner=UserFactory(email=SELLER))
    return SellableProductFactory(name="Starter Notes", price_cents=0, store=store)


def claim(client, product):
    """A guest gets the free product: its receipt and the seller's notice are queued."""
    response = client.post(reverse("orders:buy", args=[product.pk]), {"email": BUYER})
    assert response.status_code == 302
    return Order.objects.get()


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


def receipts():
    return [email for email in mail.outbox if email.to == [BUYER]]


def started_ago(task_path, seconds):
    """The task as a worker left it when it died `seconds` after taking it."""
    return DBTaskResult.objects.filter(task_path=task_path).update(
        status="RUNNING",
        started_at=timezone.now() - timedelta(seconds=seconds),
        worker_ids=["dead-worker"],
    )


@pytest.mark.django_db(transaction=True)
class TestALease:
    def test_a_task_left_running_past_its_lease_is_run_again_and_sends_once(self, client, product):
        claim(client, product)
        started_ago(RECEIPT_TASK, 301)

        run_worker()

        assert len(receipts()) == 1
        assert [email.to for email in mail.outbox].count([SELLER]) == 1
        receipt_task = DBTaskResult.objects.get(task_path=RECEIPT_TASK)
        assert receipt_task.status == "SUCCESSFUL"
        assert receipt_task.worker_ids[0] == "dead-worker"
        assert len(receipt_task.worker_ids) == 2

    def test_a_task_still_within_its_lease_is_left_to_its_worker(self, client, product):
        claim(client, product)
        started_ago(RECEIPT_TASK, 290)

        run_worker()

        assert receipts() == []
        assert DBTaskResult.objects.get(task_path=RECEIPT_TASK).status == "RUNNING"

    def test_a_worker_that_died_mid_send_leaves_a_claim_that_the_retry_takes(self, client, product):
        order = claim(client, product)
        started_ago(RECEIPT_TASK, 301)
        SentEmail.objects.create(
            order=order, kind="receipt", claimed_at=timezone.now() - timedelta(seconds=300.5)
        )

        run_worker()

        assert len(receipts()) == 1
        assert SentEmail.objects.get(order=order, kind="receipt").sent_at is not None

    def test_a_receipt_sent_before_its_worker_died_is_not_sent_again(self, client, product):
        order = claim(client, product)
        started_ago(RECEIPT_TASK, 301)
        long_ago = timezone.now() - timedelta(seconds=301)
        SentEmail.objects.create(order=order, kind="receipt", claimed_at=long_ago, sent_at=long_ago)

        run_worker()

        assert receipts() == []
        assert DBTaskResult.objects.get(task_path=RECEIPT_TASK).status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_both_send_one_receipt(client, product, settings):
    settings.EMAIL_BACKEND = "tests.fakes.InterruptedEmailBackend"
    order = claim(client, product)
    DBTaskResult.objects.exclude(task_path=RECEIPT_TASK).delete()
    sent_meanwhile = []

    def a_second_worker_meanwhile():
        # The first worker's send outlasts its lease: a second worker takes the task.
        started_ago(RECEIPT_TASK, 301)
        run_worker()
        sent_meanwhile.extend(mail.outbox)

    InterruptedEmailBackend.meanwhile = a_second_worker_meanwhile
    run_worker()

    assert sent_meanwhile == []
    assert len(receipts()) == 1
    # The second worker looks again when the first one's lease ends: sent, so nothing.
    later = DBTaskResult.objects.get(status="READY")
    assert later.args_kwargs == {"args": [order.pk], "kwargs": {"attempt": 1}}
    later.run_after = timezone.now()
    later.save()
    run_worker()
    assert len(receipts()) == 1
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()


@pytest.fixture
def persistent_connections(monkeypatch):
    """Connections kept between polls, as in production (DATABASE_CONN_MAX_AGE=60), and
    no health check before a query: the connection dies after the check, so the worker
    finds it dead when it uses it."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", False)
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_the_worker_goes_on_after_its_database_connection_is_terminated(
    client, product, caplog, persistent_connections
):
    claim(client, product)
    keep_alive = connection_terminate()

    with caplog.at_level(logging.WARNING):
        run_worker()

    assert len(receipts()) == 1
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    assert any("lost the database" in record.getMessage() for record in caplog.records)
    if keep_alive is not None:
        keep_alive.close()


@pytest.mark.django_db(transaction=True)
def test_a_receipt_sent_as_the_connection_is_terminated_is_recorded_and_sent_once(
    client, product, settings, persistent_connections
):
    settings.EMAIL_BACKEND = "tests.fakes.InterruptedEmailBackend"
    order = claim(client, product)
    keep_alive = []
    InterruptedEmailBackend.meanwhile = lambda: keep_alive.append(connection_terminate())

    run_worker()

    assert len(receipts()) == 1
    assert SentEmail.objects.get(order=order, kind="receipt").sent_at is not None
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    if keep_alive[0] is not None:
        keep_alive[0].close()


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_connection_dies_as_it_starts_runs_again_at_once(
    client, product, persistent_connections
):
    claim(client, product)
    terminated = []

    def terminate_once(**kwargs):
        if not terminated:
            terminated.append(connection_terminate())

    task_started.connect(terminate_once)
    try:
        run_worker()
    finally:
        task_started.disconnect(terminate_once)

    assert len(receipts()) == 1
    receipt_task = DBTaskResult.objects.get(task_path=RECEIPT_TASK)
    assert receipt_task.status == "SUCCESSFUL"
    assert len(receipt_task.worker_ids) == 2  # taken, let go when it failed, taken again
    if terminated[0] is not None:
        terminated[0].close()


def connection_terminate():
    """Cut this thread's database connection under Django's feet: on PostgreSQL, the
    server ends it (pg_terminate_backend, as an operator or a failover would); on
    SQLite, the connection is closed (a second one keeps the in-memory database)."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        pid = connection.connection.info.backend_pid
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            other.close()
        return None
    keep_alive = sqlite3.connect(connection.settings_dict["NAME"], uri=True)
    connection.connection.close()
    return keep_alive


@pytest.mark.django_db
class TestWhatIsStuck:
    @pytest.fixture
    def queue(self):
        """One task due 10 min ago, one running 6 min (past its lease), one running now."""
        now = timezone.now()
        waiting, dead, alive = (sale_notice_send.enqueue(pk) for pk in (1, 2, 3))
        DBTaskResult.objects.filter(pk=waiting.id).update(enqueued_at=now - timedelta(minutes=10))
        DBTaskResult.objects.filter(pk=dead.id).update(
            status="RUNNING", started_at=now - timedelta(minutes=6)
        )
        DBTaskResult.objects.filter(pk=alive.id).update(status="RUNNING", started_at=now)
        return waiting.id, dead.id, alive.id

    def test_tasks_status_shows_tasks_by_state_and_age(self, queue, capsys):
        call_command("tasks_status")

        lines = capsys.readouterr().out.splitlines()
        assert lines[0].split() == ["State", "Tasks", "Oldest"]
        assert lines[1].split() == ["READY", "1", "due", "10m", "00s", "ago"]
        assert lines[2].split() == ["RUNNING", "2", "started", "6m", "00s", "ago"]
        assert lines[3].split() == ["FAILED", "0"]
        assert lines[4].split() == ["SUCCESSFUL", "0"]
        assert lines[5] == "RUNNING past their lease (300 s): 1"
        assert "a running db_worker takes them again" in lines[6]
        assert "Stalled: a due task has waited over 120 s for a worker" in lines[7]

    def test_tasks_status_of_an_empty_queue(self, capsys):
        call_command("tasks_status")

        out = capsys.readouterr().out
        assert "READY              0\n" in out
        assert "RUNNING past their lease (300 s): 0\n" in out
        assert "Stalled" not in out

    def test_the_admin_filters_tasks_past_their_lease(self, queue, admin_client):
        changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")

        response = admin_client.get(changelist, {"stuck": "past_lease"})

        assert response.status_code == 200
        assert [str(task.pk) for task in response.context["cl"].result_list] == [str(queue[1])]
        assert "Running past the lease (300 s)" in response.text

    def test_the_admin_filters_due_tasks_no_worker_took(self, queue, admin_client):
        changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")

        response = admin_client.get(changelist, {"stuck": "stalled"})

        assert [str(task.pk) for task in response.context["cl"].result_list] == [str(queue[0])]
        assert admin_client.get(changelist).context["cl"].result_count == 3

    def test_readyz_names_stalled_tasks_and_stays_ready(self, queue, client):
        response = client.get("/readyz")

        assert response.status_code == 200
        assert response.json() == {"database": "ok", "cache": "ok", "tasks": "stalled"}

    def test_readyz_counts_a_retry_from_when_it_became_due(self, client):
        task = sale_notice_send.using(run_after=timezone.now() - timedelta(minutes=1)).enqueue(1)

        assert client.get("/readyz").json()["tasks"] == "ok"

        DBTaskResult.objects.filter(pk=task.id).update(
            run_after=timezone.now() - timedelta(minutes=3)
        )
        assert client.get("/readyz").json()["tasks"] == "stalled"
