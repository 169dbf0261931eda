import re

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Order
from tests.factories import ProductFactory, SellableProductFactory, StoreFactory
from tests.utils import messages_of

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def product(db):
    return SellableProductFactory(name="Cached Guide", price_cents=0)


def catalogue_urls(product):
    return [
        reverse("home"),
        reverse("products:index"),
        product.get_absolute_url(),
        reverse("stores:index"),
        product.store.get_absolute_url(),
    ]


@pytest.mark.django_db
class TestVisitorsPageCache:
    def test_a_second_visitor_gets_every_catalogue_page_without_a_query(
        self, product, django_assert_num_queries
    ):
        for url in catalogue_urls(product):
            Client().get(url)

            with django_assert_num_queries(0):
                response = Client().get(url)

            assert response.status_code == 200
            assert product.store.name in response.content.decode()

    def test_each_visitor_gets_their_own_csrf_token_and_it_works(self, product):
        first = Client(enforce_csrf_checks=True)
        second = Client(enforce_csrf_checks=True)

        first_token = TOKEN.search(first.get(product.get_absolute_url()).content.decode())[1]
        second_page = second.get(product.get_absolute_url())
        second_token = TOKEN.search(second_page.content.decode())[1]
        claim = second.post(
            reverse("orders:buy", args=[product.pk]),
            {"csrfmiddlewaretoken": second_token, "email": "second@example.com"},
        )

        assert second_token != first_token
        assert "__yumroad_csrf_token__" not in second_page.content.decode()
        assert claim.status_code == 302
        assert Order.objects.get().email == "second@example.com"

    def test_a_message_reaches_only_its_visitor(self, client, product):
        Client().get(product.get_absolute_url())

        response = client.post(
            reverse("orders:buy", args=[product.pk]), {"email": "ann@example.com"}, follow=True
        )
        other = Client().get(product.get_absolute_url())

        assert any("Check your email" in message for message in messages_of(response))
        assert "Check your email" not in other.content.decode()

    def test_a_logged_in_user_gets_their_own_page(self, product, user):
        Client().get(product.get_absolute_url())
        member = Client()
        member.force_login(user)

        body = member.get(product.get_absolute_url()).content.decode()

        assert user.email in body
        assert "Log out" in body

    def test_a_changed_product_shows_at_once(self, product):
        Client().get(product.get_absolute_url())
        Client().get(reverse("products:index"))

        product.name = "Renamed Guide"
        product.save()

        assert "Renamed Guide" in Client().get(product.get_absolute_url()).content.decode()
        assert "Renamed Guide" in Client().get(reverse("products:index")).content.decode()

    def test_a_new_product_shows_at_once_on_its_store_page(self, product):
        store_url = product.store.get_absolute_url()
        Client().get(store_url)

        ProductFactory(store=product.store, name="Brand New Thing")

        assert "Brand New Thing" in Client().get(store_url).content.decode()

    def test_addresses_with_made_up_parameters_share_one_cached_list(
        self, product, django_assert_num_queries
    ):
        Client().get(reverse("products:index") + "?utm_source=spam")

        # The list cached for the first address serves the second: nothing was kept
        # per made-up address.
        with django_assert_num_queries(0):
            response = Client().get(reverse("products:index") + "?utm_source=more-spam")

        assert "Cached Guide" in response.content.decode()

    def test_a_missing_page_is_not_cached(self, db, django_assert_num_queries):
        StoreFactory()
        Client().get("/products/?page=9")

        with django_assert_num_queries(1):
            response = Client().get("/products/?page=9")

        assert response.status_code == 404


@pytest.mark.django_db
class TestMembersListCache:
    @pytest.mark.parametrize("count", [1, 30])
    def test_a_member_gets_cached_lists_in_constant_queries(
        self, client, user, django_assert_num_queries, count
    ):
        store = StoreFactory()
        ProductFactory.create_batch(count, store=store)
        client.force_login(user)
        urls = [reverse("products:index"), reverse("stores:index"), store.get_absolute_url()]
        for url in urls:
            client.get(url)

        # 1: the session; 2: the user; the lists come from the cache.
        for url in urls[:2]:
            with django_assert_num_queries(2):
                assert client.get(url).status_code == 200
        # 3: the store, by its address.
        with django_assert_num_queries(3):
            body = client.get(store.get_absolute_url()).content.decode()
        assert f"{count} product" in body
        assert user.email in body

    def test_a_member_sees_a_new_product_at_once(self, client, user):
        store = StoreFactory()
        ProductFactory(store=store, name="First Thing")
        client.force_login(user)
        client.get(store.get_absolute_url())

        ProductFactory(store=store, name="Second Thing")

        body = client.get(store.get_absolute_url()).content.decode()
        assert "Second Thing" in body
        assert "2 products" in body

    def test_the_cached_list_is_markup_not_escaped_text(self, client, product):
        body = Client().get(reverse("products:index")).content.decode()

        assert 'class="card h-100' in body
        assert "&lt;div" not in body


@pytest.mark.django_db
def test_a_cached_page_keeps_the_headers_of_the_page_it_copies(product):
    first = Client().get(product.get_absolute_url())

    second = Client().get(product.get_absolute_url())

    for header in ("Content-Security-Policy", "X-Frame-Options", "Permissions-Policy"):
        assert second[header] == first[header]
    assert second["Content-Type"] == "text/html; charset=utf-8"
    assert int(second["Content-Length"]) == len(second.content)
