import pytest
from django.urls import reverse

from products.models import Product
from tests.factories import ProductFactory, StoreFactory

INDEX_URL = reverse("products:index")


@pytest.mark.django_db
class TestProductList:
    def test_lists_products_newest_first_with_links(self, client):
        older = ProductFactory(name="Older Product")
        newer = ProductFactory(name="Newer Product")

        response = client.get(INDEX_URL)

        body = response.content.decode()
        assert response.status_code == 200
        assert list(response.context["product_list"]) == [newer, older]
        assert body.index("Newer Product") < body.index("Older Product")
        assert f'href="{newer.get_absolute_url()}"' in body

    def test_paginates(self, client):
        ProductFactory.create_batch(13)

        first = client.get(INDEX_URL)
        second = client.get(INDEX_URL, {"page": 2})

        assert len(first.context["product_list"]) == 12
        assert len(second.context["product_list"]) == 1
        assert 'href="?page=2">Next' in first.content.decode()

    def test_the_pages_together_list_every_product_once_newest_first(self, client):
        store = StoreFactory()
        ProductFactory.create_batch(30, store=store)
        newest_first = list(Product.objects.order_by("-created_at", "-pk").values_list("pk"))

        for url, pages in ((INDEX_URL, ["1", "2", "last"]), (store.get_absolute_url(), "1234")):
            listed = [
                (product.pk,)
                for page in pages
                for product in client.get(url, {"page": page}).context["product_list"]
            ]
            assert listed == newest_first, url

    def test_a_page_past_the_end_is_a_404(self, client):
        ProductFactory()

        for page in (5, "abc"):
            response = client.get(INDEX_URL, {"page": page})
            assert response.status_code == 404
            assert "We couldn't find that page" in response.content.decode()

    def test_says_so_when_there_are_no_products(self, client):
        assert "No products yet." in client.get(INDEX_URL).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["products:index", "products:stores", "products:store"])
def test_list_pages_never_load_whole_descriptions(client, url_name):
    store = StoreFactory()
    ProductFactory(store=store, description="A short start. " + "x" * 4900 + " THE END")
    url = reverse(url_name, args=[store.slug] if url_name == "products:store" else [])

    response = client.get(url)

    if url_name == "products:stores":
        product = response.context["store_list"][0].preview_products[0]
    else:
        product = response.context["product_list"][0]
    assert "description" in product.get_deferred_fields()
    assert "A short start." in response.content.decode()
    assert "THE END" not in response.content.decode()


@pytest.mark.django_db
class TestProductDetail:
    def test_shows_the_product(self, client):
        product = ProductFactory(name="Bread Book", description="All about bread.", price_cents=500)

        body = client.get(product.get_absolute_url()).content.decode()

        assert "Bread Book" in body
        assert "All about bread." in body
        assert "$5.00" in body
        assert (
            f'Sold by <a href="{product.store.get_absolute_url()}">{product.store.name}</a>' in body
        )
        assert product.creator.email not in body  # a creator's email stays private
        assert "placeholder.svg" in body

    def test_a_free_product_says_free(self, client):
        product = ProductFactory(price_cents=0)

        assert "Free" in client.get(product.get_absolute_url()).content.decode()

    def test_shows_the_picture_url(self, client):
        product = ProductFactory(picture_url="https://example.com/bread.png")

        body = client.get(product.get_absolute_url()).content.decode()

        assert 'src="https://example.com/bread.png"' in body

    def test_unknown_product_is_a_404_page_with_a_link_to_all_products(self, client):
        response = client.get(reverse("products:detail", args=[999]))

        body = response.content.decode()
        assert response.status_code == 404
        assert "We couldn't find that product" in body
        assert f'href="{INDEX_URL}"' in body

    def test_query_count(self, client, django_assert_num_queries):
        product = ProductFactory()

        # 1: the product with its store.
        with django_assert_num_queries(1):
            client.get(product.get_absolute_url())
