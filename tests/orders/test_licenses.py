"""License keys on the site: a product that generates them gives each paid order one,
made with the payment (Stripe's signed webhook, or a free claim), shown on the receipt,
in the receipt email, the library and the sales page, and disabled by a full refund or a
lost dispute, in the same transaction."""

import re
from functools import partial

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import licenses
from orders.models import License, Order, license_key_new
from tests.factories import OrderFactory, SellableProductFactory, UserFactory
from tests.orders.fake_stripe import (
    charge_refunded,
    completed_session,
    dispute,
    stripe_event,
)
from tests.orders.test_webhook import completed, post_event
from tests.utils import race

KEY = re.compile(r"[0-9A-F]{8}-[0-9A-F]{8}-[0-9A-F]{8}-[0-9A-F]{8}")
PAYMENT_INTENT = "pi_test_licensed"


@pytest.fixture
def product(store):
    return SellableProductFactory(
        store=store, name="Beat Maker Pro", price_cents=1900, generates_license_keys=True
    )


@pytest.fixture
def buyer(db):
    return UserFactory(email="buyer@example.com", confirmed=True)


@pytest.fixture
def pending(product, buyer):
    """A member's checkout of the product, waiting for Stripe's webhook."""
    return OrderFactory(
        product=product,
        buyer=buyer,
        email=buyer.email,
        status=Order.Status.PENDING,
        paid_at=None,
        payment_intent_id="",
        stripe_session_id="cs_test_licensed",
    )


def pay(client, order, event_id="evt_completed"):
    payload = completed(
        order,
        event_id=event_id,
        payment_intent=PAYMENT_INTENT,
        customer_details={"email": "buyer@example.com"},
    )
    response = post_event(client, payload)
    assert response.status_code == 200
    order.refresh_from_db()
    return response


def refund(client, amount_refunded, event_id="evt_refunded"):
    charge = charge_refunded(PAYMENT_INTENT, amount=1900, amount_refunded=amount_refunded)
    return post_event(client, stripe_event("charge.refunded", charge, event_id))


def dispute_event(kind, event_id, **fields):
    return stripe_event(f"charge.dispute.{kind}", dispute(PAYMENT_INTENT, **fields), event_id)


def key_of(order):
    return License.objects.get(order=order).key


class TestTheKey:
    def test_it_is_four_groups_of_eight_upper_case_hex_digits(self):
        keys = {license_key_new() for _ in range(1000)}

        assert len(keys) == 1000
        assert all(KEY.fullmatch(key) for key in keys)

    @pytest.mark.django_db
    def test_no_two_licenses_share_a_key(self, product):
        first, second = OrderFactory.create_batch(2, product=product)
        License.objects.create(order=first, key="0A1B2C3D-0A1B2C3D-0A1B2C3D-0A1B2C3D")

        with pytest.raises(IntegrityError), transaction.atomic():
            License.objects.create(order=second, key="0A1B2C3D-0A1B2C3D-0A1B2C3D-0A1B2C3D")

    @pytest.mark.django_db
    def test_a_key_that_collides_is_made_again(self, product, monkeypatch):
        first, second = OrderFactory.create_batch(2, product=product)
        taken = "0a1b2c3d" * 4
        License.objects.create(order=first, key="0A1B2C3D-0A1B2C3D-0A1B2C3D-0A1B2C3D")
        digits = iter([taken, "f" * 32])
        monkeypatch.setattr("secrets.token_hex", lambda size: next(digits))

        license = licenses.license_issue(order=second)

        assert license.key == "FFFFFFFF-FFFFFFFF-FFFFFFFF-FFFFFFFF"
        assert License.objects.count() == 2


@pytest.mark.django_db
class TestAPaidOrder:
    def test_gets_one_key_shown_on_the_receipt_and_in_its_email(
        self, client, stripe_server, pending, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            pay(client, pending)

        license = License.objects.get()
        assert license.order == pending
        assert KEY.fullmatch(license.key)
        assert (license.uses, license.disabled_at) == (0, None)
        receipt = client.get(pending.receipt_url)
        assert receipt.status_code == 200
        assert license.key in receipt.content.decode()
        (email,) = [email for email in mail.outbox if email.to == ["buyer@example.com"]]
        assert f"License key: {license.key}" in email.body
        html = email.alternatives[0][0]
        assert license.key in html

    def test_a_replayed_or_repeated_payment_event_makes_no_other_key(
        self, client, stripe_server, pending
    ):
        pay(client, pending)
        key = key_of(pending)

        replay = pay(client, pending)
        pay(client, pending, event_id="evt_completed_again")

        assert replay.json()["status"] == "duplicate"
        assert list(License.objects.values_list("key", flat=True)) == [key]

    def test_each_order_gets_its_own_key(self, client, stripe_server, product, pending):
        other = OrderFactory(
            product=product,
            status=Order.Status.PENDING,
            paid_at=None,
            payment_intent_id="",
            stripe_session_id="cs_test_other",
        )
        pay(client, pending)
        post_event(client, completed(other, event_id="evt_other", payment_intent="pi_test_other"))

        assert License.objects.count() == 2
        assert key_of(pending) != key_of(other)

    def test_of_a_product_without_keys_gets_none_and_shows_none(
        self, client, stripe_server, product, pending
    ):
        product.generates_license_keys = False
        product.save()

        pay(client, pending)

        assert pending.status == Order.Status.PAID
        assert not License.objects.exists()
        assert "License key" not in client.get(pending.receipt_url).content.decode()

    def test_the_buyers_library_shows_the_key(self, client, stripe_server, pending, buyer):
        pay(client, pending)
        client.force_login(buyer)

        library = client.get(reverse("orders:library"))

        assert library.status_code == 200
        assert "License key: <code" in library.content.decode()
        assert key_of(pending) in library.content.decode()

    def test_the_sales_page_shows_the_key_under_the_product(
        self, client, stripe_server, pending, store
    ):
        pay(client, pending)
        client.force_login(store.owner)

        sales = client.get(reverse("orders:sales")).content.decode()

        assert re.search(
            rf"Beat Maker Pro<div class=\"small\"><code[^>]*>{key_of(pending)}<", sales
        )
        assert "Disabled" not in sales

    def test_another_sellers_sales_page_does_not_show_it(self, client, stripe_server, pending):
        pay(client, pending)
        client.force_login(OrderFactory().store.owner)

        assert key_of(pending) not in client.get(reverse("orders:sales")).content.decode()

    def test_a_receipt_that_finds_the_checkout_paid_at_stripe_shows_the_new_key(
        self, client, stripe_server, pending
    ):
        stripe_server.answer_retrieve(completed_session(pending, payment_intent=PAYMENT_INTENT))

        body = client.get(pending.receipt_url).content.decode()

        assert "Thanks for your purchase!" in body
        assert key_of(pending) in body

    def test_the_pages_take_no_query_per_key(self, client, stripe_server, product, buyer, store):
        def queries(url):
            with CaptureQueriesContext(connection) as context:
                assert client.get(url).status_code == 200
            return len(context)

        def sell(count):
            for order in OrderFactory.create_batch(count, product=product, buyer=buyer):
                licenses.license_issue(order=order)

        sell(1)
        client.force_login(store.owner)
        sales = queries(reverse("orders:sales"))
        client.force_login(buyer)
        library = queries(reverse("orders:library"))
        sell(3)

        assert queries(reverse("orders:library")) == library
        client.force_login(store.owner)
        assert queries(reverse("orders:sales")) == sales
        assert License.objects.count() == 4

    def test_the_receipt_of_an_unpaid_order_has_no_key(self, client, stripe_server, pending):
        body = client.get(pending.receipt_url).content.decode()

        assert "License key" not in body
        assert not License.objects.exists()


@pytest.mark.django_db
class TestAFreeClaim:
    @pytest.fixture
    def free(self, product):
        product.price_cents = 0
        product.save()
        return product

    def test_gets_a_key_in_the_library_and_the_email(
        self, client, settings, free, buyer, django_capture_on_commit_callbacks
    ):
        settings.DEBUG = False
        client.force_login(buyer)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("orders:buy", args=[free.pk]), follow=True)

        key = License.objects.get(order__buyer=buyer).key
        assert response.redirect_chain == [(reverse("orders:library"), 302)]
        assert key in response.content.decode()
        (email,) = [email for email in mail.outbox if email.to == ["buyer@example.com"]]
        assert f"License key: {key}" in email.body

    def test_claimed_again_for_the_same_address_it_makes_no_other_key(self, client, settings, free):
        settings.DEBUG = False
        claim = {"email": "guest@example.com"}

        first = client.post(reverse("orders:buy", args=[free.pk]), claim)
        again = client.post(reverse("orders:buy", args=[free.pk]), claim)

        assert (first.status_code, again.status_code) == (302, 302)
        assert License.objects.get().order.email == "guest@example.com"


@pytest.mark.django_db
class TestDisabling:
    def test_a_full_refund_disables_the_key_and_the_pages_say_so(
        self, client, stripe_server, pending, store
    ):
        pay(client, pending)

        assert refund(client, 1900).status_code == 200

        license = License.objects.get()
        assert license.disabled_at is not None
        pending.refresh_from_db()
        assert pending.status == Order.Status.REFUNDED
        with pytest.raises(licenses.LicenseNotFound):
            licenses.license_verify(product_id=pending.product_id, license_key=license.key)
        receipt = client.get(pending.receipt_url).content.decode()
        assert license.key in receipt
        assert "Disabled" in receipt
        client.force_login(store.owner)
        sales = client.get(reverse("orders:sales")).content.decode()
        assert re.search(rf"{license.key}</code> <span[^>]*>Disabled</span>", sales)

    def test_partial_refunds_keep_it_until_they_reach_the_whole(
        self, client, stripe_server, pending
    ):
        pay(client, pending)

        refund(client, 500)
        assert License.objects.get().disabled_at is None

        refund(client, 1900, event_id="evt_refunded_rest")
        assert License.objects.get().disabled_at is not None

    def test_a_sellers_full_refund_disables_it(self, client, stripe_server, pending, store):
        stripe_server.answer_refunds()
        pay(client, pending)
        client.force_login(store.owner)

        response = client.post(
            reverse("orders:refund", args=[pending.pk]),
            {"amount": "19.00", "refunded_before": "0"},
        )

        assert response.status_code == 303
        assert License.objects.get().disabled_at is not None

    def test_a_refund_that_came_before_the_payment_leaves_a_disabled_key(
        self, client, stripe_server, pending
    ):
        refund(client, 1900)

        pay(client, pending)

        assert pending.status == Order.Status.REFUNDED
        assert License.objects.get().disabled_at is not None

    def test_a_lost_dispute_disables_it(self, client, stripe_server, pending):
        pay(client, pending)
        post_event(client, dispute_event("created", "evt_dispute_created"))
        assert License.objects.get().disabled_at is None

        closed = dispute_event("closed", "evt_dispute_closed", status="lost")
        assert post_event(client, closed).status_code == 200

        assert License.objects.get().disabled_at is not None

    @pytest.mark.parametrize("status", ["won", "warning_closed"])
    def test_a_won_dispute_does_not(self, client, stripe_server, pending, status):
        pay(client, pending)
        post_event(client, dispute_event("created", "evt_dispute_created"))

        closed = dispute_event("closed", "evt_dispute_closed", status=status)
        assert post_event(client, closed).status_code == 200

        pending.refresh_from_db()
        assert pending.dispute_status == Order.Dispute.WON
        license = License.objects.get()
        assert license.disabled_at is None
        verified = licenses.license_verify(product_id=pending.product_id, license_key=license.key)
        assert verified.uses == 1

    def test_a_disabling_replayed_later_keeps_the_first_time(self, client, stripe_server, pending):
        pay(client, pending)
        refund(client, 1900)
        disabled_at = License.objects.get().disabled_at

        refund(client, 1900, event_id="evt_refunded_again")

        assert License.objects.get().disabled_at == disabled_at


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_the_payment_at_once_make_one_key(stripe_server, pending):
    payloads = [
        completed(pending, event_id=event_id, payment_intent=PAYMENT_INTENT)
        for event_id in ("evt_completed", "evt_completed_twin")
    ]

    answers = race(*(partial(post_event, Client(), payload) for payload in payloads))

    assert [answer.status_code for answer in answers] == [200, 200]
    assert License.objects.filter(order=pending).count() == 1
