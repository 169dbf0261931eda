import pytest
from django.core import mail
from django.urls import reverse

from orders.models import Order
from tests.factories import OrderFactory, SellableProductFactory, UserFactory
from tests.utils import messages_of


@pytest.fixture
def test_checkout(settings):
    """Development: DEBUG on and no Stripe key, so the local test checkout stands in."""
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""


@pytest.fixture
def product(db):
    return SellableProductFactory(name="Weekend Croissant Plan", price_cents=700)


def start(client, product):
    response = client.post(reverse("orders:buy", args=[product.pk]))
    assert response.status_code == 303
    return response["Location"]


@pytest.mark.django_db
class TestLocalTestCheckout:
    def test_buying_opens_a_clearly_labelled_test_checkout(self, client, test_checkout, product):
        page = client.get(start(client, product))

        body = page.content.decode()
        assert page.status_code == 200
        assert "Test checkout: no money moves" in body
        assert "Weekend Croissant Plan" in body
        assert "Pay $7.00" in body
        assert "Cancel" in body

    def test_paying_runs_the_webhook_fulfilment_end_to_end(
        self, client, test_checkout, product, django_capture_on_commit_callbacks
    ):
        buyer = UserFactory(email="ann@example.com")
        client.force_login(buyer)
        checkout_url = start(client, product)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                checkout_url, {"action": "pay", "email": "ann@example.com"}, follow=True
            )

        order = Order.objects.get()
        assert response.redirect_chain[-1] == (order.receipt_url, 302)
        body = response.content.decode()
        assert "Thanks for your purchase!" in body
        assert "Weekend Croissant Plan" in body
        assert order.status == Order.Status.PAID
        assert order.buyer == buyer
        assert [message.subject for message in mail.outbox] == [
            f"Your purchase of Weekend Croissant Plan from {product.store.name}",
            "You sold Weekend Croissant Plan",
        ]
        library = client.get(reverse("orders:library")).content.decode()
        assert "Weekend Croissant Plan" in library
        download = client.get(order.download_url)
        assert b"".join(download.streaming_content) == b"%PDF-1.4 the guide\n"

    def test_a_guest_gives_the_email_the_file_goes_to(
        self, client, test_checkout, product, django_capture_on_commit_callbacks
    ):
        checkout_url = start(client, product)

        with django_capture_on_commit_callbacks(execute=True):
            client.post(checkout_url, {"action": "pay", "email": "Guest@Example.com"})

        assert Order.objects.get().email == "guest@example.com"
        assert mail.outbox[0].to == ["guest@example.com"]

    @pytest.mark.parametrize("email", ["", "not-an-email", "a\x00b@example.com"])
    def test_a_bad_email_is_refused_and_nothing_is_paid(
        self, client, test_checkout, product, email
    ):
        response = client.post(start(client, product), {"action": "pay", "email": email})

        assert response.status_code == 400
        assert Order.objects.get().status == Order.Status.PENDING

    def test_cancel_returns_to_the_product_and_leaves_the_order_pending(
        self, client, test_checkout, product
    ):
        response = client.post(start(client, product), {"action": "cancel"}, follow=True)

        assert response.redirect_chain[-1] == (product.get_absolute_url(), 302)
        assert messages_of(response) == ["Checkout cancelled. You have not been charged."]
        assert Order.objects.get().status == Order.Status.PENDING
        assert not mail.outbox

    def test_paying_twice_fulfils_once(
        self, client, test_checkout, product, django_capture_on_commit_callbacks
    ):
        checkout_url = start(client, product)

        with django_capture_on_commit_callbacks(execute=True):
            client.post(checkout_url, {"action": "pay", "email": "a@example.com"})
            client.post(checkout_url, {"action": "pay", "email": "a@example.com"})

        assert len(mail.outbox) == 2

    def test_a_paid_checkout_returns_to_its_receipt(self, client, test_checkout):
        order = OrderFactory(stripe_session_id="test_paid_already")

        response = client.get(reverse("orders:test_checkout", args=["test_paid_already"]))

        assert response.status_code == 302
        assert response["Location"] == order.receipt_url

    def test_a_pending_test_order_shows_processing_without_asking_anyone(
        self, client, test_checkout, product
    ):
        start(client, product)

        body = client.get(Order.objects.get().receipt_url).content.decode()

        assert "Payment processing: this page updates itself." in body

    def test_there_is_no_test_checkout_in_production(self, client, settings, product):
        settings.DEBUG = False
        settings.STRIPE_SECRET_KEY = ""
        OrderFactory(stripe_session_id="test_session", status=Order.Status.PENDING, paid_at=None)

        url = reverse("orders:test_checkout", args=["test_session"])
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "pay", "email": "a@example.com"}).status_code == 404
        assert Order.objects.get().status == Order.Status.PENDING

    def test_there_is_no_test_checkout_with_a_stripe_key(self, client, settings):
        settings.DEBUG = True
        settings.STRIPE_SECRET_KEY = "sk_test_real"
        OrderFactory(stripe_session_id="test_session", status=Order.Status.PENDING, paid_at=None)

        assert client.get(reverse("orders:test_checkout", args=["test_session"])).status_code == 404

    def test_an_unknown_session_is_a_404(self, client, test_checkout):
        assert client.get(reverse("orders:test_checkout", args=["test_nope"])).status_code == 404
