"""Buyers never see seller pages: a member without a store is asked to open one first,
and the navigation shows Dashboard and "Add product" to store owners only."""

from urllib.parse import quote

import pytest
from django.db import IntegrityError
from django.urls import reverse

from stores import services
from stores.models import Store
from tests.factories import PASSWORD, OrderFactory, ProductFactory, StoreFactory, UserFactory
from tests.utils import messages_of

OPEN_STORE_URL = reverse("stores:new")


def nav_links(body):
    """The navigation's part of a page."""
    return body.split("<nav", 1)[1].split("</nav>", 1)[0]


def seller_pages():
    product = ProductFactory()
    return [
        reverse("dashboard"),
        reverse("orders:sales"),
        reverse("orders:sales_export"),
        reverse("stores:settings"),
        reverse("products:create"),
        reverse("products:edit", args=[product.pk]),
        reverse("products:delete", args=[product.pk]),
    ]


@pytest.mark.django_db
class TestSellerPagesForAMemberWithoutAStore:
    @pytest.mark.parametrize("method", ["get", "post"])
    def test_each_asks_to_open_the_store_first_and_comes_back(self, auth_client, method):
        for page in seller_pages():
            response = getattr(auth_client, method)(page, follow=True)

            assert response.redirect_chain == [
                (f"{OPEN_STORE_URL}?next={quote(page, safe='')}", 302)
            ], page
            assert messages_of(response) == ["Open your store first."]
            assert response.status_code == 200

    def test_nothing_is_changed_by_a_post(self, auth_client):
        product = ProductFactory(name="Somebody's Guide")

        auth_client.post(reverse("products:delete", args=[product.pk]))
        auth_client.post(reverse("products:edit", args=[product.pk]), {"name": "Mine now"})

        assert Store.objects.filter(pk=product.store_id).exists()
        product.refresh_from_db()
        assert product.name == "Somebody's Guide"

    def test_opening_the_store_comes_back_to_the_page(self, auth_client, user):
        response = auth_client.post(
            OPEN_STORE_URL, {"name": "Fresh Goods", "next": reverse("orders:sales")}, follow=True
        )

        assert response.redirect_chain == [(reverse("orders:sales"), 302)]
        assert response.context["store"] == Store.objects.get(owner=user)

    def test_a_store_owner_still_gets_the_403_page_on_another_stores_product(self, creator_client):
        product = ProductFactory()

        assert creator_client.get(reverse("products:edit", args=[product.pk])).status_code == 403

    def test_a_visitor_is_asked_to_log_in(self, client):
        for page in seller_pages():
            response = client.get(page)

            assert response.status_code == 302
            assert response["Location"].startswith(reverse("accounts:login")), page


@pytest.mark.django_db
class TestNavigation:
    def test_a_visitor_sees_stores_products_start_selling_and_log_in(self, client):
        nav = nav_links(client.get(reverse("products:index")).content.decode())

        for link in (
            f'href="{reverse("products:stores")}">Stores</a>',
            f'href="{reverse("products:index")}">Products</a>',
            f'href="{reverse("stores:signup")}?next={OPEN_STORE_URL}">Start selling</a>',
            f'href="{reverse("accounts:login")}">Log in</a>',
        ):
            assert link in nav
        for hidden in (">Library<", ">Dashboard<", ">Add product<"):
            assert hidden not in nav

    def test_a_buyer_sees_the_library_and_no_seller_links(self, auth_client):
        nav = nav_links(auth_client.get(reverse("products:index")).content.decode())

        for link in (
            f'href="{reverse("orders:library")}">Library</a>',
            f'href="{reverse("products:stores")}">Stores</a>',
            f'href="{reverse("products:index")}">Products</a>',
            f'href="{OPEN_STORE_URL}">Start selling</a>',
        ):
            assert link in nav
        assert ">Dashboard<" not in nav
        assert ">Add product<" not in nav

    def test_a_store_owner_sees_the_dashboard_and_add_product_too(self, creator_client):
        nav = nav_links(creator_client.get(reverse("products:index")).content.decode())

        for link in (
            f'href="{reverse("dashboard")}">Dashboard</a>',
            f'href="{reverse("products:create")}">Add product</a>',
            f'href="{reverse("orders:library")}">Library</a>',
            f'href="{reverse("products:stores")}">Stores</a>',
            f'href="{reverse("products:index")}">Products</a>',
        ):
            assert link in nav
        assert ">Start selling<" not in nav

    def test_knowing_who_owns_a_store_costs_no_query(
        self, client, user, store, django_assert_num_queries
    ):
        for member in (user, store.owner):
            OrderFactory(buyer=member)
            client.force_login(member)
            # 1: the session; 2: the user with their store; 3: count the orders; 4: the
            # page of them. The navigation asks nothing more.
            with django_assert_num_queries(4):
                response = client.get(reverse("orders:library"))
            assert response.status_code == 200

    def test_a_page_cached_before_the_store_opened_shows_the_seller_links_after(self, auth_client):
        before = nav_links(auth_client.get(reverse("products:index")).content.decode())
        assert ">Dashboard<" not in before

        auth_client.post(OPEN_STORE_URL, {"name": "Fresh Goods"})

        after = nav_links(auth_client.get(reverse("products:index")).content.decode())
        assert ">Dashboard<" in after


@pytest.mark.django_db
class TestLoggingInLands:
    def test_a_store_owner_on_the_dashboard(self, client, store):
        response = client.post(
            reverse("accounts:login"), {"email": store.owner.email, "password": PASSWORD}
        )

        assert response["Location"] == reverse("dashboard")

    def test_a_buyer_in_the_library(self, client):
        buyer = UserFactory()

        response = client.post(
            reverse("accounts:login"), {"email": buyer.email, "password": PASSWORD}
        )

        assert response["Location"] == reverse("orders:library")


@pytest.mark.django_db
class TestNewIsAPageOfTheSite:
    def test_a_store_named_new_gets_another_address(self, client):
        store = services.store_create(owner=UserFactory(), name="New!!")

        assert store.slug == "new-2"
        assert client.get(store.get_absolute_url()).context["store"] == store

    def test_the_database_refuses_the_address(self):
        with pytest.raises(IntegrityError):
            StoreFactory(slug="new")

    def test_create_stays_reserved(self):
        assert services.store_create(owner=UserFactory(), name="Create").slug == "create-2"

    def test_the_old_address_of_the_page_is_gone(self, auth_client):
        assert auth_client.get("/stores/create/").status_code == 404


@pytest.mark.django_db
def test_a_session_logged_in_before_the_store_backend_stays_logged_in(client):
    # Logged in by Django's ModelBackend, as every session before it was: still a member.
    owner = StoreFactory().owner
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    assert response.context["user"].pk == owner.pk


@pytest.mark.django_db
def test_logging_in_loads_the_member_with_their_store(client):
    owner = StoreFactory().owner
    owner.set_password(PASSWORD)
    owner.save()

    client.post(reverse("accounts:login"), {"email": owner.email, "password": PASSWORD})

    assert client.session["_auth_user_backend"] == "stores.backends.UserWithStoreBackend"
