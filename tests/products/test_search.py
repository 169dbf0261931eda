import importlib
import inspect

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import ProductFactory

INDEX_URL = reverse("products:index")


def names(response):
    return [product.name for product in response.context["product_list"]]


@pytest.mark.django_db
class TestSearch:
    def test_finds_products_by_name_or_description(self, client):
        ProductFactory(name="Sourdough Guide", description="Keep a starter alive.")
        ProductFactory(name="Watercolor Brushes", description="Textured brushes for painting.")
        ProductFactory(name="Trail Maps", description="Printable maps of coastal hikes.")

        by_name = client.get(INDEX_URL, {"q": "sourdough"})
        by_description = client.get(INDEX_URL, {"q": "painting"})

        assert names(by_name) == ["Sourdough Guide"]
        assert names(by_description) == ["Watercolor Brushes"]

    def test_keeps_the_query_in_the_box_and_the_title(self, client):
        ProductFactory(name="Sourdough Guide")

        body = client.get(INDEX_URL, {"q": "sourdough"}).content.decode()

        assert 'name="q" maxlength="100" value="sourdough"' in body
        assert "Products matching “sourdough”" in body

    def test_says_so_when_nothing_matches(self, client):
        ProductFactory(name="Sourdough Guide")

        response = client.get(INDEX_URL, {"q": "submarine"})

        assert names(response) == []
        assert "No products match “submarine”." in response.content.decode()

    def test_an_empty_query_lists_everything(self, client):
        ProductFactory.create_batch(2)

        assert len(client.get(INDEX_URL, {"q": "  "}).context["product_list"]) == 2

    def test_paginates_and_keeps_the_query_in_page_links(self, client):
        ProductFactory.create_batch(13, name="Bread Recipe", description="Flour and water.")
        ProductFactory(name="Something Else", description="Nothing alike.")

        first = client.get(INDEX_URL, {"q": "bread"})
        second = client.get(INDEX_URL, {"q": "bread", "page": 2})

        assert len(first.context["product_list"]) == 12
        assert len(second.context["product_list"]) == 1
        assert 'href="?q=bread&amp;page=2">Next' in first.content.decode()
        assert 'href="?q=bread&amp;page=1">Previous' in second.content.decode()

    def test_a_query_with_odd_characters_is_escaped_in_page_links(self, client):
        ProductFactory.create_batch(13, name="Fish & Chips", description="Fish & chips recipe.")

        body = client.get(INDEX_URL, {"q": "fish & chips"}).content.decode()

        assert 'href="?q=fish%20%26%20chips&amp;page=2">Next' in body

    def test_the_navigation_has_a_search_box(self, client):
        body = client.get(reverse("home")).content.decode()

        assert f'role="search" method="get" action="{INDEX_URL}">' in body
        assert 'type="search" id="nav-search" name="q"' in body

    @pytest.mark.parametrize(
        ("q", "message"),
        [
            ("x" * 10_000, "Ensure this value has at most 100 characters (it has 10000)."),
        ],
    )
    def test_bad_input_gets_a_message_and_a_400(self, client, q, message):
        ProductFactory()

        response = client.get(INDEX_URL, {"q": q})

        assert response.status_code == 400
        assert names(response) == []
        assert message in response.content.decode()
        assert 'role="alert"' in response.content.decode()
        assert "No products yet" not in response.content.decode()

    @pytest.mark.parametrize("q", ["\u202ebread", "bread ( ) | ! :* &", "'; DROP TABLE", "-"])
    def test_punctuation_and_bidi_characters_are_just_text(self, client, q):
        ProductFactory(name="Bread Recipe")

        assert client.get(INDEX_URL, {"q": q}).status_code == 200


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
class TestFullTextSearch:
    def test_matches_word_forms_and_ranks_names_first(self, client):
        ProductFactory(name="Painting Kit", description="Everything to start.")
        ProductFactory(name="Brush Set", description="For painters who paint often.")

        response = client.get(INDEX_URL, {"q": "paints"})

        assert set(names(response)) == {"Painting Kit", "Brush Set"}

    def test_the_search_uses_the_gin_index(self):
        from products.models import Product

        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            plan = Product.objects.search("bread").explain()
            cursor.execute("SET enable_seqscan = on")

        assert "product_search" in plan


def test_the_index_migration_freezes_the_expression_search_reads():
    """The migration keeps its own copy; if search reads another expression, the GIN
    index no longer serves it, and a new migration must rebuild the index."""
    from products.models import search_vector

    migration = importlib.import_module("products.migrations.0007_product_search_index")

    assert "import search_vector" not in inspect.getsource(migration)
    assert migration.search_vector() == search_vector()
