"""Free products, download links, the library and the sales pages, through HTTP."""

import csv
import io

import pytest
from django.core import mail, signing
from django.urls import reverse

from orders.models import DOWNLOAD_SALT, Order
from tests.factories import OrderFactory, SellableProductFactory, UserFactory
from tests.utils import messages_of


def buy_url(product):
    return reverse("orders:buy", args=[product.pk])


@pytest.fixture
def free_product(db):
    return SellableProductFactory(name="Holiday Cookie Cards", price_cents=0)


@pytest.mark.django_db
class TestFreeProducts:
    def test_a_visitor_gets_the_link_by_email(
        self, client, free_product, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(buy_url(free_product), {"email": "Guest@Example.com"})

        assert response["Location"] == free_product.get_absolute_url()
        order = Order.objects.get()
        assert (order.email, order.status, order.amount_cents) == ("guest@example.com", "paid", 0)
        assert [message.to for message in mail.outbox] == [
            ["guest@example.com"],
            [free_product.store.owner.email],
        ]

    def test_a_visitor_without_a_valid_email_gets_a_400(self, client, free_product):
        response = client.post(buy_url(free_product), {"email": "not-an-email"})

        assert response.status_code == 400
        assert not Order.objects.exists()

    def test_a_second_claim_resends_the_link_once_in_a_while(
        self, client, free_product, django_capture_on_commit_callbacks
    ):
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                client.post(buy_url(free_product), {"email": "guest@example.com"})

        assert Order.objects.count() == 1
        receipts = [m for m in mail.outbox if m.to == ["guest@example.com"]]
        assert len(receipts) == 2

    def test_a_logged_in_buyer_finds_it_in_the_library(self, auth_client, user, free_product):
        response = auth_client.post(buy_url(free_product), follow=True)

        assert response.redirect_chain[-1][0] == reverse("orders:library")
        assert "Holiday Cookie Cards is in your library." in " ".join(messages_of(response))
        assert "Holiday Cookie Cards" in response.content.decode()

    def test_a_product_without_a_file_cannot_be_bought(self, client):
        product = SellableProductFactory(file="")

        response = client.post(buy_url(product), follow=True)

        assert "can't be bought yet" in " ".join(messages_of(response))
        assert not Order.objects.exists()


@pytest.mark.django_db
class TestDownloads:
    def test_a_paid_order_downloads_its_file(self, client):
        order = OrderFactory()

        response = client.get(order.download_url)

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 the guide\n"
        assert 'filename="guide.pdf"' in response["Content-Disposition"]
        order.refresh_from_db()
        assert order.download_count == 1

    def test_an_expired_link_offers_a_new_one_by_email(self, client, settings):
        order = OrderFactory()
        url = order.download_url
        settings.DOWNLOAD_LINK_MAX_AGE = -1

        response = client.get(url)

        assert response.status_code == 410
        assert "This download link has expired" in response.content.decode()
        resend = client.post(reverse("orders:resend", args=[url.split("/")[-2]]))
        assert resend.status_code == 302
        assert [m.to for m in mail.outbox] == [[order.email]]

    def test_a_forged_link_is_refused(self, client):
        response = client.get(reverse("orders:download", args=["forged"]))

        assert response.status_code == 403
        assert client.post(reverse("orders:resend", args=["forged"])).status_code == 403

    @pytest.mark.parametrize(
        ("status", "code", "title"),
        [
            ("refunded", 410, "This purchase was refunded"),
            ("pending", 403, "This order is not paid"),
        ],
    )
    def test_a_refunded_or_unpaid_order_downloads_nothing(self, client, status, code, title):
        order = OrderFactory(status=status)

        response = client.get(order.download_url)

        assert response.status_code == code
        assert title in response.content.decode()

    def test_resending_for_an_order_that_is_not_paid_is_refused(self, client):
        order = OrderFactory(status="refunded")
        token = signing.dumps(order.pk, salt=DOWNLOAD_SALT, compress=True)

        assert client.post(reverse("orders:resend", args=[token])).status_code == 403

    def test_a_removed_file_says_so(self, client):
        order = OrderFactory()
        order.product.file.delete(save=True)

        response = client.get(order.download_url)

        assert response.status_code == 410
        assert "This file is no longer available" in response.content.decode()


@pytest.mark.django_db
class TestSalesPages:
    def test_the_owner_sees_sales_and_totals(self, creator_client, store):
        product = SellableProductFactory(store=store, price_cents=700)
        OrderFactory.create_batch(2, product=product)
        OrderFactory(product=product, status="refunded")

        response = creator_client.get(reverse("orders:sales"))

        assert response.context["totals"]["paid_count"] == 2
        assert response.context["revenue"] == "$14.00"
        assert response.context["refunded"] == "$7.00"

    def test_a_user_without_a_store_is_refused(self, auth_client):
        assert auth_client.get(reverse("orders:sales")).status_code == 403

    def test_the_csv_has_every_sale_and_disarms_formulas(self, creator_client, store):
        product = SellableProductFactory(store=store, name="=HYPERLINK(evil)")
        OrderFactory(product=product, product_name=product.name, email="buyer@example.com")

        response = creator_client.get(reverse("orders:sales_export"))

        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][:3] == ["date", "order", "product"]
        assert rows[1][2] == "'=HYPERLINK(evil)"
        assert rows[1][3] == "buyer@example.com"

    def test_the_library_lists_what_the_user_bought(self, client):
        buyer = UserFactory()
        order = OrderFactory(buyer=buyer)
        client.force_login(buyer)

        response = client.get(reverse("orders:library"))

        assert list(response.context["object_list"]) == [order]
        assert order.download_url in response.content.decode()
