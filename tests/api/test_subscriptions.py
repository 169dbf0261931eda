"""Resource subscriptions through the API: made (the secret shown once), listed, deleted."""

import pytest

from api.models import ResourceSubscription
from api.services import resource_subscription_create
from tests.factories import StoreFactory

PATH = "/api/v2/resource_subscriptions"


def test_a_subscription_is_made_and_its_secret_shown_once(api, seller):
    response = api.put(PATH, {"resource_name": "sale", "post_url": "https://example.com/hook"})

    made = response.json()["resource_subscription"]
    subscription = ResourceSubscription.objects.get()
    assert (made["id"], made["secret"]) == (subscription.pk, subscription.secret)
    listed = api.get(PATH).json()["resource_subscriptions"]
    assert [s["id"] for s in listed] == [subscription.pk]
    assert "secret" not in listed[0]


def test_the_list_filters_by_resource_name(api, seller):
    for name in ("sale", "refund"):
        resource_subscription_create(
            store=seller.store, resource_name=name, post_url="https://example.com/"
        )
    listed = api.get(PATH, {"resource_name": "refund"}).json()["resource_subscriptions"]
    assert [s["resource_name"] for s in listed] == ["refund"]
    assert api.get(PATH, {"resource_name": "nope"}).status_code == 400


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"resource_name": "sale", "post_url": "http://example.com/"}, "post_url"),
        ({"resource_name": "sale", "post_url": "not a url"}, "post_url"),
        ({"resource_name": "sale", "post_url": "https://e.com/" + "x" * 3000}, "post_url"),
        ({"resource_name": "payday", "post_url": "https://example.com/"}, "resource_name"),
    ],
)
def test_bad_subscriptions_are_a_400_naming_the_field(api, data, field):
    response = api.put(PATH, data)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")
    assert not ResourceSubscription.objects.exists()


def test_delete_and_another_stores_is_a_404(api, seller):
    mine = resource_subscription_create(
        store=seller.store, resource_name="sale", post_url="https://example.com/"
    )
    theirs = resource_subscription_create(
        store=StoreFactory(), resource_name="sale", post_url="https://example.com/"
    )
    assert api.delete(f"{PATH}/{theirs.pk}").status_code == 404
    assert api.delete(f"{PATH}/{mine.pk}").json()["success"] is True
    assert list(ResourceSubscription.objects.all()) == [theirs]
