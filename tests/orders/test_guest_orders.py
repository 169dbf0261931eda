"""Orders paid as a guest join the account of their email once it is confirmed: at the
confirmation for those paid before, at the payment for those paid after. An
unconfirmed account gets none of them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from orders.models import Order
from tests.factories import OrderFactory, SellableProductFactory, UserFactory
from tests.orders.fake_stripe import completed_session, stripe_event
from tests.orders.test_webhook import post_event

LIBRARY_URL = reverse("orders:library")


def unconfirmed_user(email):
    return UserFactory(email=email, email_confirmation_sent_at=timezone.now())


def confirm(client, user):
    """Log in as `user`, follow their confirmation link and press its button."""
    client.force_login(user)
    response = client.post(User.objects.get(pk=user.pk).email_confirmation_url)
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).email_confirmed


def guest_order(email, **fields):
    """A paid order placed by a guest who gave `email` at the checkout."""
    return OrderFactory(
        email=email,
        product=SellableProductFactory(name=fields.pop("name", "Guest Guide")),
        **fields,
    )


def library_of(client, user):
    client.force_login(user)
    return client.get(LIBRARY_URL).content.decode()


def pending_guest_checkout(name="Lo-fi Drum Kit"):
    return OrderFactory(
        product=SellableProductFactory(name=name, price_cents=1900),
        email="",
        status=Order.Status.PENDING,
        paid_at=None,
        payment_intent_id="",
        stripe_session_id="cs_test_guest",
    )


def pay_by_webhook(client, order, email):
    event = stripe_event(
        "checkout.session.completed",
        completed_session(order, customer_details={"email": email, "name": "Ann"}),
        event_id="evt_guest",
    )
    assert post_event(client, event).status_code == 200


@pytest.mark.django_db
class TestConfirmationAttachesGuestOrders:
    def test_the_paid_guest_orders_of_that_email_join_the_library(self, client):
        user = unconfirmed_user("ann@example.com")
        first = guest_order("ann@example.com", name="Sourdough Notes")
        second = guest_order("ann@example.com", name="Rye Diary")

        confirm(client, user)

        assert set(Order.objects.filter(buyer=user)) == {first, second}
        library = library_of(client, user)
        assert "Sourdough Notes" in library
        assert "Rye Diary" in library

    def test_a_look_alike_address_gets_none_of_them(self, client):
        # PostgreSQL's case-insensitive match folds a dotless i into "I": an address
        # with one in its domain, which anyone may register, would take these orders.
        guest_order("bob@gmail.com", name="Sourdough Notes")
        look_alike = unconfirmed_user("bob@gma\u0131l.com")

        confirm(client, look_alike)

        assert not Order.objects.filter(buyer=look_alike).exists()

    def test_only_then(self, client):
        user = unconfirmed_user("ann@example.com")
        guest_order("ann@example.com", name="Sourdough Notes")

        library = library_of(client, user)

        assert "Sourdough Notes" not in library
        assert not Order.objects.filter(buyer=user).exists()

    def test_other_orders_stay_where_they_are(self, client):
        user = unconfirmed_user("ann@example.com")
        someone = UserFactory(email="bob@example.com")
        pending = guest_order("ann@example.com", status=Order.Status.PENDING, paid_at=None)
        refunded = guest_order("ann@example.com", status=Order.Status.REFUNDED)
        bought_by_someone = guest_order("ann@example.com", buyer=someone)
        other_email = guest_order("annie@example.com")

        confirm(client, user)

        assert Order.objects.get(pk=pending.pk).buyer is None
        assert Order.objects.get(pk=refunded.pk).buyer is None
        assert Order.objects.get(pk=bought_by_someone.pk).buyer == someone
        assert Order.objects.get(pk=other_email.pk).buyer is None

    def test_a_product_page_the_member_saw_before_shows_it_owned_after(self, client):
        user = unconfirmed_user("ann@example.com")
        order = guest_order("ann@example.com", name="Sourdough Notes")
        client.force_login(user)
        before = client.get(order.product.get_absolute_url()).content.decode()
        assert "You own this." not in before  # now in the member's cached copies

        confirm(client, user)

        after = client.get(order.product.get_absolute_url()).content.decode()
        assert "You own this." in after

    def test_an_email_confirmed_after_a_change_takes_the_new_address_orders(self, client):
        user = UserFactory(email="old@example.com", confirmed=True)
        guest_order("old@example.com", name="Old Address Guide")
        new = guest_order("new@example.com", name="New Address Guide")
        User.objects.filter(pk=user.pk).update(
            email="new@example.com", confirmed_email="", email_confirmation_sent_at=timezone.now()
        )

        confirm(client, user)

        assert list(Order.objects.filter(buyer=user)) == [new]


@pytest.mark.django_db
class TestPaymentAttachesToAConfirmedAccount:
    def test_a_guest_checkout_paid_with_its_email_joins_it_at_payment(self, client, stripe_server):
        user = UserFactory(email="ann@example.com", confirmed=True)
        order = pending_guest_checkout()

        pay_by_webhook(client, order, "Ann@Example.com")

        paid = Order.objects.get(pk=order.pk)
        assert (paid.status, paid.buyer) == (Order.Status.PAID, user)
        assert "Lo-fi Drum Kit" in library_of(client, user)

    def test_an_unconfirmed_account_gets_none(self, client, stripe_server):
        user = unconfirmed_user("ann@example.com")
        order = pending_guest_checkout()

        pay_by_webhook(client, order, "ann@example.com")

        paid = Order.objects.get(pk=order.pk)
        assert (paid.status, paid.buyer) == (Order.Status.PAID, None)
        assert "Lo-fi Drum Kit" not in library_of(client, user)

    def test_on_the_test_checkout_too(self, client, settings):
        settings.DEBUG, settings.STRIPE_SECRET_KEY = True, ""
        user = UserFactory(email="ann@example.com", confirmed=True)
        product = SellableProductFactory(name="Weekend Croissant Plan", price_cents=700)
        checkout_url = client.post(reverse("orders:buy", args=[product.pk]))["Location"]

        client.post(checkout_url, {"action": "pay", "email": "ann@example.com"})

        assert Order.objects.get().buyer == user

    def test_a_free_claim_with_its_email_joins_it(self, client):
        user = UserFactory(email="ann@example.com", confirmed=True)
        product = SellableProductFactory(name="Starter Notes", price_cents=0)

        client.post(reverse("orders:buy", args=[product.pk]), {"email": "Ann@Example.com"})

        assert Order.objects.get().buyer == user
        assert "Starter Notes" in library_of(client, user)

    def test_a_free_claim_with_an_unconfirmed_accounts_email_waits_for_the_confirmation(
        self, client
    ):
        user = unconfirmed_user("ann@example.com")
        product = SellableProductFactory(name="Starter Notes", price_cents=0)

        client.post(reverse("orders:buy", args=[product.pk]), {"email": "ann@example.com"})

        assert Order.objects.get().buyer is None
        confirm(client, user)
        assert Order.objects.get().buyer == user
