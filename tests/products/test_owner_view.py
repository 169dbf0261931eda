"""What a product's owner sees on its page: its address with Copy link, and the page as
a buyer sees it (?as=buyer)."""

import urllib.request

import pytest
from django.test import Client
from django.urls import reverse

from products.models import Product
from tests.factories import SellableProductFactory, UserFactory
from yumroad_site.cache import cached

AS_BUYER = "?as=buyer"


@pytest.fixture
def product(store):
    return SellableProductFactory(store=store, name="Barley Book", price_cents=0)


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestCopyLink:
    def test_the_owner_gets_the_address_to_copy_and_the_script_that_copies_it(
        self, creator_client, product
    ):
        body = creator_client.get(product.get_absolute_url()).content.decode()

        url = f"http://127.0.0.1:8000/products/{product.pk}/"
        assert f'id="product-link" value="{url}" readonly' in body
        assert 'data-copy-link="product-link" hidden>Copy link</button>' in body
        assert 'src="/static/products/copy_link.js" defer' in body
        assert "<script>" not in body

    def test_others_get_neither(self, client, product):
        for viewer in (client, logged_in(UserFactory())):
            body = viewer.get(product.get_absolute_url()).content.decode()
            assert "Copy link" not in body
            assert "copy_link.js" not in body


def test_the_copy_script_is_served_by_the_site(live_server):
    with urllib.request.urlopen(f"{live_server.url}/static/products/copy_link.js") as response:
        assert response.status == 200
        assert b"navigator.clipboard" in response.read()


@pytest.mark.django_db
class TestViewAsABuyer:
    def test_the_owner_has_the_link(self, creator_client, product):
        body = creator_client.get(product.get_absolute_url()).content.decode()

        assert f'href="{product.get_absolute_url()}{AS_BUYER}">View as a buyer</a>' in body

    def test_the_owner_sees_the_buy_box_a_visitor_sees_and_no_owner_tools(
        self, creator_client, product
    ):
        response = creator_client.get(product.get_absolute_url() + AS_BUYER)

        body = response.content.decode()
        assert response.status_code == 200
        assert "This is your product as a buyer sees it." in body
        assert "Get it free" in body
        assert 'name="email"' in body
        assert "This is your product." not in body
        assert "data-owner-tools" not in body
        assert "Back to your view" in body

    def test_a_draft_is_shown_as_it_will_be_once_published(self, creator_client, product):
        Product.objects.filter(pk=product.pk).update(status=Product.Status.DRAFT)

        body = creator_client.get(product.get_absolute_url() + AS_BUYER).content.decode()

        assert "as a buyer sees it once it is published." in body
        assert "Get it free" in body

    def test_no_one_else_sees_a_draft_through_it(self, client, product):
        Product.objects.filter(pk=product.pk).update(status=Product.Status.DRAFT)

        for viewer in (client, logged_in(UserFactory())):
            assert viewer.get(product.get_absolute_url() + AS_BUYER).status_code == 404

    def test_for_anyone_else_it_is_the_page_they_would_see(self, client, product):
        body = client.get(product.get_absolute_url() + AS_BUYER).content.decode()

        assert "as a buyer sees it" not in body
        assert "Get it free" in body

    def test_it_is_never_kept_in_the_cache(self, creator_client, product):
        creator_client.get(product.get_absolute_url() + AS_BUYER)
        Client().get(product.get_absolute_url() + AS_BUYER)

        assert cached("visitor page", product.get_absolute_url() + AS_BUYER) is None
        owner_page = creator_client.get(product.get_absolute_url()).content.decode()
        assert "data-owner-tools" in owner_page


@pytest.mark.django_db
def test_the_owner_moves_the_status_from_the_page_and_comes_back_to_it(creator_client, product):
    body = creator_client.get(product.get_absolute_url()).content.decode()
    assert f'action="{reverse("products:unpublish", args=[product.pk])}"' in body
    assert f'name="next" value="{product.get_absolute_url()}"' in body

    response = creator_client.post(
        reverse("products:unpublish", args=[product.pk]),
        {"next": product.get_absolute_url()},
        follow=True,
    )

    assert response.redirect_chain == [(product.get_absolute_url(), 302)]
    assert "<strong>Draft</strong>" in response.content.decode()
