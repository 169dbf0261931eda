import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from PIL import Image

from tests.factories import ProductFactory, SellableProductFactory, StoreFactory
from yumroad_site.cache import catalogue_get_or_set

HOME_URL = reverse("home")
PICTURE = "https://images.example.com/cover.png"


def picture_upload():
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "teal").save(buffer, format="PNG")
    return SimpleUploadedFile("cover.png", buffer.getvalue(), content_type="image/png")


@pytest.mark.django_db
class TestLandingPage:
    def test_invites_visitors_to_create_a_store(self, client):
        body = client.get(HOME_URL).content.decode()

        assert "The easiest way to set up an online store" in body
        # Signing up from here leads on to naming the store.
        signup = f"{reverse('stores:signup')}?next={reverse('stores:new')}"
        assert f'href="{signup}">Create a store' in body
        assert f'href="{reverse("products:stores")}">Browse stores' in body

    def test_invites_sellers_to_add_a_product(self, creator_client):
        body = creator_client.get(HOME_URL).content.decode()

        assert f'href="{reverse("products:create")}">Add product' in body
        assert "Create a product" not in body
        assert "Create a store" not in body

    def test_invites_members_without_a_store_to_open_one(self, auth_client):
        body = auth_client.get(HOME_URL).content.decode()

        assert f'href="{reverse("stores:new")}">Open your store' in body
        assert f'href="{reverse("products:create")}">Add product' not in body
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

    def test_sells_to_creators_with_steps_costs_and_answers(self, client, settings):
        settings.PRODUCT_FILE_MAX_MB = 250

        body = client.get(HOME_URL).content.decode()

        assert '<h2 class="h4 mb-4" id="steps-heading">How it works</h2>' in body
        assert body.count('class="landing-step-number"') == 3
        assert '<h2 class="h4" id="cost-heading">What it costs</h2>' in body
        assert "Yumroad charges no platform fee on your sales today." in body
        assert "Stripe's card processing fees apply to each paid sale." in body
        assert body.count("<details>") == 4
        assert "up to 250 MB" in body
        assert f'<a href="{reverse("refunds")}">refund policy</a>' in body

    def test_shows_covers_of_products_on_sale_with_a_picture(self, client):
        uploaded = SellableProductFactory(name="Uploaded Cover", image=picture_upload())
        linked = SellableProductFactory(
            name="Linked Cover", picture_url="https://images.example.com/linked.png"
        )
        ProductFactory(name="Coming Soon Cover", picture_url="https://images.example.com/c.png")
        SellableProductFactory(name="Pictureless Product")
        for status in ("draft", "archived"):
            SellableProductFactory(
                name=f"{status} Cover",
                status=status,
                picture_url="https://images.example.com/d.png",
            )

        body = client.get(HOME_URL).content.decode()

        covers = body[body.index('id="covers-heading"') : body.index('id="steps-heading"')]
        assert covers.count('class="stretched-link') == 2
        assert f'href="{uploaded.get_absolute_url()}"' in covers
        assert f'src="{uploaded.picture_sizes[0][0]}"' in covers
        assert 'alt="Uploaded Cover"' in covers
        assert f'href="{linked.get_absolute_url()}"' in covers
        assert 'src="https://images.example.com/linked.png"' in covers
        assert "Coming Soon Cover" not in covers
        assert "Pictureless Product" not in covers
        assert "draft Cover" not in covers
        assert "archived Cover" not in covers

    def test_covers_show_one_product_of_each_store_before_a_second(self, client):
        quiet = StoreFactory(name="Quiet Shop")
        SellableProductFactory(store=quiet, name="Quiet Cover", picture_url=PICTURE)
        busy = StoreFactory(name="Busy Shop")
        for number in range(6):
            SellableProductFactory(store=busy, name=f"Busy Cover {number}", picture_url=PICTURE)

        body = client.get(HOME_URL).content.decode()

        covers = body[body.index('id="covers-heading"') : body.index('id="steps-heading"')]
        names = re.findall(r'class="stretched-link text-decoration-none">([^<]+)</a>', covers)
        # The newest of each store first, then the newest of the rest; six in all.
        assert names == ["Busy Cover 5", "Quiet Cover", *(f"Busy Cover {n}" for n in (4, 3, 2, 1))]

    def test_without_covers_the_page_has_no_covers_section(self, client):
        body = client.get(HOME_URL).content.decode()

        assert "covers-heading" not in body
        assert "How it works" in body


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
