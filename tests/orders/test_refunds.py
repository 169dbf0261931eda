"""Refunds: the seller's, from /sales/, through Stripe's refunds API, and Stripe's own
charge.refunded events (a refund made in its dashboard), each booked once on the order,
which is what the payouts ledger books from (signals.order_refunded)."""

import json
from functools import partial
from urllib.parse import parse_qsl

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from orders import payments, signals
from orders.models import Order, SentEmail
from tests.factories import (
    OrderFactory,
    SellableProductFactory,
    StoreFactory,
    UserFactory,
    drum_kit_sale,
)
from tests.orders.fake_stripe import (
    CARD_ERROR,
    SERVER_ERROR,
    charge_refunded,
    stripe_event,
)
from tests.orders.test_webhook import post_event
from tests.utils import messages_of, race

SALES_URL = reverse("orders:sales")


@pytest.fixture
def stripe(stripe_server):
    stripe_server.answer_refunds()
    return stripe_server


@pytest.fixture
def order(store):
    """A paid $19.00 order of `store`: the fee 10% + 50 cents, $2.40; the net $16.60."""
    return drum_kit_sale(store, payment_intent_id="pi_test_refund")


@pytest.fixture
def refunds_announced():
    """What signals.order_refunded announced: (the order's refunded_cents and
    refunded_net_cents as it was sent, refunded_net_before)."""
    sent = []

    def record(order, refunded_net_before, **kwargs):
        sent.append((order.refunded_cents, order.refunded_net_cents, refunded_net_before))

    signals.order_refunded.connect(record, weak=False)
    yield sent
    signals.order_refunded.disconnect(record)


def refund_url(order):
    return reverse("orders:refund", args=[order.pk])


def refund(client, order, amount, refunded_before=0, **extra):
    data = {"amount": amount, "refunded_before": refunded_before, **extra}
    return client.post(refund_url(order), data)


def refund_emails():
    return [email for email in mail.outbox if email.subject.startswith("Your refund for")]


def assert_nothing_booked(order):
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert (order.refunded_cents, order.refunded_net_cents) == (0, 0)
    assert not refund_emails()


@pytest.mark.django_db
class TestTheRefundPage:
    def test_it_shows_the_order_and_offers_the_whole_remainder(self, creator_client, order):
        response = creator_client.get(refund_url(order))

        assert response.status_code == 200
        body = response.content.decode()
        assert f"Refund order {order.number}" in body
        assert "Lo-fi Drum Kit" in body
        assert "buyer@example.com" in body
        assert 'name="amount" value="19.00"' in body
        assert 'name="refunded_before" value="0"' in body

    def test_after_a_partial_refund_it_offers_what_remains(self, creator_client, order):
        order.refunded_cents, order.refunded_net_cents = 500, 437
        order.save()

        body = creator_client.get(refund_url(order)).content.decode()

        assert 'name="amount" value="14.00"' in body
        assert 'name="refunded_before" value="500"' in body
        assert "$5.00" in body

    def test_the_sales_page_offers_refund_for_paid_orders_only(self, creator_client, order):
        refunded = OrderFactory(product=order.product, status=Order.Status.REFUNDED)
        disputed = OrderFactory(product=order.product, dispute_status=Order.Dispute.OPEN)

        body = creator_client.get(SALES_URL).content.decode()

        assert f'href="{refund_url(order)}"' in body
        assert refund_url(refunded) not in body
        assert refund_url(disputed) not in body

    def test_another_sellers_order_is_a_404(self, client, order):
        client.force_login(StoreFactory().owner)

        assert client.get(refund_url(order)).status_code == 404
        assert refund(client, order, "19.00").status_code == 404
        assert_nothing_booked(order)

    def test_a_visitor_is_sent_to_log_in(self, client, order):
        response = client.get(refund_url(order))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))

    def test_a_buyer_without_a_store_is_asked_to_open_one(self, client, order):
        client.force_login(UserFactory())

        response = client.post(refund_url(order), {"amount": "19.00", "refunded_before": 0})

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("stores:new"))
        assert_nothing_booked(order)

    @pytest.mark.parametrize(
        "changes",
        [
            {"status": Order.Status.PENDING, "paid_at": None},
            {"status": Order.Status.FAILED, "paid_at": None},
            {"status": Order.Status.REFUNDED, "refunded_cents": 1900, "refunded_net_cents": 1660},
            {"dispute_status": Order.Dispute.OPEN},
            {"dispute_status": Order.Dispute.LOST},
        ],
    )
    def test_an_unpaid_refunded_or_disputed_order_has_no_refund_page(
        self, creator_client, stripe, order, changes
    ):
        Order.objects.filter(pk=order.pk).update(**changes)

        assert creator_client.get(refund_url(order)).status_code == 404
        assert refund(creator_client, order, "1.00").status_code == 404
        assert not stripe.refund_requests

    def test_a_free_order_has_no_refund_page(self, creator_client, store):
        free = OrderFactory(product=SellableProductFactory(store=store, price_cents=0))

        assert creator_client.get(refund_url(free)).status_code == 404

    def test_an_unknown_order_is_a_404(self, creator_client, order):
        unknown = reverse("orders:refund", args=[order.pk + 1000])

        assert creator_client.get(unknown).status_code == 404

    def test_it_takes_no_other_method(self, creator_client, order):
        assert creator_client.put(refund_url(order)).status_code == 405
        assert creator_client.delete(refund_url(order)).status_code == 405


@pytest.mark.django_db
class TestSellersRefund:
    def test_a_full_refund_refunds_at_stripe_ends_the_links_and_tells_the_buyer(
        self, creator_client, stripe, order, refunds_announced, django_capture_on_commit_callbacks
    ):
        link = order.download_url
        with django_capture_on_commit_callbacks(execute=True):
            response = refund(creator_client, order, "19.00")

        assert response.status_code == 303
        assert response["Location"] == SALES_URL
        (request,) = stripe.refund_requests
        sent = dict(parse_qsl(request.get_data(as_text=True)))
        assert sent["payment_intent"] == "pi_test_refund"
        assert sent["amount"] == "1900"
        assert sent["metadata[order_id]"] == str(order.pk)
        assert request.headers["Idempotency-Key"] == f"yumroad-refund-{order.pk}-1900"
        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
        assert (order.refunded_cents, order.refunded_net_cents) == (1900, 1660)
        assert refunds_announced == [(1900, 1660, 0)]
        page = creator_client.get(SALES_URL)
        assert messages_of(page) == [f"Refunded $19.00 of order {order.number}."]
        assert refund_url(order) not in page.content.decode()
        assert creator_client.get(link).status_code == 410
        (email,) = refund_emails()
        assert email.to == ["buyer@example.com"]
        assert email.subject == "Your refund for Lo-fi Drum Kit"
        assert "Refunded: $19.00 of $19.00" in email.body
        assert "download links no longer work" in email.body

    def test_a_partial_refund_keeps_the_links(
        self, creator_client, stripe, order, refunds_announced, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = refund(creator_client, order, "5")

        assert response.status_code == 303
        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        # 1660 x 500 / 1900 = 436.84: 437.
        assert (order.refunded_cents, order.refunded_net_cents) == (500, 437)
        assert refunds_announced == [(500, 437, 0)]
        assert creator_client.get(order.download_url).status_code == 200
        (email,) = refund_emails()
        assert "Refunded: $5.00 of $19.00" in email.body
        assert "Your download still works" in email.body

    def test_two_partial_refunds_add_up_and_round_the_net_share_half_up(
        self, creator_client, stripe, store, refunds_announced
    ):
        # $10.00: the fee $1.50, the net $8.50. Ten cents refunded take 8.5 cents: 9.
        product = SellableProductFactory(store=store, price_cents=1000)
        order = OrderFactory(product=product, fee_cents=150, net_cents=850)

        first = refund(creator_client, order, "0.10")
        second = refund(creator_client, order, "0.10", refunded_before=10)

        assert (first.status_code, second.status_code) == (303, 303)
        order.refresh_from_db()
        assert (order.refunded_cents, order.refunded_net_cents) == (20, 17)
        assert refunds_announced == [(10, 9, 0), (20, 17, 9)]
        assert [r.headers["Idempotency-Key"] for r in stripe.refund_requests] == [
            f"yumroad-refund-{order.pk}-10",
            f"yumroad-refund-{order.pk}-20",
        ]
        assert len(stripe.refunds) == 2

    def test_partial_refunds_up_to_the_whole_end_the_order_refunded(
        self, creator_client, stripe, order, refunds_announced
    ):
        refund(creator_client, order, "4.00")
        refund(creator_client, order, "15.00", refunded_before=400)

        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
        assert (order.refunded_cents, order.refunded_net_cents) == (1900, 1660)
        assert [before for _, _, before in refunds_announced] == [0, 349]
        assert creator_client.get(order.download_url).status_code == 410

    @pytest.mark.parametrize("amount", ["19.00", "5.00"])
    def test_the_confirmation_sent_twice_refunds_once_and_books_once(
        self,
        creator_client,
        stripe,
        order,
        amount,
        refunds_announced,
        django_capture_on_commit_callbacks,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            first = refund(creator_client, order, amount)
            second = refund(creator_client, order, amount)

        assert (first.status_code, second.status_code) == (303, 303)
        assert len(stripe.refunds) == 1
        assert len(refunds_announced) == 1
        assert len(refund_emails()) == 1
        order.refresh_from_db()
        assert order.refunded_cents == int(amount.replace(".", ""))

    def test_stripes_event_for_the_sellers_refund_changes_nothing_more(
        self,
        client,
        creator_client,
        stripe,
        order,
        refunds_announced,
        django_capture_on_commit_callbacks,
    ):
        charge = charge_refunded("pi_test_refund", amount_refunded=500)
        with django_capture_on_commit_callbacks(execute=True):
            refund(creator_client, order, "5.00")
            response = post_event(client, stripe_event("charge.refunded", charge))

        assert response.status_code == 200
        order.refresh_from_db()
        assert (order.refunded_cents, order.refunded_net_cents) == (500, 437)
        assert len(refunds_announced) == 1
        assert len(refund_emails()) == 1

    def test_a_form_shown_before_another_refund_is_refused_and_asks_again(
        self, client, creator_client, stripe, order
    ):
        shown = creator_client.get(refund_url(order)).content.decode()
        assert 'name="refunded_before" value="0"' in shown
        post_event(
            client,
            stripe_event("charge.refunded", charge_refunded("pi_test_refund", amount_refunded=300)),
        )

        response = refund(creator_client, order, "5.00", refunded_before=0)

        assert response.status_code == 400
        body = response.content.decode()
        assert "This order&#x27;s refunds changed since this page was shown." in body
        assert 'name="refunded_before" value="300"' in body
        assert not stripe.refund_requests
        order.refresh_from_db()
        assert order.refunded_cents == 300

    @pytest.mark.parametrize("amount", ["19.01", "100", "1e3"])
    def test_more_than_remains_is_refused_on_the_form(self, creator_client, stripe, order, amount):
        response = refund(creator_client, order, amount)

        assert response.status_code == 400
        body = response.content.decode()
        assert (
            "You can refund at most $19.00 of this order." in body
            or "Enter an amount in dollars above 0" in body
        )
        assert not stripe.refund_requests
        assert_nothing_booked(order)

    def test_more_than_remains_after_a_partial_refund_is_refused(
        self, creator_client, stripe, order
    ):
        refund(creator_client, order, "15.00")

        response = refund(creator_client, order, "4.01", refunded_before=1500)

        assert response.status_code == 400
        assert "You can refund at most $4.00 of this order." in response.content.decode()
        assert len(stripe.refunds) == 1

    @pytest.mark.parametrize(
        ("amount", "message"),
        [
            ("", "Enter an amount in dollars above 0"),
            ("0", "Enter an amount in dollars above 0"),
            ("-1", "Enter an amount in dollars above 0"),
            ("abc", "Enter an amount in dollars above 0"),
            ("9" * 400, "Enter an amount in dollars above 0"),
            ("NaN", "Enter an amount in dollars above 0"),
            ("Infinity", "Enter an amount in dollars above 0"),
            ("1.001", "Enter the amount to the cent"),
        ],
    )
    def test_a_malformed_amount_is_a_400_with_a_message(
        self, creator_client, stripe, order, amount, message
    ):
        response = refund(creator_client, order, amount)

        assert response.status_code == 400
        assert message in response.content.decode()
        assert not stripe.refund_requests
        assert_nothing_booked(order)

    @pytest.mark.parametrize("refunded_before", ["", "-1", "9" * 50, "1.5", "100", "²"])
    def test_a_malformed_or_forged_base_is_refused(
        self, creator_client, stripe, order, refunded_before
    ):
        response = refund(creator_client, order, "5.00", refunded_before=refunded_before)

        assert response.status_code == 400
        assert "refunds changed since this page was shown" in response.content.decode()
        assert not stripe.refund_requests
        assert_nothing_booked(order)

    @pytest.mark.parametrize("field", ["amount", "refunded_before"])
    def test_a_null_character_is_a_400_that_books_nothing(
        self, creator_client, stripe, order, field
    ):
        data = {"amount": "5.00", "refunded_before": "0", field: "5\x00"}

        response = creator_client.post(refund_url(order), data)

        assert response.status_code == 400
        assert not stripe.refund_requests
        assert_nothing_booked(order)


@pytest.mark.django_db
class TestStripeFailing:
    @pytest.mark.parametrize(
        ("status", "body", "message"),
        [
            (400, CARD_ERROR, "Charge ch_1 has already been refunded. Nothing was refunded."),
            (402, CARD_ERROR, "Charge ch_1 has already been refunded. Nothing was refunded."),
            (500, SERVER_ERROR, "Stripe is not answering, so nothing was refunded."),
        ],
    )
    def test_a_refused_or_failed_refund_says_so_and_books_nothing(
        self, creator_client, stripe_server, order, status, body, message
    ):
        stripe_server.answer_refunds(status=status, body=body)

        response = refund(creator_client, order, "19.00")

        assert response.status_code == 502
        assert message in response.content.decode()
        assert_nothing_booked(order)

    def test_a_stripe_that_does_not_answer_in_time_books_nothing(
        self, creator_client, stripe_server, order
    ):
        stripe_server.answer_refunds(delay=1.5)  # STRIPE_TIMEOUT_SECONDS is 1

        response = refund(creator_client, order, "19.00")

        assert response.status_code == 502
        assert "Stripe is not answering" in response.content.decode()
        assert_nothing_booked(order)

    def test_sent_again_once_stripe_answers_it_refunds_once(
        self, creator_client, stripe_server, order
    ):
        stripe_server.answer_refunds(delay=1.5)
        refund(creator_client, order, "19.00")
        stripe_server.server.clear()
        stripe_server.answer_refunds()

        response = refund(creator_client, order, "19.00")

        assert response.status_code == 303
        keys = {r.headers["Idempotency-Key"] for r in stripe_server.refund_requests}
        assert keys == {f"yumroad-refund-{order.pk}-1900"}
        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED

    def test_busy_is_a_503_that_asks_stripe_nothing(self, creator_client, stripe, order, settings):
        settings.STRIPE_MAX_CONCURRENT = 1
        with payments.stripe_permit():
            response = refund(creator_client, order, "19.00")

        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert "Stripe is busy, try again in a moment." in response.content.decode()
        assert not stripe.refund_requests
        assert_nothing_booked(order)


@pytest.mark.django_db
def test_without_stripe_in_development_the_refund_is_booked_locally(
    creator_client, order, settings, refunds_announced
):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""

    response = refund(creator_client, order, "19.00")

    assert response.status_code == 303
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert refunds_announced == [(1900, 1660, 0)]


@pytest.mark.django_db
class TestStripesRefundEvents:
    """charge.refunded: a refund made in Stripe's dashboard arrives only so."""

    def post(self, client, amount_refunded, event_id="evt_refund_1", **fields):
        charge = charge_refunded("pi_test_refund", amount_refunded=amount_refunded, **fields)
        return post_event(client, stripe_event("charge.refunded", charge, event_id))

    def test_a_dashboard_refund_is_booked_once_and_the_buyer_told_once(
        self, client, stripe_server, order, refunds_announced, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            first = self.post(client, 700)
            replayed = self.post(client, 700)
            resent = self.post(client, 700, event_id="evt_refund_again")

        assert [r.json()["status"] for r in (first, replayed, resent)] == [
            "processed",
            "duplicate",
            "processed",
        ]
        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        # 1660 x 700 / 1900 = 611.58: 612.
        assert (order.refunded_cents, order.refunded_net_cents) == (700, 612)
        assert refunds_announced == [(700, 612, 0)]
        (email,) = refund_emails()
        assert "Refunded: $7.00 of $19.00" in email.body
        assert SentEmail.objects.filter(kind=SentEmail.Kind.REFUND_NOTICE, key="700").exists()

    def test_a_later_total_books_the_difference(
        self, client, stripe_server, order, refunds_announced, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            self.post(client, 700)
            self.post(client, 1900, event_id="evt_refund_2")

        order.refresh_from_db()
        assert order.status == Order.Status.REFUNDED
        assert refunds_announced == [(700, 612, 0), (1900, 1660, 612)]
        assert client.get(order.download_url).status_code == 410
        assert len(refund_emails()) == 2

    def test_an_older_total_delivered_late_changes_nothing(
        self, client, stripe_server, order, refunds_announced
    ):
        self.post(client, 1200)
        self.post(client, 700, event_id="evt_refund_older")

        order.refresh_from_db()
        assert order.refunded_cents == 1200
        assert len(refunds_announced) == 1

    def test_a_refund_of_a_disputed_order_changes_nothing(
        self, client, stripe_server, order, refunds_announced, caplog
    ):
        Order.objects.filter(pk=order.pk).update(dispute_status=Order.Dispute.OPEN)

        assert self.post(client, 1900).status_code == 200

        order.refresh_from_db()
        assert (order.status, order.refunded_cents) == (Order.Status.PAID, 0)
        assert not refunds_announced
        assert "whose dispute is open, is not booked" in caplog.text

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"amount_refunded": "700"}, "amount_refunded must be an integer"),
            ({"amount_refunded": -1}, "amount_refunded must be an amount of cents"),
            ({"amount_refunded": 7.5}, "amount_refunded must be an integer"),
        ],
    )
    def test_a_malformed_amount_refunded_is_a_400(
        self, client, stripe_server, order, fields, message
    ):
        charge = charge_refunded("pi_test_refund", amount_refunded=0) | fields

        response = post_event(client, stripe_event("charge.refunded", charge))

        assert response.status_code == 400
        assert response.content.decode() == f"Malformed event: {message}."
        assert_nothing_booked(order)


@pytest.mark.django_db(transaction=True)
def test_the_confirmation_sent_twice_at_once_refunds_once_and_books_once(
    stripe, order, refunds_announced
):
    clients = [Client(), Client()]
    for each in clients:
        each.force_login(order.store.owner)

    answers = race(*(partial(refund, each, order, "5.00") for each in clients))

    assert [answer.status_code for answer in answers] == [303, 303]
    assert len(stripe.refunds) == 1
    assert refunds_announced == [(500, 437, 0)]
    order.refresh_from_db()
    assert (order.refunded_cents, order.refunded_net_cents) == (500, 437)
    assert len(refund_emails()) == 1


@pytest.mark.django_db(transaction=True)
def test_two_forms_with_different_amounts_at_once_refund_one_of_them(
    stripe_server, order, refunds_announced
):
    # Stripe answers late, so both confirmations arrive while the first is being made.
    # Each total has its own idempotency key: only the claim on the order keeps the
    # second from refunding money that would not be booked.
    stripe_server.answer_refunds(delay=0.5)
    clients = [Client(), Client()]
    for each in clients:
        each.force_login(order.store.owner)
    amounts = ["1.00", "2.00"]
    confirmations = (
        partial(refund, each, order, amount) for each, amount in zip(clients, amounts, strict=True)
    )
    answers = dict(zip(amounts, race(*confirmations), strict=True))

    assert len(stripe_server.refunds) == 1
    made = stripe_server.refunds[0]["amount"]
    order.refresh_from_db()
    assert order.refunded_cents == made
    assert sorted(answer.status_code for answer in answers.values()) == [303, 409]
    refused = next(answer for answer in answers.values() if answer.status_code == 409)
    assert "Another refund of this order is being made" in refused.content.decode()
    assert (order.refunding_cents, order.refund_started_at) == (0, None)


@pytest.mark.django_db
def test_a_refund_stripe_answers_failed_books_nothing(stripe_server, order, client):
    stripe_server.server.expect_request("/v1/refunds", method="POST").respond_with_json(
        {"id": "re_test_failed", "object": "refund", "amount": 500, "status": "failed"}
    )
    client.force_login(order.store.owner)

    response = refund(client, order, "5.00")

    assert response.status_code == 502
    assert "Stripe could not make the refund (failed). Nothing was refunded." in (
        response.content.decode()
    )
    assert_nothing_booked(order)
    assert (order.refunding_cents, order.refund_started_at) == (0, None)


@pytest.mark.django_db
def test_a_connected_accounts_own_refund_event_changes_nothing(client, stripe_server, order):
    event = json.loads(
        stripe_event("charge.refunded", charge_refunded("pi_test_refund", amount_refunded=1900))
    )
    event["account"] = "acct_test_seller"

    response = post_event(client, json.dumps(event))

    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    assert_nothing_booked(order)
