import re

import pytest
from django.urls import reverse

from stores.models import StoreSlug
from tests.factories import ProductFactory, StoreFactory, UserFactory

STORES_URL = reverse("admin:stores_store_changelist")
PRODUCTS_URL = reverse("admin:products_product_changelist")


def row_of(body, text):
    """The changelist table row that mentions `text`."""
    rows = re.findall(r"<tr>.*?</tr>", body, flags=re.DOTALL)
    matching = [row for row in rows if text in row]
    assert len(matching) == 1, f"{len(matching)} rows mention {text!r}"
    return matching[0]


def cell(row, column):
    match = re.search(rf'<td class="field-{column}[^"]*">(.*?)</td>', row, flags=re.DOTALL)
    assert match, f"no {column} column in {row}"
    return match.group(1).strip()


@pytest.mark.django_db
class TestStoreAdmin:
    def test_lists_stores_with_a_link_to_their_owner(self, admin_client):
        store = StoreFactory(name="Bread Shop", owner=UserFactory(email="ann@example.com"))

        response = admin_client.get(STORES_URL)

        assert response.status_code == 200
        owner_url = reverse("admin:accounts_user_change", args=[store.owner.pk])
        row = row_of(response.content.decode(), "Bread Shop")
        assert cell(row, "owner_link") == f'<a href="{owner_url}">ann@example.com</a>'

    def test_shows_how_many_products_each_store_has(self, admin_client):
        busy = StoreFactory(name="Busy Shop")
        ProductFactory.create_batch(3, store=busy)
        StoreFactory(name="Empty Shop")

        response = admin_client.get(STORES_URL)

        body = response.content.decode()
        assert "column-product_count" in body
        assert cell(row_of(body, "Busy Shop"), "product_count") == "3"
        assert cell(row_of(body, "Empty Shop"), "product_count") == "0"

    def test_sorts_by_product_count(self, admin_client):
        # Names in another order than the counts, so that the default order cannot pass.
        ProductFactory.create_batch(2, store=StoreFactory(name="Alpha Shop"))
        StoreFactory(name="Zulu Shop")
        ProductFactory(store=StoreFactory(name="Mike Shop"))

        # "product_count" is the third column of list_display.
        response = admin_client.get(STORES_URL, {"o": "3"})

        body = response.content.decode()
        positions = [body.index(name) for name in ("Zulu Shop", "Mike Shop", "Alpha Shop")]
        assert positions == sorted(positions)

    def test_searches_by_store_name(self, admin_client):
        StoreFactory(name="Bread Shop")
        StoreFactory(name="Cake Shop")

        response = admin_client.get(STORES_URL, {"q": "bread"})

        body = response.content.decode()
        assert "Bread Shop" in body
        assert "Cake Shop" not in body

    def test_searches_by_owner_email(self, admin_client):
        StoreFactory(name="Bread Shop", owner=UserFactory(email="ann@example.com"))
        StoreFactory(name="Cake Shop", owner=UserFactory(email="bob@example.com"))

        response = admin_client.get(STORES_URL, {"q": "bob@"})

        body = response.content.decode()
        assert "Cake Shop" in body
        assert "Bread Shop" not in body

    def test_search_by_owner_keeps_the_product_count(self, admin_client):
        busy = StoreFactory(name="Busy Shop", owner=UserFactory(email="ann@example.com"))
        ProductFactory.create_batch(2, store=busy)

        response = admin_client.get(STORES_URL, {"q": "ann@example.com"})

        assert cell(row_of(response.content.decode(), "Busy Shop"), "product_count") == "2"

    def test_change_page_opens(self, admin_client, store):
        response = admin_client.get(reverse("admin:stores_store_change", args=[store.pk]))

        assert response.status_code == 200
        assert store.name in response.content.decode()

    def test_is_closed_to_staff_without_the_permission(self, client, store):
        client.force_login(UserFactory(is_staff=True))

        response = client.get(STORES_URL)

        assert response.status_code == 403


@pytest.mark.django_db
class TestProductAdminStores:
    def test_shows_the_store_of_each_product(self, admin_client):
        ProductFactory(name="Bread Book", store=StoreFactory(name="Bread Shop"))

        response = admin_client.get(PRODUCTS_URL)

        body = response.content.decode()
        assert "column-store" in body
        assert cell(row_of(body, "Bread Book"), "store") == "Bread Shop"

    def test_filters_by_store(self, admin_client):
        bread_shop = StoreFactory(name="Bread Shop")
        ProductFactory(name="Bread Book", store=bread_shop)
        ProductFactory(name="Cake Book", store=StoreFactory(name="Cake Shop"))

        response = admin_client.get(PRODUCTS_URL, {"store__id__exact": bread_shop.pk})

        body = response.content.decode()
        assert response.status_code == 200
        assert "Bread Book" in body
        assert "Cake Book" not in body
        assert "By store" in body
        assert response.context["cl"].result_count == 1


@pytest.mark.django_db
def test_the_change_page_lists_the_old_addresses(admin_client, store):
    StoreSlug.objects.create(store=store, slug="an-old-address")

    response = admin_client.get(reverse("admin:stores_store_change", args=[store.pk]))

    assert response.status_code == 200
    assert "an-old-address" in response.content.decode()
