"""What a viewer may do with a product (orders.purchase.purchase_option): the product
page's buy box and Buy follow the same answer, for each of its outcomes."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from orders.models import Order
from products.views import ProductDetailView
from stores.backends import UserWithStoreBackend
from tests.factories import (
    OrderFactory,
    ProductFactory,
    SellableProductFactory,
    UserFactory,
)
from tests.orders.fake_stripe import SESSION_URL
from tests.utils import messages_of


def buy_url(product):
    return reverse("orders:buy", args=[product.pk])


def buy_box(client, product):
    """The product page's body for `client`."""
    response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
class TestWhatAViewerMayDo:
    def test_a_product_without_a_file_is_coming_soon_and_cannot_be_bought(self, client):
        product = ProductFactory(name="Unwritten Guide", price_cents=0)

        body = buy_box(client, product)
        response = client.post(buy_url(product), {"email": "ann@example.com"}, follow=True)

        assert "Coming soon" in body
        assert buy_url(product) not in body
        assert response.redirect_chain == [(product.get_absolute_url(), 302)]
        assert messages_of(response) == ["Unwritten Guide is coming soon: it can't be bought yet."]
        assert not Order.objects.exists()

    def test_the_owner_of_the_store_cannot_buy_their_own_product(self, client, stripe_server):
        product = SellableProductFactory(price_cents=1200)
        client.force_login(product.store.owner)

        body = buy_box(client, product)
        response = client.post(buy_url(product), follow=True)

        assert "This is your product." in body
        assert buy_url(product) not in body
        assert response.redirect_chain == [(product.get_absolute_url(), 302)]
        assert messages_of(response) == ["You can't buy your own product."]
        assert not Order.objects.exists()
        assert not stripe_server.requests

    def test_a_member_who_owns_it_gets_its_download_and_cannot_buy_it_again(
        self, client, stripe_server
    ):
        order = OrderFactory(product__name="Owned Guide", buyer=UserFactory())
        client.force_login(order.buyer)

        body = buy_box(client, order.product)
        response = client.post(buy_url(order.product))

        assert "You own this." in body
        assert 'href="/downloads/' in body
        assert f'href="{reverse("orders:library")}"' in body
        assert buy_url(order.product) not in body
        assert response.status_code == 200
        assert "You own this." in response.content.decode()
        assert messages_of(response) == ["You already own Owned Guide."]
        assert list(Order.objects.all()) == [order]
        assert not stripe_server.requests

    def test_the_download_is_the_members_paid_order(self, client):
        order = OrderFactory(buyer=UserFactory())
        client.force_login(order.buyer)

        response = client.get(order.product.get_absolute_url())

        assert response.context["owned_order"] == order
        download = response.context["owned_order"].download_url
        assert f'href="{download}"' in response.content.decode()

    def test_a_visitor_gets_a_free_product_by_email(self, client):
        product = SellableProductFactory(name="Free Guide", price_cents=0)

        body = buy_box(client, product)
        response = client.post(buy_url(product), {"email": "ann@example.com"}, follow=True)

        assert "Get it free" in body
        assert 'name="email"' in body
        assert messages_of(response) == [
            "Check your email: we sent the link to Free Guide to ann@example.com."
        ]
        order = Order.objects.get()
        assert (order.status, order.email, order.buyer) == (
            Order.Status.PAID,
            "ann@example.com",
            None,
        )

    def test_a_member_gets_a_free_product_without_typing_an_email(self, client):
        product = SellableProductFactory(price_cents=0)
        member = UserFactory(email="bea@example.com")
        client.force_login(member)

        body = buy_box(client, product)
        response = client.post(buy_url(product))

        assert "Get it free" in body
        assert 'name="email"' not in body
        assert response["Location"] == reverse("orders:library")
        order = Order.objects.get()
        assert (order.status, order.buyer, order.email) == (Order.Status.PAID, member, member.email)

    def test_a_paid_product_is_bought_through_the_checkout(self, client, stripe_server):
        product = SellableProductFactory(price_cents=1200)

        body = buy_box(client, product)
        response = client.post(buy_url(product))

        assert "Buy for $12.00" in body
        assert f'action="{buy_url(product)}"' in body
        assert response.status_code == 303
        assert response["Location"] == SESSION_URL
        assert Order.objects.get().status == Order.Status.PENDING

    def test_a_paid_product_cannot_be_bought_while_checkout_is_off(self, client, settings):
        settings.DEBUG = False
        settings.STRIPE_SECRET_KEY = ""
        product = SellableProductFactory(price_cents=1200)

        body = buy_box(client, product)
        response = client.post(buy_url(product), follow=True)

        assert "Checkout is not available" in body
        assert buy_url(product) not in body
        assert response.redirect_chain == [(product.get_absolute_url(), 302)]
        assert messages_of(response) == ["Checkout is not available right now."]
        assert not Order.objects.exists()


def viewer_and_product(option):
    """A viewer (loaded, or a visitor) and a product that gives them `option`."""
    match option:
        case "coming_soon":
            return AnonymousUser(), ProductFactory()
        case "own_product":
            product = SellableProductFactory()
            return product.store.owner, product
        case "owned":
            order = OrderFactory(buyer=UserFactory())
            return order.buyer, order.product
        case "claim_free":
            return AnonymousUser(), SellableProductFactory(price_cents=0)
        case _:
            return UserFactory(), SellableProductFactory(price_cents=1200)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("option", "shown", "debug", "view_queries"),
    [
        ("coming_soon", "Coming soon", True, 1),
        ("own_product", "This is your product.", True, 1),
        ("owned", "You own this.", True, 2),
        ("claim_free", "Get it free", True, 1),
        ("buy", "Buy for $12.00", True, 2),  # the local test checkout, with DEBUG on
        ("checkout_off", "Checkout is not available", False, 2),
    ],
)
def test_the_product_page_decides_in_the_view_and_its_template_makes_no_query(
    rf, settings, django_assert_num_queries, option, shown, debug, view_queries
):
    settings.DEBUG = debug
    settings.STRIPE_SECRET_KEY = ""
    viewer, product = viewer_and_product(option)
    request = rf.get(product.get_absolute_url())
    # Loaded as each request's user is: with their store, which the navigation asks for.
    request.user = viewer if viewer.is_anonymous else UserWithStoreBackend().get_user(viewer.pk)

    # The product with its store; for a member who could buy it, whether they own it.
    with django_assert_num_queries(view_queries):
        response = ProductDetailView.as_view()(request, pk=product.pk)

    assert response.context_data["purchase_option"] == option
    with django_assert_num_queries(0):
        body = response.render().content.decode()
    assert shown in body
