"""No proxy or shared cache may keep a member's pages or a page with a form token."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import OrderFactory, SellableProductFactory, StoreFactory
from yumroad_site.cache import cached

NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


def cache_control(response):
    """The directives of the response's Cache-Control header."""
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.fixture
def product(db):
    return SellableProductFactory(name="Private Guide")


@pytest.mark.django_db
class TestMembersPages:
    def test_the_library_with_its_download_links_is_private_and_never_stored(
        self, auth_client, user, product
    ):
        OrderFactory(product=product, buyer=user, email=user.email)

        response = auth_client.get(reverse("orders:library"))

        assert "Private Guide" in response.content.decode()
        assert cache_control(response) == {"private", "no-store"}

    def test_the_dashboard_is_private_and_never_stored(self, client):
        store = StoreFactory()
        client.force_login(store.owner)

        response = client.get(reverse("dashboard"))

        assert response.status_code == 200
        assert cache_control(response) == {"private", "no-store"}

    def test_a_members_page_from_the_page_cache_is_private_and_never_stored(
        self, auth_client, user, product, django_assert_num_queries
    ):
        auth_client.get(reverse("products:index"))

        # A cache hit: the session only.
        with django_assert_num_queries(1):
            response = auth_client.get(reverse("products:index"))

        assert user.email in response.content.decode()
        assert cache_control(response) == {"private", "no-store"}

    def test_a_redirect_for_a_member_is_private_too(self, auth_client):
        response = auth_client.get(reverse("accounts:password_change"))

        assert response.status_code == 302
        assert cache_control(response) == {"private", "no-store"}


@pytest.mark.django_db
class TestPagesWithAFormToken:
    @pytest.mark.parametrize("name", ["accounts:login", "stores:signup"])
    def test_the_login_and_sign_up_pages_keep_never_caches_stricter_header(self, client, name):
        response = client.get(reverse(name))

        assert 'name="csrfmiddlewaretoken"' in response.content.decode()
        assert response["Cache-Control"] == NEVER_CACHE

    def test_the_password_reset_page_is_private_and_never_stored(self, client):
        response = client.get(reverse("accounts:password_reset"))

        assert 'name="csrfmiddlewaretoken"' in response.content.decode()
        assert cache_control(response) == {"private", "no-store"}

    def test_a_product_page_with_its_claim_form_is_private_even_from_the_page_cache(self, db):
        product = SellableProductFactory(price_cents=0)
        Client().get(product.get_absolute_url())
        assert cached("visitor page", product.get_absolute_url()) is not None

        response = Client().get(product.get_absolute_url())

        assert 'name="csrfmiddlewaretoken"' in response.content.decode()
        assert cache_control(response) == {"private", "no-store"}


@pytest.mark.django_db
class TestPublicPages:
    def test_a_visitors_product_list_stays_cacheable(self, product):
        Client().get(reverse("products:index"))

        response = Client().get(reverse("products:index"))

        assert "Private Guide" in response.content.decode()
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert "Cache-Control" not in response

    def test_a_visitors_store_page_stays_cacheable(self, product):
        response = Client().get(product.store.get_absolute_url())

        assert response.status_code == 200
        assert "Cache-Control" not in response
