"""The dashboard lists published products, drafts and archived products apart, each
with the button that moves it on."""

import re

import pytest
from django.urls import reverse

from products.models import Product
from tests.factories import OrderFactory, ProductFactory, SellableProductFactory

DASHBOARD_URL = reverse("dashboard")
Status = Product.Status


def section(body, name):
    """The HTML of the dashboard's section marked data-`name`, or ""."""
    match = re.search(rf"<section[^>]*data-{name}>(.*?)</section>", body, re.S)
    return match[1] if match else ""


@pytest.mark.django_db
class TestDashboardStatuses:
    @pytest.fixture
    def products(self, store):
        published = SellableProductFactory(store=store, name="Shown Loaf")
        draft = ProductFactory(store=store, name="Draft Loaf", status=Status.DRAFT)
        archived = SellableProductFactory(store=store, name="Old Loaf", status=Status.ARCHIVED)
        OrderFactory.create_batch(2, product=archived)
        return published, draft, archived

    def test_each_status_is_listed_apart(self, creator_client, products):
        published, draft, archived = products

        response = creator_client.get(DASHBOARD_URL)

        body = response.content.decode()
        assert list(response.context["product_list"]) == [published]
        assert response.context["drafts"] == [draft]
        assert response.context["archived"] == [archived]
        assert "Draft Loaf" in section(body, "drafts")
        assert "Old Loaf" in section(body, "archived")
        assert "Draft Loaf" not in section(body, "archived")
        assert response.context["archived"][0].sales_count == 2

    def test_each_row_has_the_button_that_moves_it(self, creator_client, products):
        published, draft, archived = products

        body = creator_client.get(DASHBOARD_URL).content.decode()

        for product, move, label in [
            (published, "unpublish", "Unpublish"),
            (draft, "publish", "Publish"),
            (archived, "restore", "Restore"),
        ]:
            row = re.search(rf'<tr data-product="{product.pk}">(.*?)</tr>', body, re.S)[1]
            assert f'action="{reverse(f"products:{move}", args=[product.pk])}"' in row
            assert f">{label}</button>" in row
            assert "csrfmiddlewaretoken" in row

    def test_a_store_with_drafts_only_says_nothing_is_published(self, creator_client, store):
        ProductFactory(store=store, status=Status.DRAFT)

        body = creator_client.get(DASHBOARD_URL).content.decode()

        assert "Nothing published yet" in body
        assert "No products yet." not in body

    def test_without_drafts_or_archived_products_there_are_no_such_sections(
        self, creator_client, store
    ):
        ProductFactory(store=store)

        body = creator_client.get(DASHBOARD_URL).content.decode()

        assert "data-drafts" not in body
        assert "data-archived" not in body

    def test_publish_from_the_dashboard_moves_it_to_the_published_list(
        self, creator_client, products
    ):
        _, draft, _ = products

        creator_client.post(reverse("products:publish", args=[draft.pk]))
        response = creator_client.get(DASHBOARD_URL)

        assert draft in response.context["product_list"]
        assert response.context["drafts"] == []
