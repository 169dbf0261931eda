import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stores import services
from stores.models import OLD_SLUG_IDLE_DAYS, OLD_SLUGS_KEPT, Store, StoreSlug
from tests.factories import StoreFactory, UserFactory
from yumroad_site.validators import NAME_INVISIBLE_MESSAGE

CREATE_STORE_URL = reverse("stores:new")
SETTINGS_URL = reverse("stores:settings")
TAKEN = "That store name is taken."


def rename(client, store, name):
    return client.post(SETTINGS_URL, {"name": name, "description": store.description})


def days_ago(days):
    return timezone.localdate() - timedelta(days=days)


@pytest.mark.django_db
class TestLookAlikeNames:
    @pytest.mark.parametrize(
        "name",
        [
            "Alpha  X",
            " ALPHA\u00a0X ",
            "\u0410lpha X",  # Cyrillic A
            "Alph\u0430 \u0445",  # Cyrillic small a and ha
            "\uff21lpha X",  # fullwidth A
            "A1pha X",
        ],
    )
    def test_a_name_that_looks_like_a_taken_one_is_refused(self, auth_client, name):
        StoreFactory(name="Alpha X")

        response = auth_client.post(CREATE_STORE_URL, {"name": name})

        assert response.context["form"].errors["name"] == [TAKEN]
        assert Store.objects.count() == 1

    @pytest.mark.parametrize(
        "name",
        [
            "Alpha\u200b X",
            "Alpha\u200f X",
            "Alpha\u2060X",
            # Allowed beside letters, nothing to see alone.
            "\u200d\u200d\u200d\u200d",
            "\u200c\ufe0f\u200c\ufe0f",
            "\u0301\u0301\u0301\u0301",
        ],
    )
    def test_a_name_with_invisible_characters_is_refused(self, auth_client, name):
        response = auth_client.post(CREATE_STORE_URL, {"name": name})

        assert response.context["form"].errors["name"] == [NAME_INVISIBLE_MESSAGE]
        assert not Store.objects.exists()

    def test_runs_of_spaces_become_one(self, auth_client):
        auth_client.post(CREATE_STORE_URL, {"name": "  Bread \u3000  Club  "})

        assert Store.objects.get().name == "Bread Club"

    def test_a_rename_to_a_look_alike_is_a_400(self, creator_client, store):
        StoreFactory(name="Alpha X")

        response = rename(creator_client, store, "\u0410LPHA x")

        assert response.status_code == 400
        assert response.context["form"].errors["name"] == [TAKEN]
        assert Store.objects.get(pk=store.pk).name == store.name

    def test_the_database_refuses_a_look_alike_that_slips_past_the_form(self):
        StoreFactory(name="Alpha X")

        with pytest.raises(IntegrityError):
            Store.objects.create(owner=UserFactory(), name="\u0410lpha  X", slug="other")

    def test_names_in_any_script_or_with_emoji_are_welcome(self, auth_client):
        for name in ["کتاب‌های من", "Family 👨‍👩‍👧 Crafts", "Crème brûlée"]:
            client = Client()
            client.force_login(UserFactory())
            client.post(CREATE_STORE_URL, {"name": name})

        assert sorted(Store.objects.values_list("name", flat=True)) == sorted(
            ["کتاب‌های من", "Family 👨‍👩‍👧 Crafts", "Crème brûlée"]
        )

    @pytest.mark.parametrize("name", ["Nul\x00 byte", "x" * 10_000, "\ufffe name"])
    def test_hostile_names_are_a_400_not_a_500(self, creator_client, store, name):
        response = rename(creator_client, store, name)

        assert response.status_code == 400
        assert Store.objects.get(pk=store.pk).name == store.name

    def test_a_description_with_a_direction_control_is_refused_by_the_model_too(self, store):
        store.description = "Read \u202efdp.exe"

        with pytest.raises(ValidationError) as error:
            store.full_clean()

        assert error.value.message_dict["description"] == [
            "Remove the invisible text direction characters from the description."
        ]


@pytest.mark.django_db
class TestOldAddresses:
    def test_a_store_keeps_its_five_newest_old_addresses(self, creator_client, client, store):
        first = store.slug
        for number in range(1, OLD_SLUGS_KEPT + 3):
            rename(creator_client, store, f"Name number {number}")

        store.refresh_from_db()
        assert store.slug == f"name-number-{OLD_SLUGS_KEPT + 2}"
        assert client.get(f"/stores/{first}/").status_code == 404
        assert client.get("/stores/name-number-1/").status_code == 404
        for number in range(2, OLD_SLUGS_KEPT + 2):
            assert client.get(f"/stores/name-number-{number}/")["Location"] == (
                store.get_absolute_url()
            )
        assert store.old_slugs.count() == OLD_SLUGS_KEPT

    def test_renaming_back_reuses_the_old_address_within_the_cap(self, creator_client, store):
        original_name, original_slug = store.name, store.slug
        for name in ["Passing One", original_name, "Passing One", original_name]:
            rename(creator_client, store, name)

        store.refresh_from_db()
        assert store.slug == original_slug
        assert list(store.old_slugs.values_list("slug", flat=True)) == ["passing-one"]

    def test_a_visit_through_an_old_address_is_noted_once_a_day(
        self, client, store, django_assert_num_queries
    ):
        old = StoreSlug.objects.create(slug="old-name", store=store)
        StoreSlug.objects.filter(pk=old.pk).update(last_used_on=days_ago(30))

        # No store at this address, the old address with its store, the note of the visit.
        with django_assert_num_queries(3):
            assert client.get("/stores/old-name/").status_code == 301
        # No store at this address, the old address with its store: today is noted.
        with django_assert_num_queries(2):
            assert client.get("/stores/old-name/").status_code == 301

        old.refresh_from_db()
        assert old.last_used_on == timezone.localdate()

    def test_an_address_idle_for_90_days_is_free_for_another_store(self, client):
        moved = StoreFactory(name="Moving Shop", slug="moving-shop")
        old = StoreSlug.objects.create(slug="bread-club", store=moved)
        StoreSlug.objects.filter(pk=old.pk).update(last_used_on=days_ago(OLD_SLUG_IDLE_DAYS + 1))

        store = services.store_create(owner=UserFactory(), name="Bread Club")

        assert store.slug == "bread-club"
        assert client.get("/stores/bread-club/").context["store"] == store
        assert not StoreSlug.objects.exists()

    def test_a_rename_takes_an_idle_address_of_another_store(self, creator_client, store):
        moved = StoreFactory(name="Moving Shop", slug="moving-shop")
        old = StoreSlug.objects.create(slug="bread-club", store=moved)
        StoreSlug.objects.filter(pk=old.pk).update(last_used_on=days_ago(OLD_SLUG_IDLE_DAYS + 1))

        rename(creator_client, store, "Bread Club")

        store.refresh_from_db()
        assert store.slug == "bread-club"
        assert not moved.old_slugs.exists()

    def test_an_address_visited_within_90_days_is_kept(self, client):
        moved = StoreFactory(name="Moving Shop", slug="moving-shop")
        old = StoreSlug.objects.create(slug="bread-club", store=moved)
        StoreSlug.objects.filter(pk=old.pk).update(last_used_on=days_ago(OLD_SLUG_IDLE_DAYS))

        store = services.store_create(owner=UserFactory(), name="Bread Club")

        assert store.slug == "bread-club-2"
        assert client.get("/stores/bread-club/")["Location"] == "/stores/moving-shop/"


@pytest.mark.django_db(transaction=True)
def test_two_renames_to_one_idle_address_at_once_give_it_to_one_store():
    moved = StoreFactory(name="Moving Shop", slug="moving-shop")
    old = StoreSlug.objects.create(slug="bread-club", store=moved)
    StoreSlug.objects.filter(pk=old.pk).update(last_used_on=days_ago(OLD_SLUG_IDLE_DAYS + 1))
    stores = [StoreFactory(), StoreFactory()]
    names = ["Bread Club", "Bread-Club"]
    barrier = threading.Barrier(2)
    statuses = []

    def rename_at_once(store, name):
        client = Client()
        client.force_login(store.owner)
        try:
            barrier.wait()
            statuses.append(rename(client, store, name).status_code)
        finally:
            connection.close()

    pairs = zip(stores, names, strict=True)
    threads = [threading.Thread(target=rename_at_once, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Both names differ only in punctuation, so both renames succeed, on two addresses.
    assert statuses == [302, 302]
    slugs = sorted(
        Store.objects.filter(pk__in=[s.pk for s in stores]).values_list("slug", flat=True)
    )
    assert slugs[0] == "bread-club"
    assert slugs[1].startswith("bread-club-")


@pytest.mark.django_db(transaction=True)
def test_the_migration_keys_stores_that_already_look_alike_apart():
    before = [("stores", "0007_messages_end_with_a_full_stop")]
    after = [("stores", "0008_old_slug_visits_and_look_alike_names")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldUser, OldStore = (
        old_apps.get_model("accounts", "User"),
        old_apps.get_model("stores", "Store"),
    )
    stores = [
        OldStore.objects.create(
            owner=OldUser.objects.create(email=f"owner{number}@example.com"),
            name=name,
            name_key=name.casefold(),
            slug=f"store-{number}",
        )
        for number, name in enumerate(["Alpha X", "\u0410lpha X", "ALPHA \u0425"])
    ]
    old_apps.get_model("stores", "StoreSlug").objects.create(slug="old-alpha", store=stores[0])
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        call_command("migrate", verbosity=0)

    keys = list(Store.objects.order_by("pk").values_list("name_key", flat=True))
    assert keys == ["alpha x", f"alpha x\u2028{stores[1].pk}", f"alpha x\u2028{stores[2].pk}"]
    assert Store.objects.name_taken("alpha  x")
    old = StoreSlug.objects.get()
    assert old.last_used_on == old.created_at.date()
