"""A product's offer codes: the store's discount codes, with their rules."""

import pytest

from orders import services
from orders.models import DiscountCode
from tests.factories import ProductFactory
from tests.utils import race


@pytest.fixture
def product(seller):
    return ProductFactory(store=seller.store)


def codes_path(product, code=None):
    path = f"/api/v2/products/{product.pk}/offer_codes"
    return f"{path}/{code.pk}" if code else path


@pytest.mark.parametrize("form", [False, True])
def test_a_code_made_here_applies_to_this_product_only(api, product, form):
    response = api.post(codes_path(product), {"name": "LAUNCH", "amount_off": 250}, form=form)

    assert response.status_code == 200, response.json()
    code = DiscountCode.objects.get()
    assert (code.code, code.amount_off_cents, code.percent_off) == ("LAUNCH", 250, None)
    assert list(code.products.all()) == [product]
    assert response.json()["offer_code"]["universal"] is False


def test_a_universal_percent_code_applies_to_every_product(api, product, seller):
    data = {"name": "ALL20", "amount_off": 20, "offer_type": "percent", "universal": True}
    response = api.post(codes_path(product), data)
    assert response.json()["offer_code"]["offer_type"] == "percent"
    assert not DiscountCode.objects.get().products.exists()
    other = ProductFactory(store=seller.store)
    listed = api.get(codes_path(other)).json()["offer_codes"]
    assert [c["name"] for c in listed] == ["ALL20"]


def test_the_list_leaves_out_codes_of_other_products(api, product, seller):
    other = ProductFactory(store=seller.store)
    services.discount_code_create(store=seller.store, code="OTHER", percent_off=5, products=[other])
    services.discount_code_create(
        store=seller.store, code="MINE", percent_off=5, products=[product]
    )
    assert [c["name"] for c in api.get(codes_path(product)).json()["offer_codes"]] == ["MINE"]
    code = DiscountCode.objects.get(code="OTHER")
    assert api.get(codes_path(product, code)).status_code == 404


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount_off": 100}, "name"),
        ({"name": "X"}, "amount_off"),
        ({"name": "has space", "amount_off": 100}, "name"),
        ({"name": "X" * 51, "amount_off": 100}, "name"),
        ({"name": "X", "amount_off": 101, "offer_type": "percent"}, "amount_off"),
        ({"name": "X", "amount_off": 0}, "amount_off"),
        ({"name": "X", "amount_off": 2**70}, "amount_off"),
        ({"name": "X", "amount_off": 5, "offer_type": "euros"}, "offer_type"),
        ({"name": "X", "amount_off": 5, "max_purchase_count": 0}, "max_purchase_count"),
        ({"name": "X\0Y", "amount_off": 5}, "name"),
    ],
)
def test_bad_codes_are_a_400_naming_the_field(api, product, data, field):
    response = api.post(codes_path(product), data)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")
    assert not DiscountCode.objects.exists()


def test_a_name_the_store_has_in_any_case_is_refused(api, product, seller):
    services.discount_code_create(store=seller.store, code="launch", percent_off=5)
    response = api.post(codes_path(product), {"name": "LAUNCH", "amount_off": 100})
    assert response.status_code == 400
    assert response.json()["message"].startswith("name:")


def test_update_and_delete(api, product, seller):
    code = services.discount_code_create(
        store=seller.store, code="SPRING", percent_off=10, products=[product]
    )
    response = api.put(codes_path(product, code), {"amount_off": 30, "max_purchase_count": 5})
    assert response.json()["offer_code"]["amount_off"] == 30
    code.refresh_from_db()
    assert (code.percent_off, code.max_uses) == (30, 5)

    response = api.put(codes_path(product, code), {"amount_off": 300, "offer_type": "cents"})
    code.refresh_from_db()
    assert (code.percent_off, code.amount_off_cents) == (None, 300)
    assert code.max_uses == 5

    response = api.put(codes_path(product, code), {"max_purchase_count": None})
    assert response.json()["offer_code"]["max_purchase_count"] is None
    code.refresh_from_db()
    assert (code.amount_off_cents, code.max_uses) == (300, None)

    assert api.delete(codes_path(product, code)).status_code == 200
    assert not DiscountCode.objects.exists()


def test_another_stores_product_and_codes_are_a_404(api):
    theirs = ProductFactory()
    code = services.discount_code_create(store=theirs.store, code="THEIRS", percent_off=5)
    assert api.get(codes_path(theirs)).status_code == 404
    assert api.post(codes_path(theirs), {"name": "X", "amount_off": 5}).status_code == 404
    assert api.delete(codes_path(theirs, code)).status_code == 404
    assert DiscountCode.objects.filter(pk=code.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_codes_of_one_name_made_at_once_are_one_code_and_a_400(live_api):
    product = ProductFactory(store=live_api.seller.store)
    make = live_api.request("POST", codes_path(product), {"name": "launch", "amount_off": 100})
    made = live_api.request("POST", codes_path(product), {"name": "LAUNCH", "amount_off": 200})

    answers = sorted(race(make, made), key=lambda answer: answer[0])

    assert [status for status, _ in answers] == [200, 400]
    assert answers[1][1]["message"].startswith("name:")
    assert DiscountCode.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_updates_of_a_code_at_once_both_hold(live_api):
    """Each writes what it was sent over the code as it is when it runs."""
    product = ProductFactory(store=live_api.seller.store)
    for round in range(6):
        code = services.discount_code_create(
            store=product.store, code=f"ROUND-{round}", amount_off_cents=100, products=[product]
        )
        path = codes_path(product, code)
        answers = race(
            live_api.request("PUT", path, {"amount_off": 300}),
            live_api.request("PUT", path, {"max_purchase_count": 5}),
        )
        assert [status for status, _ in answers] == [200, 200]
        code.refresh_from_db()
        assert (code.amount_off_cents, code.max_uses) == (300, 5)
