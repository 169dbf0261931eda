"""License keys through the API: verify without a token (counted atomically, limited per
client address), and the seller's enable, disable and decrement with a token."""

import pytest

from api.v2.licenses import LicenseAnswer
from orders.licenses import license_issue, uses_write
from orders.models import License
from tests.factories import OrderFactory, SellableProductFactory
from tests.utils import race

VERIFY = "/api/v2/licenses/verify"


@pytest.fixture
def license(seller, settings):
    settings.DEBUG = False  # money paths: as production runs them
    product = SellableProductFactory(store=seller.store, generates_license_keys=True)
    return license_issue(order=OrderFactory(product=product, store=seller.store))


def verify_data(license, **more):
    return {"product_id": license.order.product_id, "license_key": license.key, **more}


@pytest.mark.parametrize("form", [False, True])
def test_verify_needs_no_token_and_counts_each_use(anonymous_api, license, form):
    first = anonymous_api.post(VERIFY, verify_data(license), form=form)
    second = anonymous_api.post(VERIFY, verify_data(license), form=form)

    assert first.status_code == 200
    assert (first.json()["uses"], second.json()["uses"]) == (1, 2)
    assert first.json()["purchase"]["id"] == license.order_id
    assert first.json()["purchase"]["license_key"] == license.key


def test_every_answer_is_in_the_schemas_shape(anonymous_api, api, license):
    # Written without ninja's validation (api/v2/licenses.py): held to LicenseAnswer here.
    answers = [
        anonymous_api.post(VERIFY, verify_data(license)),  # read from the database
        anonymous_api.post(VERIFY, verify_data(license)),  # as kept, with Redis
        anonymous_api.post(VERIFY, verify_data(license, increment_uses_count=False)),
        *(
            api.put(f"/api/v2/licenses/{action}", verify_data(license))
            for action in ("decrement_uses_count", "disable", "enable")
        ),
    ]

    for response in answers:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        sent = response.json()
        assert LicenseAnswer.model_validate(sent).model_dump(mode="json") == sent
    assert [response.json()["uses"] for response in answers] == [1, 2, 2, 1, 1, 1]
    assert [response.json()["purchase"]["license_disabled"] for response in answers] == [
        False,
        False,
        False,
        False,
        True,
        False,
    ]


def test_verify_without_incrementing_counts_nothing(anonymous_api, license):
    response = anonymous_api.post(VERIFY, verify_data(license, increment_uses_count=False))
    assert response.json()["uses"] == 0
    response = anonymous_api.post(
        VERIFY, verify_data(license, increment_uses_count="false"), form=True
    )
    assert response.json()["uses"] == 0


def test_keys_are_matched_in_any_case(anonymous_api, license):
    data = verify_data(license, license_key=f"  {license.key.lower()} ")
    assert anonymous_api.post(VERIFY, data).json()["uses"] == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"license_key": "00000000-00000000-00000000-00000000"},
        {"product_id": 999999},
        {"license_key": "not a key"},
    ],
)
def test_unknown_keys_and_other_products_are_a_404(anonymous_api, license, changes):
    response = anonymous_api.post(VERIFY, verify_data(license, **changes))
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "message": "That license does not exist for the provided product.",
    }


def test_another_products_key_is_a_404(anonymous_api, license, seller):
    other = SellableProductFactory(store=seller.store)
    response = anonymous_api.post(VERIFY, verify_data(license, product_id=other.pk))
    assert response.status_code == 404


def test_a_disabled_key_is_a_404(anonymous_api, license, api):
    assert api.put("/api/v2/licenses/disable", verify_data(license)).status_code == 200
    assert anonymous_api.post(VERIFY, verify_data(license)).status_code == 404
    assert api.put("/api/v2/licenses/enable", verify_data(license)).status_code == 200
    assert anonymous_api.post(VERIFY, verify_data(license)).json()["uses"] == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"license_key": "x"}, "product_id"),
        ({"product_id": 1}, "license_key"),
        ({"product_id": "abc", "license_key": "x"}, "product_id"),
        ({"product_id": 2**80, "license_key": "x"}, "product_id"),
        ({"product_id": 1, "license_key": "x" * 10_000}, "license_key"),
        ({"product_id": 1, "license_key": "a\0b"}, "license_key"),
    ],
)
def test_bad_verifications_are_a_400_naming_the_field(anonymous_api, db, data, field):
    response = anonymous_api.post(VERIFY, data)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")


def test_verify_is_limited_per_client_address(anonymous_api, license, settings):
    settings.LICENSE_VERIFY_RATE_PER_MINUTE = 2
    for _ in range(2):
        assert anonymous_api.post(VERIFY, verify_data(license)).status_code == 200
    response = anonymous_api.post(VERIFY, verify_data(license))
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    other = anonymous_api.client.post(
        VERIFY, verify_data(license), content_type="application/json", REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 200


def test_the_seller_decrements_uses_never_below_zero(api, license):
    License.objects.filter(pk=license.pk).update(uses=1)
    path = "/api/v2/licenses/decrement_uses_count"
    assert api.put(path, verify_data(license)).json()["uses"] == 0
    assert api.put(path, verify_data(license)).json()["uses"] == 0


def test_another_stores_keys_are_a_404_to_the_seller(api, client):
    product = SellableProductFactory(generates_license_keys=True)
    theirs = license_issue(order=OrderFactory(product=product, store=product.store))
    for action in ("enable", "disable", "decrement_uses_count"):
        assert api.put(f"/api/v2/licenses/{action}", verify_data(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.disabled_at is None


def test_seller_changes_need_a_token_that_writes(read_api, anonymous_api, license):
    assert anonymous_api.put("/api/v2/licenses/disable", verify_data(license)).status_code == 401
    assert read_api.put("/api/v2/licenses/disable", verify_data(license)).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_verifications_at_once_each_count_a_use(live_server, settings):
    import json
    import urllib.request

    settings.DEBUG = False
    product = SellableProductFactory(generates_license_keys=True)
    license = license_issue(order=OrderFactory(product=product, store=product.store))
    body = json.dumps(verify_data(license)).encode()

    def verify():
        request = urllib.request.Request(
            live_server.url + VERIFY, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)["uses"]

    uses = race(*[verify] * 8)

    assert sorted(uses) == list(range(1, 9))
    uses_write()  # with Redis, the uses it counted
    license.refresh_from_db()
    assert license.uses == 8
