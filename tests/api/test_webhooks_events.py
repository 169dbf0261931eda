"""Sellers' webhooks fire from the orders' real paths: Stripe's events through the site's
webhook, with DEBUG off and tasks queued in the database, as production runs them. The
event's request only records the deliveries; the worker sends them."""

import logging

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from api.models import ResourceName, WebhookDelivery
from api.services import resource_subscription_create
from orders.models import License, Order
from tests.factories import OrderFactory, SellableProductFactory, StoreFactory, drum_kit_sale
from tests.orders.conftest import stripe_server  # noqa: F401 (a fixture)
from tests.orders.fake_stripe import charge_refunded, dispute, stripe_event
from tests.orders.test_webhook import completed, post_event

WEBHOOK_TASK = "api.tasks.webhook_delivery_send"

pytestmark = pytest.mark.usefixtures("private_allowed", "database_tasks", "stripe_server")


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


def subscribe(store, url, resource_name):
    return resource_subscription_create(store=store, resource_name=resource_name, post_url=url)


@pytest.fixture
def store(db):
    return StoreFactory(name="Beat Shop")


@pytest.fixture
def pending_order(store):
    product = SellableProductFactory(
        store=store, name="Lo-fi Drum Kit", price_cents=1900, generates_license_keys=True
    )
    return OrderFactory(
        product=product,
        email="",
        status=Order.Status.PENDING,
        paid_at=None,
        payment_intent_id="",
        stripe_session_id="cs_test_webhook",
    )


@pytest.fixture
def paid_order(store):
    return drum_kit_sale(store, payment_intent_id="pi_test_events")


@pytest.mark.django_db(transaction=True)
def test_a_paid_order_sends_its_sale_from_the_worker_not_the_request(
    client, store, pending_order, receiver
):
    subscription = subscribe(store, receiver.url, ResourceName.SALE)
    receiver.secret = subscription.secret

    response = post_event(client, completed(pending_order))

    assert response.status_code == 200
    assert receiver.requests == []
    assert DBTaskResult.objects.filter(task_path=WEBHOOK_TASK, status="READY").count() == 1
    run_worker()
    (body,) = receiver.bodies()
    license = License.objects.get(order=pending_order)
    assert body == {
        "event": "sale",
        "id": f"sale-{pending_order.pk}",
        "created": body["created"],
        "sale_id": pending_order.pk,
        "product_id": pending_order.product_id,
        "product_name": "Lo-fi Drum Kit",
        "email": "payer@example.com",
        "price_cents": 1900,
        "currency": "usd",
        "license_key": license.key,
        "refunded_cents": 0,
        "dispute_status": None,
    }
    assert receiver.signatures_valid == [True]


@pytest.mark.django_db
class TestWhoGetsWhat:
    def test_the_same_stripe_event_twice_makes_one_delivery(
        self, client, store, pending_order, receiver, django_capture_on_commit_callbacks
    ):
        subscribe(store, receiver.url, ResourceName.SALE)

        with django_capture_on_commit_callbacks(execute=True):
            first = post_event(client, completed(pending_order))
            second = post_event(client, completed(pending_order))

        assert (first.json(), second.json()) == ({"status": "processed"}, {"status": "duplicate"})
        assert WebhookDelivery.objects.count() == 1
        assert DBTaskResult.objects.filter(task_path=WEBHOOK_TASK).count() == 1

    def test_only_the_stores_subscriptions_to_that_event_get_it(
        self, client, store, pending_order, receiver, django_capture_on_commit_callbacks
    ):
        sale = subscribe(store, receiver.url, ResourceName.SALE)
        subscribe(store, receiver.url, ResourceName.REFUND)
        subscribe(StoreFactory(), receiver.url, ResourceName.SALE)

        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, completed(pending_order))

        assert list(WebhookDelivery.objects.values_list("subscription", "event_id")) == [
            (sale.pk, f"sale-{pending_order.pk}")
        ]

    def test_a_sale_of_a_store_without_webhooks_records_nothing(
        self, client, pending_order, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_event(client, completed(pending_order))

        assert response.status_code == 200
        assert not WebhookDelivery.objects.exists()
        assert not DBTaskResult.objects.filter(task_path=WEBHOOK_TASK).exists()

    def test_a_refund_from_stripe_sends_the_refund_event(
        self, client, store, paid_order, receiver, django_capture_on_commit_callbacks
    ):
        subscribe(store, receiver.url, ResourceName.REFUND)
        refund = stripe_event(
            "charge.refunded", charge_refunded("pi_test_events", amount_refunded=500), "evt_r1"
        )

        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, refund)
            post_event(client, refund.replace("evt_r1", "evt_r1_again"))  # the same total

        (delivery,) = WebhookDelivery.objects.all()
        assert delivery.event_id == f"refund-{paid_order.pk}-500"
        assert '"event":"refund"' in delivery.body
        assert '"refunded_cents":500' in delivery.body

    def test_a_dispute_sends_the_dispute_event(
        self, client, store, paid_order, receiver, django_capture_on_commit_callbacks
    ):
        subscribe(store, receiver.url, ResourceName.DISPUTE)
        opened = stripe_event("charge.dispute.created", dispute("pi_test_events"), "evt_d1")

        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, opened)
            post_event(client, opened.replace("evt_d1", "evt_d1_again"))

        (delivery,) = WebhookDelivery.objects.all()
        assert delivery.event_id.startswith(f"dispute-{paid_order.pk}-")
        assert '"dispute_status":"open"' in delivery.body

    def test_webhooks_that_cant_be_recorded_leave_the_payment_paid(
        self, client, store, pending_order, receiver, caplog, django_capture_on_commit_callbacks
    ):
        subscribe(store, receiver.url, ResourceName.SALE)
        with connection.cursor() as cursor:  # a real failure of the database's insert
            cursor.execute("DROP TABLE api_webhookattempt")
            cursor.execute("DROP TABLE api_webhookdelivery")

        with (
            caplog.at_level(logging.ERROR),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = post_event(client, completed(pending_order))

        assert response.status_code == 200
        pending_order.refresh_from_db()
        assert pending_order.status == Order.Status.PAID
        assert f"The webhooks of sale-{pending_order.pk} could not be recorded" in caplog.text
