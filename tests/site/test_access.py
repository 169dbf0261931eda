"""Who may reach the pages that are not for everyone: a visitor is sent to log in, a
member without a store to open one, and a store owner who is not the product's gets the
403 page. Either way nothing changes."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from products.models import Product
from stores.models import Store
from tests.factories import ProductFactory, StoreFactory, UserFactory

LOGIN_URL = reverse("accounts:login")
# What a form posted by someone who may not would try to change.
CHANGES = {"name": "Changed by someone else", "description": "Changed.", "price": "9"}


@pytest.fixture
def product(store):
    return ProductFactory(store=store, name="Bread Book", price_cents=500)


def address(name, product):
    """The page `name`; a product's own pages are those of `product`."""
    if name in {"products:edit", "products:delete"}:
        return reverse(name, args=[product.pk])
    return reverse(name)


def assert_nothing_changed(product, *, stores=1):
    product.refresh_from_db()
    assert product.name == "Bread Book"
    assert product.price_cents == 500
    assert Product.objects.count() == 1
    assert Store.objects.count() == stores


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("name", "keeps_next"),
    [
        pytest.param("accounts:settings", True, id="account-settings"),
        pytest.param("accounts:password_change", True, id="password-change"),
        pytest.param("accounts:email_change", True, id="email-change"),
        # No `next`: after logging in, a GET to the logout address would only meet a 405.
        pytest.param("accounts:logout", False, id="logout"),
        pytest.param("dashboard", True, id="dashboard"),
        pytest.param("stores:new", True, id="store-create"),
        pytest.param("stores:settings", True, id="store-settings"),
        pytest.param("products:create", True, id="product-create"),
        pytest.param("products:edit", True, id="product-edit"),
        pytest.param("products:delete", True, id="product-delete"),
        pytest.param("orders:library", True, id="library"),
        pytest.param("orders:sales", True, id="sales"),
        pytest.param("orders:sales_export", True, id="sales-export"),
    ],
)
def test_a_visitor_is_sent_to_log_in_and_changes_nothing(client, product, name, keeps_next, method):
    url = address(name, product)

    response = getattr(client, method)(url, CHANGES if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"] == (f"{LOGIN_URL}?next={url}" if keeps_next else LOGIN_URL)
    assert_nothing_changed(product)


def owner_of_another_store():
    return StoreFactory().owner


ONLY_THE_CREATOR = "Only the creator of this product can change it."


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "name",
    [
        "dashboard",
        "stores:settings",
        "products:create",
        "products:edit",
        "products:delete",
        "orders:sales",
        "orders:sales_export",
    ],
)
def test_a_member_without_a_store_opens_one_first_and_changes_nothing(
    client, product, name, method
):
    client.force_login(UserFactory())
    stores = Store.objects.count()
    url = address(name, product)

    response = getattr(client, method)(url, CHANGES if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('stores:new')}?next={quote(url, safe='')}"
    assert_nothing_changed(product, stores=stores)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("name", "who", "message"),
    [
        pytest.param(
            "products:edit", owner_of_another_store, ONLY_THE_CREATOR, id="edit-another-store"
        ),
        pytest.param(
            "products:delete", owner_of_another_store, ONLY_THE_CREATOR, id="delete-another-store"
        ),
    ],
)
def test_a_user_who_may_not_gets_the_403_page_and_changes_nothing(
    client, product, name, who, message, method
):
    client.force_login(who())
    stores = Store.objects.count()

    response = getattr(client, method)(address(name, product), CHANGES)

    assert response.status_code == 403
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert message in response.content.decode()
    assert_nothing_changed(product, stores=stores)
