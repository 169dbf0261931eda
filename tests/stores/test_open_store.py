"""Members without a store (every new account) open one at /stores/new/ before selling."""

import re
from urllib.parse import quote

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.views.generic import FormView

from stores import services
from stores.models import Store
from stores.views import StoreCreateView
from tests.factories import StoreFactory, UserFactory
from tests.utils import messages_of

CREATE_PRODUCT_URL = reverse("products:create")
CREATE_STORE_URL = reverse("stores:new")


@pytest.mark.django_db
class TestOpenStore:
    def test_adding_a_product_without_a_store_asks_to_open_one_first(self, auth_client):
        response = auth_client.get(CREATE_PRODUCT_URL, follow=True)

        assert response.redirect_chain == [
            (f"{CREATE_STORE_URL}?next={quote(CREATE_PRODUCT_URL, safe='')}", 302)
        ]
        assert "Open your store first." in messages_of(response)

    def test_opening_the_store_continues_to_the_product_form(self, auth_client, user):
        response = auth_client.post(
            CREATE_STORE_URL, {"name": "Fresh Goods", "next": CREATE_PRODUCT_URL}, follow=True
        )

        assert response.redirect_chain == [(CREATE_PRODUCT_URL, 302)]
        assert "Your store Fresh Goods is open." in messages_of(response)
        store = Store.objects.get(owner=user)
        assert store.name == "Fresh Goods"
        assert store.slug == "fresh-goods"

    def test_it_is_at_stores_new(self):
        assert CREATE_STORE_URL == "/stores/new/"

    def test_without_next_it_lands_on_the_dashboard(self, auth_client):
        response = auth_client.post(CREATE_STORE_URL, {"name": "Fresh Goods"})

        assert response["Location"] == reverse("dashboard")

    def test_an_unsafe_next_is_ignored(self, auth_client):
        response = auth_client.post(
            CREATE_STORE_URL, {"name": "Fresh Goods", "next": "https://evil.example.com/"}
        )

        assert response["Location"] == reverse("dashboard")

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("abc", "Field must be between 4 and 60 characters long."),
            ("x" * 61, "Field must be between 4 and 60 characters long."),
            ("", "This field is required."),
            ("TAKEN name", "That store name is taken."),
        ],
    )
    def test_refuses_a_bad_name(self, auth_client, name, message):
        StoreFactory(name="Taken Name")

        response = auth_client.post(CREATE_STORE_URL, {"name": name})

        assert response.context["form"].errors["name"] == [message]
        assert Store.objects.count() == 1

    def test_a_user_with_a_store_is_sent_to_it(self, creator_client, store):
        response = creator_client.get(CREATE_STORE_URL, follow=True)

        assert response.redirect_chain == [(store.get_absolute_url(), 302)]
        assert "You already have a store." in messages_of(response)

    def test_a_store_opened_meanwhile_in_another_tab_is_where_you_land(
        self, auth_client, user, monkeypatch
    ):
        form_page = auth_client.get(CREATE_STORE_URL)
        assert form_page.status_code == 200
        StoreFactory(owner=user, name="Opened Elsewhere", slug="opened-elsewhere")
        # The check on arrival is past; only the database sees the second store.
        monkeypatch.setattr(StoreCreateView, "dispatch", FormView.dispatch)

        response = auth_client.post(CREATE_STORE_URL, {"name": "Second Try"}, follow=True)

        assert response.redirect_chain == [("/stores/opened-elsewhere/", 302)]
        assert "You already have a store." in messages_of(response)
        assert Store.objects.filter(owner=user).count() == 1

    def test_a_lost_race_for_the_name_is_a_form_error(self, auth_client, monkeypatch):
        # Another store takes the name after the form's check.
        StoreFactory(name="Fresh Goods", slug="other")
        monkeypatch.setattr(Store, "clean", lambda store: None)

        response = auth_client.post(CREATE_STORE_URL, {"name": "fresh goods"})

        assert response.status_code == 200
        assert response.context["form"].errors["name"] == ["That store name is taken."]
        assert Store.objects.count() == 1


@pytest.mark.django_db
class TestSlugs:
    def test_names_that_slugify_alike_get_distinct_slugs(self, client):
        first = services.store_create(owner=UserFactory(), name="Bob's Shop")
        second = services.store_create(owner=UserFactory(), name="Bobs Shop")
        third = services.store_create(owner=UserFactory(), name="BOBS-SHOP!")

        assert [first.slug, second.slug, third.slug] == ["bobs-shop", "bobs-shop-2", "bobs-shop-3"]
        assert client.get(second.get_absolute_url()).context["store"] == second

    def test_a_name_in_another_script_keeps_its_letters_in_the_slug(self, client):
        store = services.store_create(owner=UserFactory(), name="パン屋 さんです")

        assert store.slug == "パン屋-さんです"
        assert client.get(store.get_absolute_url()).context["store"] == store

    def test_a_name_without_letters_still_gets_a_slug(self):
        store = services.store_create(owner=UserFactory(), name="!!!!")

        assert store.slug == "store"

    def test_a_store_named_like_a_page_does_not_hide_it(self, client):
        store = services.store_create(owner=UserFactory(), name="Create")

        assert store.slug == "create-2"
        assert client.get(store.get_absolute_url()).context["store"] == store


@pytest.mark.django_db
def test_a_slug_taken_meanwhile_is_chosen_again(monkeypatch):
    StoreFactory(name="Joe's Shop", slug="joes-shop")
    choose_slug = services._free_slug
    picks = iter(["joes-shop"])  # what a racing sign-up saw before Joe's Shop committed
    monkeypatch.setattr(
        services,
        "_free_slug",
        lambda name, store=None: next(picks, None) or choose_slug(name, store),
    )

    store = services.store_create(owner=UserFactory(), name="Joes Shop")

    assert re.fullmatch(r"joes-shop-[0-9a-f]{6}", store.slug)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Ärger Laden", "ärger laden"),
        ("Straße Shop", "STRASSE SHOP"),
        ("Ωmega Store", "ωMEGA store"),
    ],
)
def test_store_names_clash_in_any_letter_case_of_any_script(auth_client, first, second):
    StoreFactory(name=first)

    response = auth_client.post(CREATE_STORE_URL, {"name": second})

    assert response.context["form"].errors["name"] == ["That store name is taken."]
    assert Store.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_store_name_in_another_case_of_another_script():
    StoreFactory(name="Ärger Laden")

    with pytest.raises(IntegrityError):
        StoreFactory(name="äRGER LADEN")


@pytest.mark.django_db
def test_the_database_refuses_a_slug_that_is_a_page_of_the_site():
    with pytest.raises(IntegrityError):
        StoreFactory(slug="create")


@pytest.mark.django_db
def test_renaming_a_store_alone_renames_its_key_too():
    store = StoreFactory(name="Old Name")
    store.name = "Ärger Laden"
    store.save(update_fields=["name"])

    assert Store.objects.name_taken("ärger laden")
    assert not Store.objects.name_taken("old name")
