"""Get it free: a free product is paid at once (amount 0) and delivered by email."""

import re
import time

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from orders import services
from orders.models import Order
from tests.factories import SellableProductFactory, StoreFactory, UserFactory
from tests.utils import messages_of

DOWNLOAD_LINK = re.compile(r"https://yumroad\.example\.com/downloads/[^/\s]+/")


def buy_url(product):
    return reverse("orders:buy", args=[product.pk])


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://yumroad.example.com"


@pytest.fixture
def product(db):
    store = StoreFactory(name="Crumb Club", owner=UserFactory(email="baker@example.com"))
    return SellableProductFactory(name="Starter Notes", price_cents=0, store=store)


def emails_to(address):
    return [email for email in mail.outbox if address in email.to]


@pytest.mark.django_db
class TestALoggedInBuyer:
    def test_gets_a_paid_order_of_nothing_in_their_library(
        self, client, product, django_capture_on_commit_callbacks
    ):
        buyer = UserFactory(email="ann@example.com")
        client.force_login(buyer)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(buy_url(product), follow=True)

        assert response.redirect_chain == [(reverse("orders:library"), 302)]
        assert messages_of(response) == [
            "Starter Notes is in your library. We also emailed you the link."
        ]
        order = Order.objects.get()
        assert order.status == Order.Status.PAID
        assert order.paid_at is not None
        assert (order.amount_cents, order.currency) == (0, "usd")
        assert order.buyer == buyer
        assert order.email == "ann@example.com"
        assert (order.product, order.store) == (product, product.store)
        assert "Starter Notes" in response.content.decode()

    def test_gets_one_receipt_with_an_absolute_download_link(
        self, client, product, django_capture_on_commit_callbacks
    ):
        client.force_login(UserFactory(email="ann@example.com"))

        with django_capture_on_commit_callbacks(execute=True):
            client.post(buy_url(product))

        [receipt] = emails_to("ann@example.com")
        assert receipt.subject == "Here is your free download"
        assert "Here is your free download." in receipt.body
        assert "purchase" not in receipt.body.lower()
        [link] = DOWNLOAD_LINK.findall(receipt.body)
        # The link's signature carries the second it was made: compare what it opens.
        token = link.removesuffix("/").rpartition("/")[2]
        assert Order.of_download_link(token) == (Order.objects.get(), None)
        html, mimetype = receipt.alternatives[0]
        assert mimetype == "text/html"
        assert f'href="{link}"' in html

    def test_the_emailed_link_downloads_the_file(
        self, client, product, django_capture_on_commit_callbacks
    ):
        client.force_login(UserFactory(email="ann@example.com"))
        with django_capture_on_commit_callbacks(execute=True):
            client.post(buy_url(product))
        [link] = DOWNLOAD_LINK.findall(emails_to("ann@example.com")[0].body)

        response = client.get(link.removeprefix("https://yumroad.example.com"))

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 the guide\n"

    def test_the_seller_gets_one_notice(self, client, product, django_capture_on_commit_callbacks):
        client.force_login(UserFactory(email="ann@example.com"))

        with django_capture_on_commit_callbacks(execute=True):
            client.post(buy_url(product))

        assert len(mail.outbox) == 2
        [notice] = emails_to("baker@example.com")
        assert notice.subject == "You sold Starter Notes"
        assert "Buyer: ann@example.com" in notice.body
        assert "Amount: Free" in notice.body
        # No account's address is confirmed: replies go nowhere a claim can point them.
        assert notice.reply_to == []

    def test_no_email_leaves_before_the_commit(
        self, client, product, django_capture_on_commit_callbacks
    ):
        client.force_login(UserFactory(email="ann@example.com"))

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post(buy_url(product))

        assert mail.outbox == []
        for callback in callbacks:  # the commit
            callback()
        assert len(mail.outbox) == 2

    def test_claiming_again_shows_their_download_and_writes_nothing(
        self, client, product, django_capture_on_commit_callbacks
    ):
        client.force_login(UserFactory(email="ann@example.com"))
        with django_capture_on_commit_callbacks(execute=True):
            client.post(buy_url(product), follow=True)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(buy_url(product))

        assert response.status_code == 200
        assert messages_of(response) == ["You already own Starter Notes."]
        assert "You own this." in response.content.decode()
        assert response.context["owned_order"] == Order.objects.get()
        assert len(mail.outbox) == 2


@pytest.mark.django_db
class TestAGuest:
    def test_gets_an_order_for_their_email_and_no_account(
        self, client, product, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(buy_url(product), {"email": " Ann@Example.com "}, follow=True)

        assert response.redirect_chain == [(product.get_absolute_url(), 302)]
        assert messages_of(response) == [
            "Check your email: we sent the link to Starter Notes to ann@example.com."
        ]
        order = Order.objects.get()
        assert order.email == "ann@example.com"
        assert order.buyer is None
        assert (order.status, order.amount_cents) == (Order.Status.PAID, 0)

    def test_the_link_goes_to_that_address_only(
        self, client, product, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(buy_url(product), {"email": "ann@example.com"})

        [receipt] = emails_to("ann@example.com")
        assert DOWNLOAD_LINK.search(receipt.body)
        [notice] = emails_to("baker@example.com")
        assert notice.subject == "You sold Starter Notes"
        assert len(mail.outbox) == 2

    def test_the_typed_address_gets_no_seller_words_in_its_subject(
        self, client, settings, django_capture_on_commit_callbacks
    ):
        # Anyone can type anyone's address: a seller's words in the subject would make
        # the site a relay for them. They go in the body.
        settings.DEBUG = False
        store = StoreFactory(name="Cheap Pills Club", owner=UserFactory(email="s@example.com"))
        product = SellableProductFactory(name="Claim Your Prize Now", price_cents=0, store=store)

        with django_capture_on_commit_callbacks(execute=True):
            client.post(buy_url(product), {"email": "victim@example.com"})

        [receipt] = emails_to("victim@example.com")
        assert receipt.subject == "Here is your free download"
        assert "Claim Your Prize Now from Cheap Pills Club" in receipt.body

    def test_the_seller_notice_points_no_reply_at_the_typed_address(
        self, client, product, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(buy_url(product), {"email": "victim@example.com"})

        [notice] = emails_to("baker@example.com")
        assert notice.reply_to == []
        assert "Buyer: victim@example.com" in notice.body

    def test_an_account_with_that_email_is_not_given_the_order(
        self, client, product, django_capture_on_commit_callbacks
    ):
        UserFactory(email="ann@example.com")

        with django_capture_on_commit_callbacks(execute=True):
            client.post(buy_url(product), {"email": "ann@example.com"})

        assert Order.objects.get().buyer is None

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            ({}, "This field is required."),
            ({"email": ""}, "This field is required."),
            ({"email": "not-an-email"}, "Enter a valid email address."),
            ({"email": "ann@"}, "Enter a valid email address."),
            (
                {"email": "a" * 243 + "@example.com"},
                "An email address has at most 254 characters.",
            ),
        ],
    )
    def test_a_bad_email_is_refused_and_nothing_is_written(
        self, client, product, django_capture_on_commit_callbacks, data, error
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(buy_url(product), data)

        assert response.status_code == 400
        assert error in response.context["claim_form"].errors["email"]
        body = response.content.decode()
        assert error.replace("'", "&#x27;") in body
        assert "Get it free" in body
        assert not Order.objects.exists()
        assert mail.outbox == []

    def test_an_email_with_a_nul_is_a_400_and_nothing_is_written(self, client, product):
        response = client.post(buy_url(product), {"email": "ann\x00@example.com"})

        assert response.status_code == 400
        assert not Order.objects.exists()
        assert mail.outbox == []

    def test_claims_within_the_interval_write_no_order_and_say_when_to_ask_again(
        self, client, product, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(buy_url(product), {"email": "ann@example.com"}, follow=True)
        assert len(emails_to("ann@example.com")) == 1

        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(buy_url(product), {"email": "ANN@example.com"}, follow=True)
            assert response.redirect_chain == [(product.get_absolute_url(), 302)]
            assert messages_of(response) == [
                "We sent the link to Starter Notes to ann@example.com a short while ago. "
                "You can ask again in 10 minutes."
            ]

        assert Order.objects.count() == 1
        # The first claim's receipt starts the interval; no second notice to the seller.
        assert len(emails_to("ann@example.com")) == 1
        assert len(emails_to("baker@example.com")) == 1

    def test_the_wait_counts_down_from_the_last_email(
        self, client, product, monkeypatch, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(buy_url(product), {"email": "ann@example.com"})
        later = time.time() + 9 * 60 + 1  # 59 seconds before the interval ends
        monkeypatch.setattr(time, "time", lambda: later)

        response = client.post(buy_url(product), {"email": "ann@example.com"}, follow=True)

        assert messages_of(response)[-1].endswith("You can ask again in 1 minute.")

    def test_an_interval_an_older_release_started_counts_as_whole(
        self, client, product, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(buy_url(product), {"email": "ann@example.com"}, follow=True)
        order = Order.objects.get()
        # Before the interval kept its start, its entry held True.
        cache.set(f"orders:resend:{order.pk}", True, 600)

        response = client.post(buy_url(product), {"email": "ann@example.com"}, follow=True)

        assert messages_of(response)[-1].endswith("You can ask again in 10 minutes.")
        assert services.receipt_resend_wait(order=order) == 600
        cache.clear()
        assert services.receipt_resend_wait(order=order) == 0

    def test_a_claim_after_the_interval_resends_again(
        self, client, product, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(buy_url(product), {"email": "ann@example.com"})
            client.post(buy_url(product), {"email": "ann@example.com"})
        cache.clear()  # the interval has passed

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(buy_url(product), {"email": "ann@example.com"}, follow=True)

        # The first claim's receipt, then the resend once the interval has passed.
        assert len(emails_to("ann@example.com")) == 2
        assert Order.objects.count() == 1
        assert messages_of(response)[-1] == (
            "Check your email: we sent the link to Starter Notes to ann@example.com."
        )


@pytest.mark.django_db
class TestWhatCannotBeClaimed:
    def test_the_creator_cannot_buy_their_own_product(
        self, client, product, django_capture_on_commit_callbacks
    ):
        client.force_login(product.store.owner)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(buy_url(product), follow=True)

        assert response.redirect_chain == [(product.get_absolute_url(), 302)]
        assert messages_of(response) == ["You can't buy your own product."]
        assert not Order.objects.exists()
        assert mail.outbox == []

    def test_a_paid_product_is_not_free(self, client, settings):
        # With DEBUG off and no Stripe key there is no checkout: nothing to get for free.
        settings.DEBUG = False
        settings.STRIPE_SECRET_KEY = ""
        product = SellableProductFactory(price_cents=500)

        response = client.post(buy_url(product), {"email": "ann@example.com"}, follow=True)

        assert messages_of(response) == ["Checkout is not available right now."]
        assert not Order.objects.exists()

    def test_get_is_not_allowed(self, client, product):
        response = client.get(buy_url(product))

        assert response.status_code == 405
        assert not Order.objects.exists()

    def test_an_unknown_product_is_not_found(self, client, product):
        response = client.post(reverse("orders:buy", args=[product.pk + 1000]))

        assert response.status_code == 404
