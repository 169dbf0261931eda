import pytest
from django.urls import reverse

from tests.factories import ProductFactory, SellableProductFactory, StoreFactory
from tests.products.test_images import image_file

SITE = "https://yumroad.example.com"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def meta(body, attribute, name):
    """The content of <meta `attribute`="`name`">, or None."""
    marker = f'<meta {attribute}="{name}" content="'
    if marker not in body:
        return None
    start = body.index(marker) + len(marker)
    return body[start : body.index('"', start)]


@pytest.mark.django_db
class TestProductPageTags:
    def test_has_a_description_a_canonical_url_and_open_graph_and_twitter_tags(self, client):
        product = SellableProductFactory(
            name="Sourdough Guide",
            description="A 60-page PDF on keeping a starter & an open crumb.",
            price_cents=1200,
            picture_url="https://images.example.com/loaf.png",
        )

        body = client.get(product.get_absolute_url()).content.decode()

        url = f"{SITE}/products/{product.pk}/"
        description = "A 60-page PDF on keeping a starter &amp; an open crumb."
        assert meta(body, "name", "description") == description
        assert f'<link rel="canonical" href="{url}">' in body
        assert meta(body, "property", "og:type") == "product"
        assert meta(body, "property", "og:title") == "Sourdough Guide"
        assert meta(body, "property", "og:description") == description
        assert meta(body, "property", "og:url") == url
        assert meta(body, "property", "og:image") == "https://images.example.com/loaf.png"
        assert meta(body, "property", "product:price:amount") == "12.00"
        assert meta(body, "property", "product:price:currency") == "USD"
        assert meta(body, "name", "twitter:card") == "summary_large_image"
        assert meta(body, "name", "twitter:title") == "Sourdough Guide"
        assert meta(body, "name", "twitter:image") == "https://images.example.com/loaf.png"

    def test_an_uploaded_picture_gets_an_absolute_url(self, creator_client, store):
        creator_client.post(
            reverse("products:create"),
            {
                "name": "Picture Book",
                "description": "Pictures.",
                "price": "3",
                "image": image_file(),
            },
        )
        product = store.products.get()

        body = creator_client.get(product.get_absolute_url()).content.decode()

        # The page size, never the upload itself.
        page_size_url = product.picture_sizes[-1][0]
        assert page_size_url.endswith(".webp")
        assert meta(body, "property", "og:image") == f"{SITE}{page_size_url}"

    def test_without_a_picture_there_is_no_image_tag_and_a_small_card(self, client):
        product = ProductFactory()

        body = client.get(product.get_absolute_url()).content.decode()

        assert meta(body, "property", "og:image") is None
        assert meta(body, "name", "twitter:card") == "summary"

    def test_a_long_description_is_cut_short(self, client):
        product = ProductFactory(description="word " * 200)

        assert (
            len(
                meta(client.get(product.get_absolute_url()).content.decode(), "name", "description")
            )
            <= 200
        )


@pytest.mark.django_db
class TestStorePageTags:
    def test_has_a_description_a_canonical_url_and_the_avatar(self, creator_client, client, store):
        creator_client.post(
            reverse("stores:settings"),
            {"name": store.name, "description": "Fresh bread.", "avatar": image_file()},
        )
        store.refresh_from_db()

        body = client.get(store.get_absolute_url()).content.decode()

        assert meta(body, "name", "description") == "Fresh bread."
        assert f'<link rel="canonical" href="{SITE}{store.get_absolute_url()}">' in body
        assert meta(body, "property", "og:title") == store.name
        assert meta(body, "property", "og:image") == f"{SITE}{store.avatar.url}"
        assert meta(body, "property", "product:price:amount") is None

    def test_a_store_without_a_description_still_describes_itself(self, client):
        store = StoreFactory()

        body = client.get(store.get_absolute_url()).content.decode()

        assert meta(body, "name", "description") == "Digital products for sale on Yumroad."
        assert meta(body, "property", "og:image") is None


@pytest.mark.django_db
class TestEmptyStatesAndPictures:
    def test_the_owner_of_an_empty_store_is_invited_to_add_a_product(self, creator_client, store):
        body = creator_client.get(store.get_absolute_url()).content.decode()

        assert (
            f'No products yet. <a href="{reverse("products:create")}">Add your first product</a>.'
            in body
        )

    def test_visitors_of_an_empty_store_are_told_plainly(self, client, store):
        body = client.get(store.get_absolute_url()).content.decode()

        assert "No products yet." in body
        assert "Add your first product" not in body

    def test_the_placeholder_picture_has_empty_alt_text(self, client):
        product = ProductFactory(name="No Picture Yet")

        body = client.get(product.get_absolute_url()).content.decode()

        assert 'placeholder.svg" class="object-fit-contain rounded" alt="">' in body

    def test_a_real_picture_is_described_by_the_product_name(self, client):
        product = ProductFactory(name="Loaf Photo", picture_url="https://images.example.com/a.png")

        body = client.get(product.get_absolute_url()).content.decode()

        assert 'alt="Loaf Photo">' in body

    def test_pages_load_the_focus_script_and_no_inline_script(self, client):
        body = client.get(reverse("stores:signup")).content.decode()

        assert '<script src="/static/products/forms.js"></script>' in body
        assert "<script>" not in body
        assert " style=" not in body
