import json
import threading
import time
from functools import partial

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from orders import services
from orders.models import EarlyRefund, Order, StripeEvent
from tests.factories import OrderFactory, SellableProductFactory
from tests.orders.fake_stripe import (
    completed_session,
    refunded_charge,
    stripe_event,
    stripe_signature,
)
from tests.utils import race

WEBHOOK_URL = reverse("orders:stripe_webhook")
EVENT_TYPES_THAT_PAY = ["checkout.session.completed", "checkout.session.async_payment_succeeded"]
# Whatever JSON can hold, with values known to hurt.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.sampled_from(["\x00", "pi_\x00", "pi_1", "usd", "paid", "1", "9" * 400]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["email", "order_id", "id"]) | st.text(), children)
    ),
    max_leaves=6,
)


def post_event(client, payload, signature=None):
    signature = stripe_signature(payload) if signature is None else signature
    return client.post(
        WEBHOOK_URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


@pytest.fixture
def order(db):
    product = SellableProductFactory(name="Lo-fi Drum Kit", price_cents=1900)
    return OrderFactory(
        product=product,
        email="",
        status=Order.Status.PENDING,
        paid_at=None,
        payment_intent_id="",
        stripe_session_id="cs_test_webhook",
    )


def completed(order, event_id="evt_completed", **fields):
    return stripe_event(
        "checkout.session.completed",
        completed_session(order, **fields),
        event_id=event_id,
    )


def refunded(payment_intent="pi_test_paid", event_id="evt_refunded", **fields):
    return stripe_event("charge.refunded", refunded_charge(payment_intent, **fields), event_id)


def assert_link_refused_as_refunded(client, order):
    download = client.get(order.download_url)
    assert download.status_code == 410
    assert "This purchase was refunded" in download.content.decode()


def assert_nothing_written(order):
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert order.payment_intent_id == ""
    assert not StripeEvent.objects.exists()
    assert not EarlyRefund.objects.exists()


@pytest.mark.django_db
class TestPayment:
    def test_a_completed_checkout_pays_the_order_and_sends_two_emails(
        self, client, stripe_server, order, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_event(client, completed(order))

        assert response.status_code == 200
        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        assert order.paid_at is not None
        assert order.payment_intent_id == "pi_test_paid"
        assert order.email == "payer@example.com"
        receipt, notice = mail.outbox
        assert receipt.to == ["payer@example.com"]
        assert receipt.subject == f"Your purchase of Lo-fi Drum Kit from {order.store.name}"
        assert "$19.00" in receipt.body
        assert order.number in receipt.body
        assert "http://127.0.0.1:8000/downloads/" in receipt.body
        assert notice.to == [order.store.owner.email]
        assert notice.subject == "You sold Lo-fi Drum Kit"
        assert "payer@example.com" in notice.body
        assert "$19.00" in notice.body

    def test_the_emailed_link_downloads_the_file(
        self, client, stripe_server, order, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, completed(order))
        link = next(
            line for line in mail.outbox[0].body.splitlines() if "/downloads/" in line
        ).strip()

        response = client.get(link.removeprefix("http://127.0.0.1:8000"))

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 the guide\n"

    def test_an_unpaid_completion_waits_for_the_delayed_payment(
        self, client, stripe_server, order, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, completed(order, payment_status="unpaid"))
            order.refresh_from_db()
            assert order.status == Order.Status.PENDING
            assert not mail.outbox

            succeeded = stripe_event(
                "checkout.session.async_payment_succeeded",
                completed_session(order),
                event_id="evt_async_ok",
            )
            post_event(client, succeeded)

        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        assert len(mail.outbox) == 2

    @pytest.mark.parametrize(
        ("event_type", "status"),
        [
            ("checkout.session.async_payment_failed", Order.Status.FAILED),
            ("checkout.session.expired", Order.Status.EXPIRED),
        ],
    )
    def test_a_failed_or_expired_checkout_ends_the_order(
        self, client, stripe_server, order, event_type, status
    ):
        response = post_event(client, stripe_event(event_type, {"id": order.stripe_session_id}))

        assert response.status_code == 200
        order.refresh_from_db()
        assert order.status == status
        assert not mail.outbox

    def test_an_expiry_after_payment_changes_nothing(
        self, client, stripe_server, order, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, completed(order))
        expired = stripe_event(
            "checkout.session.expired", {"id": order.stripe_session_id}, event_id="evt_exp"
        )

        post_event(client, expired)

        order.refresh_from_db()
        assert order.status == Order.Status.PAID


@pytest.mark.django_db
class TestRetriesAndReplays:
    def test_the_same_event_twice_pays_once_and_emails_once(
        self, client, stripe_server, order, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            first = post_event(client, completed(order))
            second = post_event(client, completed(order))

        assert first.json() == {"status": "processed"}
        assert second.status_code == 200
        assert second.json() == {"status": "duplicate"}
        assert len(mail.outbox) == 2
        assert StripeEvent.objects.count() == 1

    def test_two_events_for_one_session_pay_once_and_email_once(
        self, client, stripe_server, order, django_capture_on_commit_callbacks
    ):
        succeeded = stripe_event(
            "checkout.session.async_payment_succeeded",
            completed_session(order),
            event_id="evt_second",
        )
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, completed(order))
            post_event(client, succeeded)

        assert Order.objects.get().status == Order.Status.PAID
        assert len(mail.outbox) == 2

    def test_a_replayed_old_event_is_refused(self, client, stripe_server, order):
        payload = completed(order)
        an_hour_ago = int(time.time()) - 3600

        response = post_event(client, payload, stripe_signature(payload, timestamp=an_hour_ago))

        assert response.status_code == 400
        assert Order.objects.get().status == Order.Status.PENDING


@pytest.mark.django_db
class TestRefusedRequests:
    @pytest.mark.parametrize(
        "signature",
        [
            "",
            "t=1,v1=00",
            "garbage",
            "t=notanumber,v1=abc",
            "v1=abc",
            "t=" + "9" * 400 + ",v1=abc",
        ],
    )
    def test_a_missing_or_forged_signature_is_a_400_that_changes_nothing(
        self, client, stripe_server, order, signature
    ):
        response = post_event(client, completed(order), signature=signature or "")
        if not signature:
            response = client.post(WEBHOOK_URL, completed(order), content_type="application/json")

        assert response.status_code == 400
        assert Order.objects.get().status == Order.Status.PENDING
        assert not StripeEvent.objects.exists()

    def test_a_signature_made_with_another_secret_is_refused(self, client, stripe_server, order):
        payload = completed(order)

        response = post_event(client, payload, stripe_signature(payload, secret="whsec_other"))

        assert response.status_code == 400
        assert Order.objects.get().status == Order.Status.PENDING

    @pytest.mark.parametrize(
        "payload",
        ["not json", "[1, 2]", '{"id": "evt_1"}', '{"id": 1, "type": [], "data": {}}', "\ufffd"],
    )
    def test_a_signed_body_that_is_not_an_event_is_a_400(self, client, stripe_server, payload):
        assert post_event(client, payload).status_code == 400

    def test_a_body_that_is_not_utf8_is_a_400(self, client, stripe_server):
        response = client.post(
            WEBHOOK_URL,
            b"\xff\xfe\x00",
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE="t=1,v1=00",
        )

        assert response.status_code == 400

    def test_without_a_webhook_secret_every_event_is_refused(
        self, client, stripe_server, settings, order
    ):
        settings.STRIPE_WEBHOOK_SECRET = ""

        assert post_event(client, completed(order)).status_code == 400

    def test_an_event_for_a_session_we_never_created_is_a_400_that_writes_nothing(
        self, client, stripe_server, order, caplog
    ):
        payload = stripe_event(
            "checkout.session.completed", completed_session(order, id="cs_not_ours")
        )

        response = post_event(client, payload)

        assert response.status_code == 400
        assert not StripeEvent.objects.exists()
        assert Order.objects.get().status == Order.Status.PENDING
        assert "unknown checkout" in caplog.text

    @pytest.mark.parametrize("session", [{}, {"id": None}, {"id": 42}, {"id": "cs\x00"}])
    def test_a_session_without_a_usable_id_is_a_400(self, client, stripe_server, session):
        payload = stripe_event("checkout.session.completed", {"payment_status": "paid", **session})

        assert post_event(client, payload).status_code == 400

    def test_other_event_types_are_ignored(self, client, stripe_server, order):
        payload = stripe_event("customer.created", {"id": "cus_1"})

        response = post_event(client, payload)

        assert response.status_code == 200
        assert response.json() == {"status": "ignored"}
        assert not StripeEvent.objects.exists()

    def test_the_webhook_takes_only_posts(self, client, stripe_server):
        assert client.get(WEBHOOK_URL).status_code == 405


@pytest.mark.django_db
class TestRefunds:
    def test_a_refund_ends_the_order_and_its_download_links(self, client, stripe_server):
        order = OrderFactory(payment_intent_id="pi_refund_me")
        link = order.download_url
        payload = stripe_event(
            "charge.refunded",
            refunded_charge("pi_refund_me"),
        )

        response = post_event(client, payload)

        assert response.status_code == 200
        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
        download = client.get(link)
        assert download.status_code == 410
        assert "This purchase was refunded" in download.content.decode()

    def test_a_partial_refund_keeps_the_purchase(self, client, stripe_server):
        order = OrderFactory(payment_intent_id="pi_partial")
        payload = stripe_event(
            "charge.refunded", refunded_charge("pi_partial", refunded=False, amount_refunded=100)
        )

        post_event(client, payload)

        order.refresh_from_db()
        assert order.status == Order.Status.PAID

    def test_a_refund_of_a_payment_that_is_not_ours_changes_nothing(self, client, stripe_server):
        order = OrderFactory(payment_intent_id="pi_ours")
        payload = stripe_event("charge.refunded", refunded_charge("pi_other"))

        assert post_event(client, payload).status_code == 200
        order.refresh_from_db()
        assert order.status == Order.Status.PAID


@pytest.mark.django_db
class TestRefundBeforePayment:
    """Stripe does not promise the order of events: a refund may come first."""

    def test_a_refund_then_the_payment_ends_refunded_with_no_email_and_no_download(
        self, client, stripe_server, order, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            first = post_event(client, refunded())
            second = post_event(client, completed(order))

        assert (first.status_code, second.status_code) == (200, 200)
        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
        assert order.paid_at is not None
        assert order.payment_intent_id == "pi_test_paid"
        assert not mail.outbox
        assert_link_refused_as_refunded(client, order)
        assert not EarlyRefund.objects.exists()
        assert StripeEvent.objects.count() == 2

    def test_the_payment_then_a_refund_ends_refunded_after_the_emails_and_tells_the_buyer(
        self, client, stripe_server, order, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, completed(order))
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, refunded())

        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
        assert [email.subject for email in mail.outbox] == [
            f"Your purchase of Lo-fi Drum Kit from {order.store.name}",
            "You sold Lo-fi Drum Kit",
            "Your refund for Lo-fi Drum Kit",
        ]
        assert_link_refused_as_refunded(client, order)
        assert not EarlyRefund.objects.exists()

    def test_a_refund_before_a_delayed_payment_ends_it_refunded(
        self, client, stripe_server, order, django_capture_on_commit_callbacks
    ):
        succeeded = stripe_event(
            "checkout.session.async_payment_succeeded",
            completed_session(order),
            event_id="evt_async_ok",
        )
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, completed(order, payment_status="unpaid"))
            post_event(client, refunded())
            post_event(client, succeeded)

        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
        assert not mail.outbox

    def test_a_partial_refund_before_the_payment_keeps_the_purchase(
        self, client, stripe_server, order, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, refunded(refunded=False, amount_refunded=100))
            post_event(client, completed(order))

        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        assert len(mail.outbox) == 2
        assert client.get(order.download_url).status_code == 200
        assert not EarlyRefund.objects.exists()

    def test_an_early_refund_of_another_payment_leaves_the_purchase(
        self, client, stripe_server, order, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, refunded("pi_someone_else"))
            post_event(client, completed(order))

        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        assert len(mail.outbox) == 2

    def test_refunds_of_a_payment_that_is_not_ours_are_kept_in_one_row(
        self, client, stripe_server, order
    ):
        responses = [
            post_event(client, refunded("pi_not_ours", event_id=f"evt_refund_{n}"))
            for n in range(3)
        ]

        assert [response.status_code for response in responses] == [200, 200, 200]
        assert list(EarlyRefund.objects.values_list("payment_intent_id", flat=True)) == [
            "pi_not_ours"
        ]
        order.refresh_from_db()
        assert order.status == Order.Status.PENDING


@pytest.mark.django_db
class TestUntrustedEvents:
    """Signed events whose session disagrees with its order, or that have fields in
    shapes Stripe never sends: 400, logged, and nothing written."""

    @pytest.mark.parametrize("event_type", EVENT_TYPES_THAT_PAY)
    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"amount_total": 100}, "amount_total"),
            ({"amount_total": None}, "amount_total"),
            ({"currency": "eur"}, "currency"),
            ({"currency": None}, "currency"),
            ({"metadata": {"order_id": "999999"}}, "metadata.order_id"),
            ({"metadata": {}}, "metadata.order_id"),
            ({"metadata": None}, "metadata.order_id"),
            ({"client_reference_id": "999999"}, "client_reference_id"),
            ({"client_reference_id": None}, "client_reference_id"),
        ],
    )
    def test_a_session_that_differs_from_its_order_pays_nothing(
        self, client, stripe_server, order, caplog, event_type, fields, field
    ):
        payload = stripe_event(event_type, completed_session(order, **fields), "evt_mismatch")

        response = post_event(client, payload)

        assert response.status_code == 400
        assert response.content.decode() == f"The event does not match its order: {field}."
        assert_nothing_written(order)
        assert not mail.outbox
        assert f"'evt_mismatch': it does not match order {order.pk}: {field}" in caplog.text

    def test_a_mismatch_names_every_field_that_differs(self, client, stripe_server, order):
        payload = completed(order, amount_total=1, currency="eur", client_reference_id="999999")

        response = post_event(client, payload)

        assert response.content.decode() == (
            "The event does not match its order: amount_total, currency, client_reference_id."
        )

    def test_an_unpaid_session_that_differs_from_its_order_is_refused_too(
        self, client, stripe_server, order
    ):
        payload = completed(order, payment_status="unpaid", amount_total=1)

        assert post_event(client, payload).status_code == 400
        assert_nothing_written(order)

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"customer_details": "payer@example.com"}, "customer_details must be an object"),
            ({"customer_details": ["payer@example.com"]}, "customer_details must be an object"),
            ({"customer_details": 7}, "customer_details must be an object"),
            ({"customer_details": {"email": ["a@example.com"]}}, "customer_details.email must"),
            ({"customer_details": {"email": "a\x00@example.com"}}, "customer_details.email"),
            # A JSON escape can spell a lone surrogate, which no database can store.
            ({"customer_details": {"email": "\ud800@example.com"}}, "customer_details.email"),
            ({"customer_details": None, "customer_email": 5}, "customer_email must be a string"),
            ({"payment_intent": 5}, "payment_intent must be a string"),
            ({"payment_intent": {"id": "pi_1"}}, "payment_intent must be a string"),
            ({"payment_intent": "pi_\x00"}, "payment_intent must be a string"),
            ({"payment_intent": "pi_" + "9" * 300}, "payment_intent must be a payment intent"),
            ({"payment_intent": "<script>"}, "payment_intent must be a payment intent"),
            ({"amount_total": "1900"}, "amount_total must be an integer"),
            ({"amount_total": 1900.0}, "amount_total must be an integer"),
            ({"amount_total": True}, "amount_total must be an integer"),
            ({"currency": ["usd"]}, "currency must be a string"),
            ({"metadata": "order 1"}, "metadata must be an object"),
            ({"metadata": [1]}, "metadata must be an object"),
            ({"metadata": {"order_id": 1}}, "metadata.order_id must be a string"),
            ({"client_reference_id": 1}, "client_reference_id must be a string"),
            ({"payment_status": ["paid"]}, "payment_status must be a string"),
        ],
    )
    def test_a_session_with_a_malformed_field_is_a_400_naming_it(
        self, client, stripe_server, order, caplog, fields, message
    ):
        response = post_event(client, completed(order, **fields))

        assert response.status_code == 400
        assert response.content.decode().startswith(f"Malformed event: {message}")
        assert_nothing_written(order)
        assert message in caplog.text

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"refunded": "true"}, "refunded must be a boolean"),
            ({"refunded": 1}, "refunded must be a boolean"),
            ({"payment_intent": ["pi_test_paid"]}, "payment_intent must be a string"),
            ({"payment_intent": "pi_\x00"}, "payment_intent must be a string"),
            ({"payment_intent": "ch_1"}, "payment_intent must be a payment intent"),
        ],
    )
    def test_a_refund_with_a_malformed_field_is_a_400_naming_it(
        self, client, stripe_server, fields, message
    ):
        order = OrderFactory(payment_intent_id="pi_test_paid")

        response = post_event(client, refunded(**fields))

        assert response.status_code == 400
        assert response.content.decode().startswith(f"Malformed event: {message}")
        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        assert not StripeEvent.objects.exists()
        assert not EarlyRefund.objects.exists()

    @pytest.mark.parametrize("event_id", ["evt_\x00", "evt " + "1" * 300, "evt_" + "1" * 300])
    def test_an_event_id_that_stripe_never_makes_is_a_400(
        self, client, stripe_server, order, event_id
    ):
        response = post_event(client, completed(order, event_id=event_id))

        assert response.status_code == 400
        assert response.content.decode() == "Malformed event: id must be a Stripe id."
        assert_nothing_written(order)

    def test_a_refund_without_a_payment_intent_changes_nothing(self, client, stripe_server):
        response = post_event(client, refunded(payment_intent=None))

        assert response.status_code == 200
        assert not EarlyRefund.objects.exists()

    @hypothesis_settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        fields=st.fixed_dictionaries(
            # Paid, mostly, so that the fields after payment_status are read too.
            {"payment_status": st.just("paid") | json_values},
            optional=dict.fromkeys(
                [
                    "customer_details",
                    "customer_email",
                    "payment_intent",
                    "amount_total",
                    "currency",
                    "metadata",
                    "client_reference_id",
                ],
                json_values,
            ),
        )
    )
    def test_a_session_of_any_shape_is_answered_200_or_400(
        self, client, stripe_server, order, fields
    ):
        with transaction.atomic():
            response = post_event(client, completed(order, **fields))

            assert response.status_code in (200, 400)
            if response.status_code == 400:
                assert response.content.decode().startswith(
                    ("Malformed event: ", "The event does not match its order: ")
                )
                assert_nothing_written(order)
            else:
                assert StripeEvent.objects.count() == 1
            transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
class TestConcurrentDeliveries:
    """Stripe may deliver events at once: threads, each with its own connection."""

    def deliver_at_once(self, payloads):
        answers = race(*(partial(post_event, Client(), payload) for payload in payloads))
        return [answer.status_code for answer in answers]

    def test_the_same_event_delivered_twice_at_once_pays_and_emails_once(
        self, stripe_server, order
    ):
        statuses = self.deliver_at_once([completed(order)] * 2)

        assert statuses == [200, 200]
        assert Order.objects.get().status == Order.Status.PAID
        assert len(mail.outbox) == 2
        assert StripeEvent.objects.count() == 1

    def test_two_events_for_one_session_at_once_pay_and_email_once(self, stripe_server, order):
        succeeded = stripe_event(
            "checkout.session.async_payment_succeeded",
            completed_session(order),
            event_id="evt_async",
        )

        statuses = self.deliver_at_once([completed(order), succeeded])

        assert statuses == [200, 200]
        assert Order.objects.get().status == Order.Status.PAID
        assert len(mail.outbox) == 2
        assert StripeEvent.objects.count() == 2

    def test_a_payment_and_its_refund_delivered_at_once_end_refunded(self, stripe_server, order):
        statuses = self.deliver_at_once([completed(order), refunded()])

        assert statuses == [200, 200]
        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
        assert not EarlyRefund.objects.exists()
        # When the payment commits first, its emails go out unless the refund has landed
        # by the time each is sent (then that one is dropped), and the buyer hears of the
        # refund: each email once at most. The link stops working.
        subjects = [message.subject for message in mail.outbox]
        assert len(subjects) <= 3
        assert len(set(subjects)) == len(subjects)
        assert_link_refused_as_refunded(Client(), order)

    def deliver_while_held_open(self, held, payload):
        """Apply the event `held` in a transaction held open until `payload`, delivered
        meanwhile, has finished or waits for it; returns the delivery's status."""
        applied, release = threading.Event(), threading.Event()
        statuses = []

        def hold():
            try:
                with transaction.atomic():
                    services.stripe_event_handle(event=json.loads(held))
                    applied.set()
                    release.wait()
            finally:
                connection.close()

        def deliver():
            try:
                statuses.append(post_event(Client(), payload).status_code)
            finally:
                connection.close()

        holding = threading.Thread(target=hold)
        holding.start()
        applied.wait()
        delivering = threading.Thread(target=deliver)
        delivering.start()
        while delivering.is_alive() and not someone_waits_for_a_lock():
            delivering.join(0.01)
        release.set()
        holding.join()
        delivering.join()
        return statuses

    def test_a_payment_delivered_while_its_refund_is_being_kept_ends_refunded(
        self, stripe_server, order
    ):
        statuses = self.deliver_while_held_open(refunded(), completed(order))

        assert statuses == [200]
        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
        assert not mail.outbox
        assert not EarlyRefund.objects.exists()

    def test_a_refund_delivered_while_its_payment_is_being_marked_ends_refunded(
        self, client, stripe_server, order
    ):
        statuses = self.deliver_while_held_open(completed(order), refunded())

        assert statuses == [200]
        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
        assert_link_refused_as_refunded(client, order)
        assert not EarlyRefund.objects.exists()


def someone_waits_for_a_lock():
    """On PostgreSQL, whether a connection waits for another's transaction. SQLite
    runs one writing transaction at a time (IMMEDIATE): there, the payment waits for
    the refund's whole transaction in any case."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_events_are_read_as_json_not_evaluated():
    # The body is parsed as data: a type name is only ever a dictionary key.
    assert json.loads(stripe_event("x", {}))["type"] == "x"
