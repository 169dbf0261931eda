"""A store's avatar goes through the product pictures' pipeline: re-encoded, stored with
square WebP sizes that pages serve (the store's page, /stores/, the landing page)."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from stores.models import Store
from tests.factories import ProductFactory
from tests.products.test_images import exif_with_gps, image_bytes, image_file
from tests.products.test_orphan_files import aged, orphan_files
from yumroad_site import pictures

SETTINGS_URL = reverse("stores:settings")


def settings_data(store, **changes):
    return {"name": store.name, "description": store.description, **changes}


def avatar_files(settings, store):
    names = [
        store.avatar.name,
        *(pictures.size_name(store.avatar.name, size) for size in pictures.AVATAR_SIZES),
    ]
    return [settings.MEDIA_ROOT / name for name in names]


@pytest.fixture
def with_avatar(creator_client, store):
    """`store` with a 300 by 200 avatar, uploaded on its settings page."""
    ProductFactory(store=store)
    creator_client.post(
        SETTINGS_URL, settings_data(store, avatar=image_file("me.png", size=(300, 200)))
    )
    store.refresh_from_db()
    return store


@pytest.mark.django_db
class TestAvatarSizes:
    def test_an_upload_is_stored_with_square_webp_sizes(self, with_avatar, settings):
        store = with_avatar

        assert (store.avatar_width, store.avatar_height) == (300, 200)
        for size, side in [("avatar", 96), ("avatar-2x", 192)]:
            path = settings.MEDIA_ROOT / pictures.size_name(store.avatar.name, size)
            with Image.open(path) as stored:
                assert (stored.format, stored.size) == ("WEBP", (side, side))

    def test_a_small_avatar_is_never_scaled_up(self, creator_client, store, settings):
        creator_client.post(
            SETTINGS_URL, settings_data(store, avatar=image_file("me.png", size=(50, 80)))
        )
        store.refresh_from_db()

        assert [(width, height) for _, width, height in store.avatar_sizes] == [(50, 50)]
        with Image.open(
            settings.MEDIA_ROOT / pictures.size_name(store.avatar.name, "avatar-2x")
        ) as stored:
            assert stored.size == (50, 50)

    @pytest.mark.parametrize("page", ["store", "stores", "home"])
    def test_pages_show_the_sizes(self, client, with_avatar, page):
        url = {
            "store": with_avatar.get_absolute_url(),
            "stores": reverse("products:stores"),
            "home": reverse("home"),
        }[page]
        small, large = (
            pictures.size_name(with_avatar.avatar.url, size) for size in ("avatar", "avatar-2x")
        )

        body = client.get(url).content.decode()

        assert f'<img src="{small}" srcset="{small} 96w, {large} 192w"' in body
        assert 'width="96" height="96"' in body
        assert f'src="{with_avatar.avatar.url}"' not in body

    def test_the_settings_form_shows_the_avatar_not_its_path(self, creator_client, with_avatar):
        body = creator_client.get(SETTINGS_URL).content.decode()

        large = pictures.size_name(with_avatar.avatar.url, "avatar-2x")
        assert f'<img src="{large}" alt="Your store&#x27;s current avatar"' in body
        assert "Currently" not in body
        assert f">{with_avatar.avatar.name}<" not in body
        assert 'name="avatar-clear"' in body

    def test_replacing_it_removes_the_old_one_and_its_sizes(
        self, creator_client, with_avatar, settings, django_capture_on_commit_callbacks
    ):
        old = avatar_files(settings, with_avatar)

        with django_capture_on_commit_callbacks(execute=True):
            creator_client.post(
                SETTINGS_URL, settings_data(with_avatar, avatar=image_file("two.png"))
            )

        with_avatar.refresh_from_db()
        assert not any(path.exists() for path in old)
        assert all(path.is_file() for path in avatar_files(settings, with_avatar))

    def test_removing_it_removes_its_sizes(
        self, creator_client, with_avatar, settings, django_capture_on_commit_callbacks
    ):
        old = avatar_files(settings, with_avatar)

        with django_capture_on_commit_callbacks(execute=True):
            creator_client.post(SETTINGS_URL, settings_data(with_avatar, **{"avatar-clear": "on"}))

        with_avatar.refresh_from_db()
        assert not with_avatar.avatar
        assert with_avatar.avatar_width is None
        assert not any(path.exists() for path in old)

    def test_deleting_the_store_removes_its_sizes(
        self, with_avatar, settings, django_capture_on_commit_callbacks
    ):
        files = avatar_files(settings, with_avatar)

        with django_capture_on_commit_callbacks(execute=True):
            with_avatar.delete()

        assert not any(path.exists() for path in files)

    def test_orphan_files_keeps_the_sizes(self, with_avatar, settings):
        for path in avatar_files(settings, with_avatar):
            aged(default_storage, str(path.relative_to(settings.MEDIA_ROOT)))

        assert orphan_files() == ["Found 0 orphan files."]


def legacy_avatar(store, content):
    """`store` with an avatar stored as uploaded, before avatars had sizes."""
    stored = default_storage.save("stores/2024/01/my face.jpg", ContentFile(content))
    Store.objects.filter(pk=store.pk).update(avatar=stored)
    return stored


@pytest.mark.django_db(transaction=True)
def test_reencode_pictures_strips_old_avatars_and_makes_their_sizes(store, settings, client):
    old = legacy_avatar(store, image_bytes("JPEG", size=(40, 30), exif=exif_with_gps()))
    ProductFactory(store=store)
    out = io.StringIO()

    call_command("reencode_pictures", stdout=out)

    store.refresh_from_db()
    assert out.getvalue().splitlines() == [
        "Re-encoded 0 pictures; skipped 0.",
        "Re-encoded 1 avatar; skipped 0.",
    ]
    assert store.avatar.name != old
    assert (store.avatar_width, store.avatar_height) == (30, 40)
    assert not (settings.MEDIA_ROOT / old).exists()
    for path in avatar_files(settings, store):
        with Image.open(path) as stored:
            assert not stored.getexif()
    assert "srcset=" in client.get(store.get_absolute_url()).content.decode()
    call_command("reencode_pictures", stdout=(again := io.StringIO()))
    assert again.getvalue().splitlines()[1] == "Re-encoded 0 avatars; skipped 0."


@pytest.mark.django_db(transaction=True)
def test_reencode_pictures_skips_an_avatar_that_is_not_a_picture(store):
    old = legacy_avatar(store, b"not a picture")
    out, err = io.StringIO(), io.StringIO()

    call_command("reencode_pictures", stdout=out, stderr=err)

    store.refresh_from_db()
    assert out.getvalue().splitlines()[1] == "Re-encoded 0 avatars; skipped 1."
    assert f"Skipped store {store.pk} ({old}): Upload a JPEG" in err.getvalue()
    assert store.avatar.name == old
