import pytest
from django.urls import reverse

from tests.factories import ProductFactory, StoreFactory, UserFactory

STORES_URL = reverse("products:stores")


@pytest.mark.django_db
class TestStoreList:
    def test_shows_each_store_with_its_three_newest_products_and_a_link(self, client):
        store = StoreFactory(name="Bread Club")
        _oldest, *newest = [ProductFactory(store=store, name=f"Loaf {n}") for n in range(4)]

        response = client.get(STORES_URL)

        body = response.content.decode()
        shown = response.context["store_list"][0].preview_products
        assert shown == list(reversed(newest))
        assert "Loaf 0" not in body
        assert "View more products from Bread Club" in body
        assert f'href="{store.get_absolute_url()}"' in body

    def test_lists_stores_alphabetically(self, client):
        for name in ["beta Store", "Gamma Store", "Alpha Store"]:
            ProductFactory(store=StoreFactory(name=name))

        names = [store.name for store in client.get(STORES_URL).context["store_list"]]

        assert names == ["Alpha Store", "beta Store", "Gamma Store"]

    def test_lists_only_stores_with_at_least_one_product(self, client, store):
        selling = ProductFactory(store=StoreFactory(name="Selling Shop")).store

        response = client.get(STORES_URL)

        assert list(response.context["store_list"]) == [selling]
        assert store.name not in response.content.decode()

    def test_without_any_product_says_there_are_no_stores_yet(self, client, store):
        assert "No stores yet." in client.get(STORES_URL).content.decode()

    def test_paginates_stores(self, client):
        for store in StoreFactory.create_batch(11):
            ProductFactory(store=store)

        assert len(client.get(STORES_URL).context["store_list"]) == 10
        assert len(client.get(STORES_URL, {"page": 2}).context["store_list"]) == 1
        assert client.get(STORES_URL, {"page": 3}).status_code == 404


@pytest.mark.django_db
class TestStorePage:
    def test_shows_the_store_products_nine_a_page(self, client, store):
        ProductFactory.create_batch(10, store=store)
        ProductFactory(name="Somebody Else's")

        first = client.get(store.get_absolute_url())
        second = client.get(store.get_absolute_url(), {"page": 2})

        assert len(first.context["product_list"]) == 9
        assert len(second.context["product_list"]) == 1
        assert "Somebody Else" not in first.content.decode() + second.content.decode()
        assert 'href="?page=2">Next' in first.content.decode()
        assert 'href="?page=1">Previous' in second.content.decode()
        assert store.name in first.content.decode()

    def test_a_page_out_of_range_is_the_404_page(self, client, store):
        ProductFactory(store=store)

        response = client.get(store.get_absolute_url(), {"page": 2})

        body = response.content.decode()
        assert response.status_code == 404
        assert "We couldn't find that page" in body
        assert f'<a href="{store.get_absolute_url()}">Go to the first page</a>' in body

    def test_an_unknown_store_is_the_404_page_with_a_link_to_all_stores(self, client):
        response = client.get(reverse("products:store", args=["no-such-store"]))

        body = response.content.decode()
        assert response.status_code == 404
        assert "We couldn't find that store" in body
        assert f'href="{STORES_URL}"' in body

    def test_the_owner_sees_the_links_to_add_products_and_change_the_store(self, client, store):
        client.force_login(store.owner)

        body = client.get(store.get_absolute_url()).content.decode()

        assert f'class="btn btn-primary" href="{reverse("products:create")}"' in body
        assert f'href="{reverse("stores:settings")}">Store settings</a>' in body
        assert f'<a href="{reverse("products:create")}">Add your first product</a>' in body

    @pytest.mark.parametrize("viewer", ["visitor", "another member"])
    def test_others_see_no_owners_links(self, client, store, viewer):
        if viewer == "another member":
            client.force_login(UserFactory())

        body = client.get(store.get_absolute_url()).content.decode()

        assert "No products yet." in body
        assert f'class="btn btn-primary" href="{reverse("products:create")}"' not in body
        assert "Add your first product" not in body
        assert reverse("stores:settings") not in body


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/stores/%00/", "/stores/a%00b/", "/stores/%E2%80%8F/"])
def test_a_store_address_with_odd_characters_is_a_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
