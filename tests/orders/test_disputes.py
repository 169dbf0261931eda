"""Disputes: Stripe's charge.dispute.created pauses an order's downloads and tells the
seller; charge.dispute.closed gives them back (won, warning_closed) or ends them (lost).
The order's dispute_status is what the payouts ledger books from (signals)."""

from functools import partial

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from orders import signals
from orders.models import Order, StripeEvent
from tests.factories import drum_kit_sale
from tests.orders.fake_stripe import charge_refunded, dispute, stripe_event
from tests.orders.test_webhook import post_event
from tests.utils import race


@pytest.fixture
def order(store):
    return drum_kit_sale(store, payment_intent_id="pi_test_disputed")


@pytest.fixture
def announced():
    """What the dispute signals announced: (signal, the order's dispute_status, won)."""
    sent = []

    def disputed(order, **kwargs):
        sent.append(("disputed", order.dispute_status, None))

    def closed(order, won, **kwargs):
        sent.append(("closed", order.dispute_status, won))

    signals.order_disputed.connect(disputed, weak=False)
    signals.order_dispute_closed.connect(closed, weak=False)
    yield sent
    signals.order_disputed.disconnect(disputed)
    signals.order_dispute_closed.disconnect(closed)


def created(payment_intent="pi_test_disputed", event_id="evt_dispute_created", **fields):
    return stripe_event("charge.dispute.created", dispute(payment_intent, **fields), event_id)


def closed(status, payment_intent="pi_test_disputed", event_id="evt_dispute_closed", **fields):
    data = dispute(payment_intent, status=status, **fields)
    return stripe_event("charge.dispute.closed", data, event_id)


def seller_emails(order):
    return [email for email in mail.outbox if email.to == [order.store.owner.email]]


@pytest.mark.django_db
class TestDisputeOpened:
    def test_it_pauses_the_downloads_and_tells_the_seller(
        self, client, stripe_server, order, announced, django_capture_on_commit_callbacks
    ):
        link = order.download_url
        with django_capture_on_commit_callbacks(execute=True):
            response = post_event(client, created())

        assert response.status_code == 200
        order.refresh_from_db()
        assert order.dispute_status == Order.Dispute.OPEN
        assert order.status == Order.Status.PAID
        assert announced == [("disputed", "open", None)]
        download = client.get(link)
        assert download.status_code == 403
        assert "This purchase is under review" in download.content.decode()
        (email,) = seller_emails(order)
        assert email.subject == "A buyer disputed Lo-fi Drum Kit"
        assert "$16.60 of your earnings from it is held back" in email.body
        assert "buyer@example.com" in email.body

    def test_the_receipt_and_the_library_say_it_is_under_review(self, client, stripe_server, order):
        order.buyer = order.store.owner  # any member
        order.save()
        post_event(client, created())
        client.force_login(order.buyer)

        receipt = client.get(order.receipt_url).content.decode()
        library = client.get(reverse("orders:library")).content.decode()

        assert "This purchase is under review." in receipt
        assert "/downloads/" not in receipt
        assert "This purchase is under review" in library
        assert "/downloads/" not in library

    def test_the_same_event_twice_opens_it_once(
        self, client, stripe_server, order, announced, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, created())
            replay = post_event(client, created())
            resent = post_event(client, created(event_id="evt_dispute_again"))

        assert (replay.json()["status"], resent.status_code) == ("duplicate", 200)
        assert announced == [("disputed", "open", None)]
        assert len(seller_emails(order)) == 1

    def test_a_disputed_order_has_no_refund(self, client, creator_client, stripe_server, order):
        post_event(client, created())

        page = creator_client.get(reverse("orders:refund", args=[order.pk]))

        assert page.status_code == 404
        sales = creator_client.get(reverse("orders:sales")).content.decode()
        assert reverse("orders:refund", args=[order.pk]) not in sales

    def test_stripes_refund_of_a_disputed_order_changes_nothing(
        self, client, stripe_server, order, caplog
    ):
        post_event(client, created())
        charge = charge_refunded("pi_test_disputed", amount_refunded=1900)

        response = post_event(client, stripe_event("charge.refunded", charge, "evt_refund"))

        assert response.status_code == 200
        order.refresh_from_db()
        assert (order.status, order.refunded_cents) == (Order.Status.PAID, 0)
        assert "whose dispute is open, is not booked" in caplog.text

    def test_a_dispute_of_an_unknown_payment_is_ignored_and_logged(
        self, client, stripe_server, order, announced, caplog
    ):
        response = post_event(client, created("pi_not_ours"))

        assert response.status_code == 200
        order.refresh_from_db()
        assert order.dispute_status == Order.Dispute.NONE
        assert not announced
        assert not mail.outbox
        assert "moves no order" in caplog.text

    def test_a_dispute_without_a_payment_intent_is_ignored(
        self, client, stripe_server, order, announced
    ):
        response = post_event(client, created(payment_intent=None))

        assert response.status_code == 200
        assert not announced

    def test_a_partly_refunded_order_holds_back_what_remains_of_the_net(
        self, client, stripe_server, order, django_capture_on_commit_callbacks
    ):
        Order.objects.filter(pk=order.pk).update(refunded_cents=500, refunded_net_cents=437)

        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, created())

        (email,) = seller_emails(order)
        assert "$12.23 of your earnings from it is held back" in email.body


@pytest.mark.django_db
class TestDisputeClosed:
    @pytest.mark.parametrize("status", ["won", "warning_closed"])
    def test_won_gives_the_downloads_back_and_tells_the_seller(
        self, client, stripe_server, order, announced, status, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, created())
            response = post_event(client, closed(status))

        assert response.status_code == 200
        order.refresh_from_db()
        assert order.dispute_status == Order.Dispute.WON
        assert announced == [("disputed", "open", None), ("closed", "won", True)]
        assert client.get(order.download_url).status_code == 200
        opened, won = seller_emails(order)
        assert opened.subject == "A buyer disputed Lo-fi Drum Kit"
        assert won.subject == "You won the dispute over Lo-fi Drum Kit"
        assert "$16.60 comes back to your earnings" in won.body

    def test_lost_ends_the_downloads_and_tells_the_seller(
        self, client, stripe_server, order, announced, django_capture_on_commit_callbacks
    ):
        order.buyer = order.store.owner
        order.save()
        with django_capture_on_commit_callbacks(execute=True):
            post_event(client, created())
            post_event(client, closed("lost"))

        order.refresh_from_db()
        assert (order.status, order.dispute_status) == (Order.Status.PAID, Order.Dispute.LOST)
        assert announced == [("disputed", "open", None), ("closed", "lost", False)]
        download = client.get(order.download_url)
        assert download.status_code == 410
        assert "This payment was returned" in download.content.decode()
        opened, lost = seller_emails(order)
        assert opened.subject == "A buyer disputed Lo-fi Drum Kit"
        assert lost.subject == "You lost the dispute over Lo-fi Drum Kit"
        client.force_login(order.buyer)
        assert "Lo-fi Drum Kit" not in client.get(reverse("orders:library")).content.decode()

    def test_a_won_dispute_can_be_refunded_again(
        self, client, creator_client, stripe_server, order
    ):
        post_event(client, created())
        post_event(client, closed("won"))

        assert creator_client.get(reverse("orders:refund", args=[order.pk])).status_code == 200

    def test_a_close_replayed_or_without_an_open_dispute_changes_nothing(
        self, client, stripe_server, order, announced
    ):
        early = post_event(client, closed("lost", event_id="evt_close_early"))
        post_event(client, created())
        post_event(client, closed("won"))
        late = post_event(client, closed("lost", event_id="evt_close_late"))

        assert (early.status_code, late.status_code) == (200, 200)
        order.refresh_from_db()
        assert order.dispute_status == Order.Dispute.WON
        assert [name for name, _, _ in announced] == ["disputed", "closed"]

    def test_a_second_dispute_after_a_won_one_opens_again(
        self, client, stripe_server, order, announced
    ):
        post_event(client, created())
        post_event(client, closed("won"))

        post_event(client, created(event_id="evt_dispute_2", id="dp_test_2"))

        order.refresh_from_db()
        assert order.dispute_status == Order.Dispute.OPEN
        assert [name for name, _, _ in announced] == ["disputed", "closed", "disputed"]


@pytest.mark.django_db
class TestMalformedDisputes:
    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            (closed("needs_response"), "status must be won, warning_closed or lost"),
            (closed(None), "status must be won, warning_closed or lost"),
            (closed(["won"]), "status must be a string"),
            (created(payment_intent=42), "payment_intent must be a string"),
            (created(payment_intent="ch_1"), "payment_intent must be a payment intent's id"),
            (created(id="dp_\x00"), "id must be a string"),
            (created(id="dp 1"), "id must be a Stripe id"),
        ],
    )
    def test_a_malformed_dispute_is_a_400_that_changes_nothing(
        self, client, stripe_server, order, announced, payload, message
    ):
        response = post_event(client, payload)

        assert response.status_code == 400
        assert response.content.decode() == f"Malformed event: {message}."
        order.refresh_from_db()
        assert order.dispute_status == Order.Dispute.NONE
        assert not StripeEvent.objects.exists()
        assert not announced


@pytest.mark.django_db(transaction=True)
def test_a_dispute_delivered_twice_at_once_opens_once(stripe_server, order, announced):
    payloads = [created(), created(event_id="evt_dispute_twin")]

    answers = race(*(partial(post_event, Client(), payload) for payload in payloads))

    assert [answer.status_code for answer in answers] == [200, 200]
    assert announced == [("disputed", "open", None)]
    assert len(seller_emails(order)) == 1
