"""Deleting a product that people bought archives it: it leaves every list and sale,
and its buyers keep their downloads. One nobody bought is deleted as before."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.models import Order
from orders.services import order_mark_paid
from orders.views import checkout
from products import views
from products.models import Product
from tests.factories import OrderFactory, SellableProductFactory, StoreFactory, UserFactory
from tests.utils import messages_of

CONTENT = b"%PDF-1.4 the rye guide\n"
Status = Product.Status


@pytest.fixture
def product(store):
    return SellableProductFactory(
        store=store, name="Rye Guide", file=ContentFile(CONTENT, name="rye.pdf")
    )


@pytest.fixture
def buyer(db):
    return UserFactory(email="ann@example.com")


def delete(client, product):
    return client.post(reverse("products:delete", args=[product.pk]), follow=True)


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestDeleteOrArchive:
    def test_the_delete_page_says_buyers_keep_their_downloads(self, creator_client, product, buyer):
        OrderFactory(product=product, buyer=buyer)

        body = creator_client.get(reverse("products:delete", args=[product.pk])).content.decode()

        assert "People who bought it keep their downloads." in body
        assert ">Archive</button>" in body

    def test_the_delete_page_of_a_product_nobody_bought_says_it_cannot_be_undone(
        self, creator_client, product
    ):
        body = creator_client.get(reverse("products:delete", args=[product.pk])).content.decode()

        assert "This cannot be undone." in body
        assert "keep their downloads" not in body
        assert ">Delete</button>" in body

    def test_a_product_with_a_paid_order_is_archived_not_deleted(
        self, creator_client, product, buyer
    ):
        order = OrderFactory(product=product, buyer=buyer)

        response = delete(creator_client, product)

        product.refresh_from_db()
        assert product.status == Status.ARCHIVED
        assert product.file.read() == CONTENT
        assert response.redirect_chain == [(reverse("dashboard"), 302)]
        assert messages_of(response) == [
            "Archived Rye Guide: it is no longer listed or for sale, and people who bought "
            "it keep their downloads."
        ]
        assert Client().get(product.get_absolute_url()).status_code == 404
        order.refresh_from_db()
        assert order.product == product

    def test_its_buyer_keeps_the_download_and_the_library(self, creator_client, product, buyer):
        order = OrderFactory(product=product, buyer=buyer)
        delete(creator_client, product)
        buyer_client = logged_in(buyer)

        library = buyer_client.get(reverse("orders:library"))
        download = buyer_client.get(order.download_url)

        assert [o.pk for o in library.context["object_list"]] == [order.pk]
        assert f'href="{order.download_url}"' in library.content.decode()
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == CONTENT
        assert order.download_refusal() is None

    def test_a_guests_emailed_link_keeps_working(self, creator_client, product):
        order = OrderFactory(product=product, buyer=None)
        delete(creator_client, product)

        download = Client().get(order.download_url)

        assert download.status_code == 200
        assert b"".join(download.streaming_content) == CONTENT

    def test_a_product_with_refunded_orders_only_is_deleted(self, creator_client, product, buyer):
        order = OrderFactory(product=product, buyer=buyer, status=Order.Status.REFUNDED)

        response = delete(creator_client, product)

        assert messages_of(response) == ["Deleted Rye Guide."]
        assert not Product.objects.filter(pk=product.pk).exists()
        order.refresh_from_db()
        assert order.product is None
        assert order.product_name == "Rye Guide"

    def test_a_product_nobody_bought_is_deleted_with_its_file(
        self, creator_client, product, store, settings, django_capture_on_commit_callbacks
    ):
        path = settings.PRIVATE_MEDIA_ROOT / product.file.name

        with django_capture_on_commit_callbacks(execute=True):
            response = delete(creator_client, product)

        assert response.redirect_chain == [(store.get_absolute_url(), 302)]
        assert not Product.objects.filter(pk=product.pk).exists()
        assert not path.exists()

    def test_an_open_checkout_keeps_it_and_its_payment_is_delivered(
        self, creator_client, product, buyer, django_capture_on_commit_callbacks
    ):
        order = OrderFactory(
            product=product,
            buyer=buyer,
            status=Order.Status.PENDING,
            paid_at=None,
            expires_at=timezone.now() + timedelta(minutes=30),
        )
        delete(creator_client, product)

        with django_capture_on_commit_callbacks(execute=True):
            assert order_mark_paid(session_id=order.stripe_session_id)

        order.refresh_from_db()
        product.refresh_from_db()
        assert product.status == Status.ARCHIVED
        assert order.status == Order.Status.PAID
        assert order.download_refusal() is None
        assert logged_in(buyer).get(product.get_absolute_url()).status_code == 200

    def test_an_expired_checkout_does_not_keep_it(self, creator_client, product, buyer):
        OrderFactory(
            product=product,
            buyer=buyer,
            status=Order.Status.PENDING,
            paid_at=None,
            expires_at=timezone.now() - timedelta(minutes=1),
        )

        delete(creator_client, product)

        assert not Product.objects.filter(pk=product.pk).exists()

    def test_an_archived_product_with_buyers_stays_archived(self, creator_client, product, buyer):
        OrderFactory(product=product, buyer=buyer)
        Product.objects.filter(pk=product.pk).update(status=Status.ARCHIVED)

        page = creator_client.get(reverse("products:delete", args=[product.pk]))
        delete(creator_client, product)

        assert "It stays archived" in page.content.decode()
        assert Product.objects.get(pk=product.pk).status == Status.ARCHIVED

    def test_only_the_owner_may_delete_or_archive(self, product, buyer):
        OrderFactory(product=product, buyer=buyer)

        other_seller = StoreFactory().owner
        response = logged_in(other_seller).post(reverse("products:delete", args=[product.pk]))

        assert response.status_code == 403
        assert Product.objects.get(pk=product.pk).status == Status.PUBLISHED

    def test_restore_puts_an_archived_product_on_sale_again(
        self, creator_client, product, buyer, settings
    ):
        settings.DEBUG = True  # the local test checkout: Buy is offered
        OrderFactory(product=product, buyer=buyer)
        delete(creator_client, product)

        creator_client.post(reverse("products:restore", args=[product.pk]))

        product.refresh_from_db()
        assert product.status == Status.PUBLISHED
        assert "Buy for $5.00" in Client().get(product.get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_free_claim_for_a_product_deleted_meanwhile_is_a_404_not_a_500(client, monkeypatch):
    # Deleted between the buy view's read of the product and the claim's insert: the
    # order's foreign key fails at the commit.
    product = SellableProductFactory(price_cents=0)
    real_claim = services.order_claim_free

    def claim_after_a_delete(**kwargs):
        Product.objects.filter(pk=product.pk).delete()
        return real_claim(**kwargs)

    monkeypatch.setattr(checkout.services, "order_claim_free", claim_after_a_delete)

    response = client.post(reverse("orders:buy", args=[product.pk]), {"email": "a@example.com"})

    assert response.status_code == 404
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_status_button_for_a_product_deleted_meanwhile_is_a_404(
    creator_client, product, monkeypatch
):
    real_move = views.product_move

    def move_after_a_delete(**kwargs):
        Product.objects.filter(pk=product.pk).delete()
        return real_move(**kwargs)

    monkeypatch.setattr(views, "product_move", move_after_a_delete)

    response = creator_client.post(reverse("products:unpublish", args=[product.pk]))

    assert response.status_code == 404
