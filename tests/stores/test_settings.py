import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from stores import services
from stores.models import Store, StoreSlug
from tests.factories import ProductFactory, StoreFactory, UserFactory
from tests.products.test_images import image_file
from tests.utils import messages_of
from yumroad_site import pictures

SETTINGS_URL = reverse("stores:settings")


def settings_data(store, **changes):
    return {"name": store.name, "description": store.description, **changes}


@pytest.mark.django_db
class TestStoreSettingsPage:
    def test_a_user_without_a_store_is_asked_to_open_one(self, auth_client):
        response = auth_client.get(SETTINGS_URL)

        assert response.status_code == 302
        assert response["Location"] == f"{reverse('stores:new')}?next=%2Fstores%2Fsettings%2F"

    def test_shows_the_store_as_it_is(self, creator_client, store):
        response = creator_client.get(SETTINGS_URL)

        assert response.status_code == 200
        assert response.context["form"].instance == store
        assert f'value="{store.name}"' in response.content.decode()

    def test_a_store_cannot_take_the_settings_address(self, client):
        store = services.store_create(owner=UserFactory(), name="Settings")

        assert store.slug == "settings-2"


@pytest.mark.django_db
class TestRename:
    def test_renaming_changes_the_slug_and_the_old_address_redirects_for_good(
        self, creator_client, client, store
    ):
        old_url = store.get_absolute_url()

        response = creator_client.post(SETTINGS_URL, settings_data(store, name="Crumb Club"))

        assert response.status_code == 302
        store.refresh_from_db()
        assert store.name == "Crumb Club"
        assert store.slug == "crumb-club"
        assert "Saved your store's settings." in messages_of(creator_client.get(SETTINGS_URL))
        redirect = client.get(old_url, {"page": "2"})
        assert redirect.status_code == 301
        assert redirect["Location"] == "/stores/crumb-club/?page=2"
        assert client.get(store.get_absolute_url()).context["store"] == store

    def test_every_old_address_leads_to_the_newest(self, creator_client, client, store):
        first_url = store.get_absolute_url()
        creator_client.post(SETTINGS_URL, settings_data(store, name="Second Name"))
        store.refresh_from_db()
        creator_client.post(SETTINGS_URL, settings_data(store, name="Third Name"))

        assert client.get(first_url)["Location"] == "/stores/third-name/"
        assert client.get("/stores/second-name/")["Location"] == "/stores/third-name/"

    def test_renaming_back_takes_the_old_address_again(self, creator_client, client, store):
        original_name, original_slug = store.name, store.slug
        creator_client.post(SETTINGS_URL, settings_data(store, name="Passing Name"))
        store.refresh_from_db()

        creator_client.post(SETTINGS_URL, settings_data(store, name=original_name))

        store.refresh_from_db()
        assert store.slug == original_slug
        assert client.get(f"/stores/{original_slug}/").status_code == 200
        assert client.get("/stores/passing-name/")["Location"] == f"/stores/{original_slug}/"

    def test_changing_only_the_letter_case_keeps_the_address(self, creator_client, store):
        slug = store.slug

        creator_client.post(SETTINGS_URL, settings_data(store, name=store.name.upper()))

        store.refresh_from_db()
        assert store.name == store.name.upper()
        assert store.slug == slug
        assert not StoreSlug.objects.exists()

    def test_an_old_address_of_another_store_is_not_given_away(self, creator_client, store):
        other = StoreFactory(name="Moving Shop", slug="moving-shop")
        StoreSlug.objects.create(slug="bread-club", store=other)

        creator_client.post(SETTINGS_URL, settings_data(store, name="Bread Club"))

        store.refresh_from_db()
        assert store.slug == "bread-club-2"

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("abc", "Field must be between 4 and 60 characters long."),
            ("x" * 61, "Field must be between 4 and 60 characters long."),
            ("x" * 10_000, "Field must be between 4 and 60 characters long."),
            ("Two\nLines", "Use one line of letters, numbers, spaces and punctuation."),
            ("TAKEN name", "That store name is taken."),
        ],
    )
    def test_the_sign_up_rules_apply_with_a_400(self, creator_client, store, name, message):
        StoreFactory(name="Taken Name")

        response = creator_client.post(SETTINGS_URL, settings_data(store, name=name))

        assert response.status_code == 400
        assert message in response.context["form"].errors["name"]
        assert 'role="alert"' in response.content.decode()
        assert Store.objects.get(pk=store.pk).name == store.name

    def test_a_lost_race_for_the_name_is_a_form_error(self, creator_client, store, monkeypatch):
        # Another store takes the name after the form's check.
        StoreFactory(name="Fresh Goods", slug="other")
        monkeypatch.setattr(Store, "validate_constraints", lambda store, exclude=None: None)

        response = creator_client.post(SETTINGS_URL, settings_data(store, name="fresh goods"))

        assert response.status_code == 400
        assert response.context["form"].errors["name"] == ["That store name is taken."]
        assert Store.objects.get(pk=store.pk).name == store.name
        assert not StoreSlug.objects.exists()


@pytest.mark.django_db
class TestDescriptionAndAvatar:
    def test_the_store_page_shows_the_description_with_its_line_breaks(
        self, creator_client, client, store
    ):
        creator_client.post(
            SETTINGS_URL, settings_data(store, description="Fresh bread.\nEvery <b>day</b>.")
        )

        body = client.get(store.get_absolute_url()).content.decode()
        assert "Fresh bread.<br>Every &lt;b&gt;day&lt;/b&gt;." in body

    @pytest.mark.parametrize("description", ["x" * 501, "x" * 10_000])
    def test_a_description_over_500_characters_is_refused(self, creator_client, store, description):
        response = creator_client.post(SETTINGS_URL, settings_data(store, description=description))

        assert response.status_code == 400
        assert response.context["form"].errors["description"] == [
            "Keep the description to 500 characters."
        ]

    def test_a_description_with_a_nul_byte_is_refused(self, creator_client, store):
        response = creator_client.post(SETTINGS_URL, settings_data(store, description="a\x00b"))

        assert response.status_code == 400
        assert Store.objects.get(pk=store.pk).description == store.description

    @pytest.mark.parametrize("control", ["\u202e", "\u2066"])
    def test_a_description_with_text_direction_controls_is_refused(
        self, creator_client, store, control
    ):
        response = creator_client.post(
            SETTINGS_URL, settings_data(store, description=f"Fresh {control}daerb")
        )

        assert response.status_code == 400
        assert response.context["form"].errors["description"] == [
            "Remove the invisible text direction characters from the description."
        ]
        assert Store.objects.get(pk=store.pk).description == ""

    def test_an_avatar_is_shown_on_the_store_page_with_the_product_count(
        self, creator_client, client, store, settings
    ):
        ProductFactory.create_batch(2, store=store)

        creator_client.post(SETTINGS_URL, settings_data(store, avatar=image_file("me.png")))

        store.refresh_from_db()
        assert store.avatar.name.startswith("stores/")
        assert (settings.MEDIA_ROOT / store.avatar.name).is_file()
        body = client.get(store.get_absolute_url()).content.decode()
        # Its smallest size (tests/stores/test_avatar_sizes.py).
        assert f'<img src="{pictures.size_name(store.avatar.url, "avatar")}"' in body
        assert "2 products" in body

    def test_the_avatar_follows_the_product_picture_rules(self, creator_client, store):
        fake = SimpleUploadedFile("evil.png", b"<script>alert(1)</script>")

        response = creator_client.post(SETTINGS_URL, settings_data(store, avatar=fake))

        assert response.status_code == 400
        assert response.context["form"].errors["avatar"] == [
            "Upload a JPEG, PNG, WebP or GIF image."
        ]

    def test_a_replaced_avatar_file_is_deleted(
        self, creator_client, store, settings, django_capture_on_commit_callbacks
    ):
        creator_client.post(SETTINGS_URL, settings_data(store, avatar=image_file("one.png")))
        store.refresh_from_db()
        first = settings.MEDIA_ROOT / store.avatar.name

        with django_capture_on_commit_callbacks(execute=True):
            creator_client.post(SETTINGS_URL, settings_data(store, avatar=image_file("two.png")))

        store.refresh_from_db()
        assert not first.exists()
        assert (settings.MEDIA_ROOT / store.avatar.name).is_file()


@pytest.mark.django_db(transaction=True)
def test_two_renames_to_one_name_at_once_end_with_one_store_and_a_form_error():
    stores = [StoreFactory(), StoreFactory()]
    barrier = threading.Barrier(2)
    statuses = []

    def rename(store):
        client = Client()
        client.force_login(store.owner)
        try:
            barrier.wait()
            response = client.post(SETTINGS_URL, settings_data(store, name="Wanted Name"))
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=rename, args=[store]) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [302, 400]
    assert Store.objects.filter(name="Wanted Name").count() == 1


@pytest.mark.django_db
def test_a_slug_taken_meanwhile_by_a_rename_is_chosen_again(monkeypatch, store):
    StoreFactory(name="Joe's Shop", slug="joes-shop")
    choose_slug = services._free_slug
    picks = iter(["joes-shop"])  # what a racing rename saw before Joe's Shop committed
    monkeypatch.setattr(
        services,
        "_free_slug",
        lambda name, store=None: next(picks, None) or choose_slug(name, store),
    )
    old_slug = store.slug
    store.name = "Joes Shop"

    services.store_update(store=store)

    store.refresh_from_db()
    assert store.slug == "joes-shop-2"
    assert str(StoreSlug.objects.get(store=store)) == old_slug


@pytest.mark.django_db
def test_deleting_a_store_deletes_its_avatar(
    creator_client, store, settings, django_capture_on_commit_callbacks
):
    creator_client.post(SETTINGS_URL, settings_data(store, avatar=image_file()))
    store.refresh_from_db()
    path = settings.MEDIA_ROOT / store.avatar.name

    with django_capture_on_commit_callbacks(execute=True):
        store.delete()

    assert not path.exists()
