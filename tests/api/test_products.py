"""Products through the API: the site's rules (ProductForm, products.services), prices
in cents, the store's own products only."""

import pytest
from django.core.cache import cache

from products.models import Product
from tests.factories import OrderFactory, ProductFactory, SellableProductFactory
from tests.utils import race
from yumroad_site.cache import CATALOGUE_VERSION

NEW = {"name": "Synth presets", "description": "Fifty patches.", "price": 1500}


def test_the_list_has_the_stores_products_of_every_status_only(api, seller):
    mine = ProductFactory(store=seller.store, status=Product.Status.DRAFT)
    ProductFactory()  # another store's

    response = api.get("/api/v2/products")

    assert response.status_code == 200
    (product,) = response.json()["products"]
    assert (product["id"], product["status"], product["published"]) == (mine.pk, "draft", False)
    assert product["price"] == 500


def test_a_warm_list_makes_no_query(api, seller, settings, django_assert_num_queries):
    settings.API_RATE_COUNTER = "cache"
    ProductFactory.create_batch(2, store=seller.store)
    api.get("/api/v2/products")

    with django_assert_num_queries(0):
        response = api.get("/api/v2/products")

    assert len(response.json()["products"]) == 2


def test_a_warm_list_answers_as_the_first_did(api, seller):
    ProductFactory.create_batch(2, store=seller.store)

    first, second = api.get("/api/v2/products"), api.get("/api/v2/products")

    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"] == "application/json; charset=utf-8"


def _names(api):
    return [product["name"] for product in api.get("/api/v2/products").json()["products"]]


def test_a_product_changed_through_the_api_shows_in_the_next_list(api, seller):
    product = ProductFactory(store=seller.store, name="Before")
    assert _names(api) == ["Before"]

    api.put(f"/api/v2/products/{product.pk}", {"name": "After"})
    assert _names(api) == ["After"]
    api.post("/api/v2/products", NEW)
    assert _names(api) == ["Synth presets", "After"]
    api.put(f"/api/v2/products/{product.pk}/disable")
    assert api.get("/api/v2/products").json()["products"][1]["status"] == "draft"
    api.delete(f"/api/v2/products/{product.pk}")
    assert _names(api) == ["Synth presets"]


@pytest.mark.parametrize("how", ["save", "update"])
def test_a_product_changed_on_the_site_shows_in_the_next_list(api, seller, how):
    product = ProductFactory(store=seller.store, name="Before")
    assert _names(api) == ["Before"]

    if how == "save":
        product.name = "After"
        product.save()
    else:
        Product.objects.filter(pk=product.pk).update(name="After")

    assert _names(api) == ["After"]


@pytest.mark.parametrize("form", [False, True])
def test_a_product_is_made_with_a_price_in_cents(api, seller, form):
    response = api.post("/api/v2/products", NEW, form=form)

    assert response.status_code == 200, response.json()
    product = Product.objects.get(store=seller.store)
    assert (product.name, product.price_cents, product.status) == (
        "Synth presets",
        1500,
        "published",
    )
    assert response.json()["product"]["id"] == product.pk


def test_a_product_made_unpublished_is_a_draft(api, seller):
    api.post("/api/v2/products", {**NEW, "published": False})
    assert Product.objects.get().status == Product.Status.DRAFT


def test_pay_what_you_want_takes_a_minimum_and_a_suggestion(api):
    data = {**NEW, "price": 0, "pay_what_you_want": True, "suggested_price": 700}
    response = api.post("/api/v2/products", data)
    assert response.status_code == 200, response.json()
    product = response.json()["product"]
    assert (product["pay_what_you_want"], product["suggested_price"]) == (True, 700)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price": 30}, "price"),  # between $0.01 and $0.49
        ({"price": 10_000_001}, "price"),
        ({"price": 2**70}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": 5.5}, "price"),
        ({"name": "x" * 61}, "name"),
        ({"name": "x" * 100_000}, "name"),
        ({"name": "ab"}, "name"),
        ({"description": ""}, "description"),
        ({"pay_what_you_want": True, "price": 1000, "suggested_price": 500}, "suggested_price"),
    ],
)
def test_bad_products_are_refused_naming_the_field(api, changes, field):
    response = api.post("/api/v2/products", {**NEW, **changes})

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["message"].startswith(f"{field}:")
    assert not Product.objects.exists()


def test_an_update_changes_what_is_sent_and_retires_cached_pages(api, seller):
    product = ProductFactory(store=seller.store, name="Old name here", price_cents=900)
    cache.set(CATALOGUE_VERSION, "before")

    response = api.put(f"/api/v2/products/{product.pk}", {"name": "New name here"}, form=True)

    assert response.status_code == 200, response.json()
    product.refresh_from_db()
    assert (product.name, product.price_cents) == ("New name here", 900)
    assert cache.get(CATALOGUE_VERSION) != "before"


def test_another_stores_product_is_a_404_to_every_verb(api):
    theirs = ProductFactory()
    path = f"/api/v2/products/{theirs.pk}"
    assert api.get(path).status_code == 404
    assert api.put(path, {"name": "Stolen name"}).status_code == 404
    assert api.delete(path).status_code == 404
    assert api.put(f"{path}/disable").status_code == 404
    theirs.refresh_from_db()
    assert theirs.name != "Stolen name"
    assert theirs.status == Product.Status.PUBLISHED


@pytest.mark.parametrize("product_id", ["abc", "-1", "99999999999999999999999", "0"])
def test_bad_ids_are_a_400_or_404_never_a_500(api, product_id):
    response = api.get(f"/api/v2/products/{product_id}")
    assert response.status_code in (400, 404)
    assert response.json()["success"] is False


def test_disable_and_enable_unpublish_and_publish(api, seller):
    product = SellableProductFactory(store=seller.store)

    response = api.put(f"/api/v2/products/{product.pk}/disable")
    assert response.json()["product"]["status"] == "draft"
    assert not Product.objects.listed().filter(pk=product.pk).exists()

    response = api.put(f"/api/v2/products/{product.pk}/enable")
    assert response.json()["product"]["published"] is True


def test_deleting_an_unsold_product_deletes_it(api, seller):
    product = ProductFactory(store=seller.store)
    response = api.delete(f"/api/v2/products/{product.pk}")
    assert response.json() == {
        "success": True,
        "message": response.json()["message"],
        "archived": False,
    }
    assert not Product.objects.filter(pk=product.pk).exists()


def test_deleting_a_sold_product_archives_it_and_buyers_keep_it(api, seller):
    order = OrderFactory(product=SellableProductFactory(store=seller.store), store=seller.store)
    response = api.delete(f"/api/v2/products/{order.product_id}")
    assert response.json()["archived"] is True
    assert Product.objects.get(pk=order.product_id).status == Product.Status.ARCHIVED


@pytest.mark.django_db(transaction=True)
def test_an_update_and_a_disable_at_once_both_hold(live_api):
    """An update writes what was sent over the product as it is when the update runs:
    an unpublish made meanwhile is not undone, a field changed meanwhile not reverted."""
    for round in range(6):
        product = ProductFactory(store=live_api.seller.store, price_cents=500)
        path = f"/api/v2/products/{product.pk}"
        name = f"Renamed in round {round}"
        answers = race(
            live_api.request("PUT", path, {"name": name}),
            live_api.request("PUT", f"{path}/disable"),
            live_api.request("PUT", path, {"price": 700}),
        )
        assert [status for status, _ in answers] == [200, 200, 200]
        product.refresh_from_db()
        assert (product.name, product.status, product.price_cents) == (
            name,
            Product.Status.DRAFT,
            700,
        )
