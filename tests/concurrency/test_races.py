"""Requests that race, sent by threads to a live server, as several workers see them."""

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest
from django.urls import reverse

from stores.models import Store
from tests.factories import PASSWORD, ProductFactory, StoreFactory
from tests.live import Browser
from tests.products.test_images import image_bytes, stored_files
from tests.utils import signup_data

SIGNUPS = 20
EDIT_ROUNDS = 8


def race(*actions):
    """Run each action in its own thread, all released at once; return their results."""
    barrier = threading.Barrier(len(actions))

    def run(action):
        barrier.wait()
        return action()

    with ThreadPoolExecutor(len(actions)) as pool:
        return list(pool.map(run, actions))


@pytest.mark.django_db(transaction=True)
def test_racing_sign_ups_whose_store_names_slugify_alike_all_get_their_store(live_server):
    browsers = [Browser(live_server.url) for _ in range(SIGNUPS)]
    for browser in browsers:
        browser.get(reverse("accounts:signup"))

    def sign_up(number):
        data = signup_data(
            email=f"racer{number}@example.com", store_name="Slug Race" + "!" * number
        )
        return lambda: browsers[number - 1].post(reverse("accounts:signup"), data)

    results = race(*(sign_up(number) for number in range(1, SIGNUPS + 1)))

    assert [(status, path) for status, path, _ in results] == [
        (200, reverse("dashboard"))
    ] * SIGNUPS
    assert not any("That store name is taken" in body for _, _, body in results)
    slugs = set(Store.objects.values_list("slug", flat=True))
    assert len(slugs) == SIGNUPS
    assert all(slug.startswith("slug-race") for slug in slugs)


@pytest.mark.django_db(transaction=True)
def test_racing_edits_never_leave_a_product_without_its_picture(live_server, settings):
    store = StoreFactory()
    product = ProductFactory(store=store, name="Race Book")
    edit_url = reverse("products:edit", args=[product.pk])
    picture_editor, text_editor = Browser(live_server.url), Browser(live_server.url)
    for browser in (picture_editor, text_editor):
        browser.log_in(store.owner.email, PASSWORD)
    data = {"name": "Race Book", "description": "Words.", "price": "5", "picture_url": ""}

    for round_number in range(EDIT_ROUNDS):
        for browser in (picture_editor, text_editor):
            browser.get(edit_url)
        picture = {"image": ("new.png", image_bytes(color=(round_number * 20, 0, 0)))}
        text = {**data, "description": f"Round {round_number}"}
        results = race(
            partial(picture_editor.post, edit_url, data, files=picture),
            partial(text_editor.post, edit_url, text),
        )

        assert [status for status, _, _ in results] == [200, 200]
        product.refresh_from_db()
        files = stored_files(settings, product)
        assert all(path.is_file() for path in files)
        # Nothing left behind: the picture on disk is the product's, in its sizes.
        assert set((settings.MEDIA_ROOT / "products").rglob("*.*")) == set(files)
