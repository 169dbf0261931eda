import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.factories import ProductFactory, StoreFactory
from yumroad_site.cache import catalogue_get_or_set

HOME_URL = reverse("home")


@pytest.mark.django_db
class TestLandingPage:
    def test_invites_visitors_to_create_a_store(self, client):
        body = client.get(HOME_URL).content.decode()

        assert "The easiest way to set up an online store" in body
        # Signing up from here leads on to naming the store.
        signup = f"{reverse('stores:signup')}?next={reverse('stores:create')}"
        assert f'href="{signup}">Create a store' in body
        assert f'href="{reverse("products:stores")}">Browse stores' in body

    def test_invites_logged_in_users_to_add_a_product(self, auth_client):
        body = auth_client.get(HOME_URL).content.decode()

        assert f'href="{reverse("products:create")}">Add product' in body
        assert "Create a product" not in body
        assert "Create a store" not in body

    def test_shows_example_stores_with_their_product_counts(self, client):
        busy = StoreFactory(name="Busy Bakery")
        ProductFactory.create_batch(3, store=busy)
        ProductFactory(store=StoreFactory(name="Single Shop"))
        StoreFactory(name="Empty Shop")

        body = client.get(HOME_URL).content.decode()

        assert "Busy Bakery" in body
        assert "3 products" in body
        assert "Single Shop" in body
        assert "1 product<" in body
        assert "Empty Shop" not in body
        assert body.index("Busy Bakery") < body.index("Single Shop")


@pytest.mark.django_db
class TestLandingPageCache:
    def test_visitors_get_the_cached_stores_without_queries(
        self, client, django_assert_num_queries
    ):
        ProductFactory(store=StoreFactory(name="Cached Shop"))
        client.get(HOME_URL)

        with django_assert_num_queries(0):
            body = client.get(HOME_URL).content.decode()

        assert "Cached Shop" in body

    def test_logged_in_users_get_their_own_page_with_the_cached_stores(
        self, auth_client, user, django_assert_num_queries
    ):
        ProductFactory(store=StoreFactory(name="Cached Shop"))
        Client().get(HOME_URL)

        # 1: the session; 2: the user. The example stores come from the cache.
        with django_assert_num_queries(2):
            body = auth_client.get(HOME_URL).content.decode()

        assert user.email in body
        assert "Cached Shop" in body

    def test_a_new_product_shows_up_at_once(self, client):
        store = StoreFactory(name="Growing Shop")
        ProductFactory(store=store)
        assert "1 product<" in client.get(HOME_URL).content.decode()

        ProductFactory(store=store)

        assert "2 products" in client.get(HOME_URL).content.decode()

    def test_an_edited_store_shows_up_at_once(self, client):
        store = StoreFactory(name="Old Name Shop")
        ProductFactory(store=store)
        client.get(HOME_URL)

        store.name = "New Name Shop"
        store.save()

        body = client.get(HOME_URL).content.decode()
        assert "New Name Shop" in body
        assert "Old Name Shop" not in body

    def test_a_deleted_product_shows_up_at_once(self, client):
        store = StoreFactory(name="Shrinking Shop")
        product = ProductFactory(store=store)
        assert "Shrinking Shop" in client.get(HOME_URL).content.decode()

        product.delete()

        assert "Shrinking Shop" not in client.get(HOME_URL).content.decode()

    def test_a_product_deleted_through_the_site_shows_up_at_once(self, client, store):
        product = ProductFactory(store=store)
        assert store.name in client.get(HOME_URL).content.decode()
        owner = Client()
        owner.force_login(store.owner)

        owner.post(reverse("products:delete", args=[product.pk]))

        assert store.name not in client.get(HOME_URL).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_copy_cached_during_a_transaction_is_dropped_at_the_commit(client):
    store = StoreFactory(name="Racing Shop")
    with transaction.atomic():
        ProductFactory(store=store)
        # A visitor on another connection caches the list before this commit.
        assert catalogue_get_or_set(list, "featured") == []

    assert "Racing Shop" in client.get(HOME_URL).content.decode()
