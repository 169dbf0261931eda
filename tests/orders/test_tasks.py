"""Emails go through Django's task framework: a failed send is logged and tried again,
up to five times, and never undoes the order (or the sign-up) it is about."""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from orders.models import Order, SentEmail
from tests.factories import SellableProductFactory, StoreFactory, UserFactory
from tests.fakes import FlakyEmailBackend
from tests.utils import signup_data

BUYER = "ann@example.com"
SELLER = "baker@example.com"


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = "tests.fakes.FlakyEmailBackend"
    FlakyEmailBackend.reset(failures=0)
    yield FlakyEmailBackend
    FlakyEmailBackend.reset(failures=0)


@pytest.fixture
def product(db):
    store = StoreFactory(name="Crumb Club", owner=UserFactory(email=SELLER))
    return SellableProductFactory(name="Starter Notes", price_cents=0, store=store)


def claim(client, product):
    """A guest gets the free product: the receipt, then the seller's notice."""
    return client.post(reverse("orders:buy", args=[product.pk]), {"email": BUYER})


def recipients():
    return [email.to for email in mail.outbox]


def retry_logs(caplog, task_name):
    return [
        record
        for record in caplog.records
        if record.name == "yumroad_site.tasks" and record.getMessage().startswith(task_name)
    ]


@pytest.mark.django_db
class TestWithTheImmediateBackend:
    def test_a_receipt_is_delivered_once_after_two_failures(
        self, client, product, flaky_mail, caplog, django_capture_on_commit_callbacks
    ):
        flaky_mail.reset(failures=2)

        with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
            response = claim(client, product)

        assert response.status_code == 302
        assert flaky_mail.attempts == 4  # the receipt three times, the notice once
        assert recipients() == [[BUYER], [SELLER]]
        assert mail.outbox[0].subject == "Here is your free download"
        logs = retry_logs(caplog, "purchase_receipt_send")
        assert [record.levelname for record in logs] == ["WARNING", "WARNING"]
        order = Order.objects.get()
        assert logs[0].getMessage() == (
            f"purchase_receipt_send({order.pk},) failed (attempt 1); trying again in 0:00:30"
        )
        assert logs[1].getMessage().endswith("failed (attempt 2); trying again in 0:02:00")
        assert "SMTPServerDisconnected" in logs[0].exc_text

    def test_gives_up_after_five_attempts_and_the_order_stays_paid(
        self, client, product, flaky_mail, caplog, django_capture_on_commit_callbacks
    ):
        flaky_mail.reset(failures=5)

        with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
            response = claim(client, product)

        assert response.status_code == 302
        # Five tries of the receipt, then the seller's notice gets through.
        assert flaky_mail.attempts == 6
        assert recipients() == [[SELLER]]
        logs = retry_logs(caplog, "purchase_receipt_send")
        assert [record.levelname for record in logs] == ["WARNING"] * 4 + ["ERROR"]
        order = Order.objects.get()
        assert (
            logs[-1].getMessage() == f"purchase_receipt_send({order.pk},) failed 5 times; giving up"
        )
        assert order.status == Order.Status.PAID
        assert order.email == BUYER

    def test_a_mail_server_that_is_down_loses_neither_order_nor_page(
        self, client, product, flaky_mail, django_capture_on_commit_callbacks
    ):
        flaky_mail.reset(failures=100)

        with django_capture_on_commit_callbacks(execute=True):
            response = claim(client, product)

        assert response.status_code == 302
        assert flaky_mail.attempts == 10  # five for each email
        assert mail.outbox == []
        assert Order.objects.get().status == Order.Status.PAID

    def test_a_receipt_another_request_is_sending_is_not_sent_twice(
        self, client, product, caplog, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as queued:
            claim(client, product)
        order = Order.objects.get()
        SentEmail.objects.create(order=order, kind="receipt", claimed_at=timezone.now())

        with caplog.at_level(logging.WARNING):
            for task in queued:
                task()

        assert recipients() == [[SELLER]]
        assert f"receipt of order {order.pk} is being sent by another run; skipped" in caplog.text


@pytest.mark.django_db
class TestWhatChangedBeforeTheTaskRan:
    def test_an_order_refunded_before_its_emails_ran_gets_none(
        self, client, product, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as queued:
            claim(client, product)
        Order.objects.update(status=Order.Status.REFUNDED)

        for task in queued:
            task()

        assert mail.outbox == []

    def test_a_store_deleted_before_the_notice_ran_gets_none(
        self, client, product, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as queued:
            claim(client, product)
        product.store.delete()

        for task in queued:
            task()

        assert recipients() == [[BUYER]]
        assert "Starter Notes from Yumroad" in mail.outbox[0].body


@pytest.mark.django_db
class TestTheWelcomeEmail:
    def test_still_arrives_when_the_store_opens(
        self, auth_client, user, flaky_mail, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            auth_client.post(reverse("stores:new"), {"name": "Crumb Club"})

        assert recipients() == [[user.email]]
        assert mail.outbox[0].subject == "Welcome to Yumroad"
        assert "Welcome to Yumroad, Crumb Club!" in mail.outbox[0].body

    def test_is_retried_when_the_mail_server_fails(
        self, auth_client, user, flaky_mail, caplog, django_capture_on_commit_callbacks
    ):
        flaky_mail.reset(failures=1)

        with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
            response = auth_client.post(reverse("stores:new"), {"name": "Crumb Club"})

        assert response.status_code == 302
        assert recipients() == [[user.email]]
        assert len(retry_logs(caplog, "welcome_email_send")) == 1


@pytest.mark.django_db
class TestTheConfirmationEmail:
    def test_is_retried_when_the_mail_server_fails(
        self, client, flaky_mail, caplog, django_capture_on_commit_callbacks
    ):
        flaky_mail.reset(failures=1)

        with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("stores:signup"), signup_data())

        assert response.status_code == 302
        assert recipients() == [["new@example.com"]]
        assert mail.outbox[0].subject == "Confirm your Yumroad email"
        assert len(retry_logs(caplog, "email_confirmation_send")) == 1


@pytest.mark.django_db(transaction=True)
class TestWithTheDatabaseBackend:
    """The worker's path in production: a failed send is queued again, for later."""

    @pytest.fixture(autouse=True)
    def _database_tasks(self, settings):
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def run_worker(self):
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")

    def test_a_failed_receipt_is_queued_again_30_seconds_later(self, client, product, flaky_mail):
        flaky_mail.reset(failures=1)
        claim(client, product)
        order = Order.objects.get()
        assert mail.outbox == []  # queued, not sent in the request

        self.run_worker()

        assert recipients() == [[SELLER]]
        retry = DBTaskResult.objects.get(status="READY")
        assert retry.task_path == "orders.tasks.purchase_receipt_send"
        assert retry.args_kwargs == {"args": [order.pk], "kwargs": {"attempt": 2}}
        delay = retry.run_after - timezone.now()
        assert timedelta(seconds=25) < delay <= timedelta(seconds=30)

        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # later
        self.run_worker()

        assert recipients() == [[SELLER], [BUYER]]
        assert not DBTaskResult.objects.filter(status="READY").exists()
        assert Order.objects.get().status == Order.Status.PAID

    def test_every_task_delivered_twice_sends_each_email_once(self, client, product):
        claim(client, product)
        self.run_worker()

        DBTaskResult.objects.update(status="READY")  # the queue delivers at least once
        self.run_worker()

        assert recipients() == [[BUYER], [SELLER]]
        assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2

    def test_a_receipt_asked_for_again_is_sent_again_once(self, client, product):
        claim(client, product)
        cache.clear()  # the few minutes between two receipts have passed
        claim(client, product)
        self.run_worker()

        DBTaskResult.objects.update(status="READY")
        self.run_worker()

        assert recipients() == [[BUYER], [SELLER], [BUYER]]
        resend = SentEmail.objects.exclude(key="").get()
        assert resend.kind == "receipt"
        assert resend.sent_at is not None
