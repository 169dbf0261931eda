"""A store owner manages discount codes at /discounts/; the services that save them are
the API's too (orders.services.discount_code_create and friends)."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from orders import services
from orders.models import DiscountCode
from tests.factories import ProductFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db
LIST_URL = reverse("orders:discounts")
NEW_URL = reverse("orders:discount_create")


def code_of(store, **fields):
    return services.discount_code_create(
        store=store, **{"code": "SPRING", "percent_off": 20, **fields}
    )


def form(**fields):
    return {"code": "SPRING-25", "percent_off": "25", "amount_off": "", "max_uses": "", **fields}


class TestTheList:
    def test_shows_the_stores_codes_with_their_discount_uses_and_products(
        self, creator_client, store
    ):
        product = ProductFactory(store=store, name="Loop Pack")
        code_of(store, code="SPRING", products=[product], max_uses=10)
        code_of(store, code="flat5", percent_off=None, amount_off_cents=500)
        code_of(StoreFactory(), code="THEIRS")

        body = creator_client.get(LIST_URL).content.decode()

        assert "SPRING" in body
        assert "flat5" in body
        assert "THEIRS" not in body
        assert "20% off" in body
        assert "$5.00 off" in body
        assert "Loop Pack" in body
        assert "Every product" in body
        assert "0 of 10" in body

    def test_an_expired_code_says_so(self, creator_client, store):
        code_of(store, expires_at=datetime(2020, 1, 1, tzinfo=UTC))

        body = creator_client.get(LIST_URL).content.decode()

        assert "1 Jan 2020, 00:00 UTC (expired)" in body

    def test_a_visitor_is_sent_to_log_in(self, client):
        response = client.get(LIST_URL)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))

    def test_a_member_without_a_store_opens_one_first(self, auth_client):
        response = auth_client.get(LIST_URL)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("stores:new"))


class TestMakingACode:
    def test_a_percent_off_code_for_some_products_is_saved(self, creator_client, store):
        product = ProductFactory(store=store)

        response = creator_client.post(
            NEW_URL,
            form(products=[product.pk], max_uses="3", expires_at="2027-01-31T12:00"),
        )

        assert response.status_code == 302
        code = DiscountCode.objects.get()
        assert (code.store, code.code, code.percent_off, code.amount_off_cents) == (
            store,
            "SPRING-25",
            25,
            None,
        )
        assert list(code.products.all()) == [product]
        assert code.max_uses == 3
        assert code.expires_at == datetime(2027, 1, 31, 12, tzinfo=UTC)

    def test_the_form_says_codes_do_not_apply_to_pay_what_you_want_products(
        self, creator_client, store
    ):
        ProductFactory(store=store, name="Fixed Price Pack")
        ProductFactory(store=store, name="Fans Pack", pay_what_you_want=True)

        body = creator_client.get(NEW_URL).content.decode()

        assert "Fans Pack (pay what you want: codes do not apply)" in body
        assert "Fixed Price Pack (" not in body

    def test_an_amount_off_is_typed_in_dollars_and_kept_in_cents(self, creator_client):
        response = creator_client.post(NEW_URL, form(percent_off="", amount_off="4.99"))

        assert response.status_code == 302
        code = DiscountCode.objects.get()
        assert (code.percent_off, code.amount_off_cents) == (None, 499)

    def test_an_expiry_in_the_past_is_accepted(self, creator_client):
        response = creator_client.post(NEW_URL, form(expires_at="2020-01-01T00:00"))

        assert response.status_code == 302
        assert DiscountCode.objects.get().is_expired()

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"code": "NO SPACES"}, "Use letters, digits and dashes only."),
            ({"code": "ÉTÉ"}, "Use letters, digits and dashes only."),
            ({"code": "a" * 51}, "Ensure this value has at most 50 characters"),
            ({"code": ""}, "This field is required."),
            ({"percent_off": "0"}, "greater than or equal to 1"),
            ({"percent_off": "101"}, "less than or equal to 100"),
            ({"percent_off": "-5"}, "greater than or equal to"),
            ({"percent_off": "9" * 30}, "less than or equal to 100"),
            ({"percent_off": "ten"}, "Enter a whole number."),
            ({"percent_off": ""}, "Take a percent or an amount off: one of them, not both."),
            ({"amount_off": "5"}, "Take a percent or an amount off: one of them, not both."),
            ({"percent_off": "", "amount_off": "0"}, "Take at least $0.01 off"),
            ({"percent_off": "", "amount_off": "1e3"}, "Enter an amount in dollars"),
            ({"percent_off": "", "amount_off": "100000.01"}, "Enter an amount in dollars"),
            ({"max_uses": "0"}, "greater than or equal to 1"),
            ({"max_uses": "9" * 30}, "less than or equal to 1000000"),
            ({"expires_at": "tomorrow"}, "Enter a valid date/time."),
        ],
    )
    def test_hostile_or_wrong_input_is_refused_with_a_400_naming_it(
        self, creator_client, fields, message
    ):
        response = creator_client.post(NEW_URL, form(**fields))

        assert response.status_code == 400
        assert message in response.content.decode()
        assert not DiscountCode.objects.exists()

    def test_a_nul_is_refused(self, creator_client):
        response = creator_client.post(NEW_URL, form(code="A\x00B"))

        assert response.status_code == 400
        assert not DiscountCode.objects.exists()

    def test_another_stores_product_is_refused(self, creator_client, store):
        ProductFactory(store=store)
        theirs = ProductFactory()

        response = creator_client.post(NEW_URL, form(products=[theirs.pk]))

        assert response.status_code == 400
        assert "Select a valid choice." in response.content.decode()
        assert not DiscountCode.objects.exists()

    @pytest.mark.parametrize(
        ("chosen", "message"),
        [
            ("9" * 25, "Select a valid choice."),
            ("-" + "9" * 25, "Select a valid choice."),
            ("9" * 5000, "is not a valid value."),
            ("ten", "is not a valid value."),
        ],
    )
    def test_a_product_id_no_database_holds_is_refused_with_a_400(
        self, creator_client, store, chosen, message
    ):
        ProductFactory(store=store)

        response = creator_client.post(NEW_URL, form(products=[chosen]))

        assert response.status_code == 400
        assert message in response.content.decode()
        assert not DiscountCode.objects.exists()

    def test_a_name_the_store_has_in_another_case_is_refused(self, creator_client, store):
        code_of(store, code="spring-25")

        response = creator_client.post(NEW_URL, form(code="SPRING-25"))

        assert response.status_code == 400
        assert "Your store has a code of that name already." in response.content.decode()
        assert DiscountCode.objects.count() == 1

    def test_another_store_may_have_the_same_name(self, creator_client):
        code_of(StoreFactory(), code="SPRING-25")

        assert creator_client.post(NEW_URL, form()).status_code == 302
        assert DiscountCode.objects.count() == 2

    def test_the_database_refuses_a_name_in_another_case_however_close_the_race(self, store):
        code_of(store, code="Launch")

        with pytest.raises(IntegrityError):
            DiscountCode.objects.create(store=store, code="LAUNCH", percent_off=5)

    def test_the_database_refuses_both_a_percent_and_an_amount_off(self, store):
        with pytest.raises(IntegrityError):
            DiscountCode.objects.create(store=store, code="X", percent_off=5, amount_off_cents=5)

    def test_other_methods_are_refused(self, creator_client):
        assert creator_client.put(NEW_URL).status_code == 405
        assert not DiscountCode.objects.exists()


class TestEditingAndDeleting:
    def test_the_owner_changes_a_code_from_percent_to_amount(self, creator_client, store):
        code = code_of(store)

        response = creator_client.post(
            reverse("orders:discount_edit", args=[code.pk]),
            form(code="SPRING", percent_off="", amount_off="2"),
        )

        assert response.status_code == 302
        code.refresh_from_db()
        assert (code.percent_off, code.amount_off_cents) == (None, 200)

    def test_the_owner_deletes_a_code(self, creator_client, store):
        code = code_of(store)
        url = reverse("orders:discount_delete", args=[code.pk])

        assert "Delete the code SPRING?" in creator_client.get(url).content.decode()
        response = creator_client.post(url)

        assert response.status_code == 302
        assert not DiscountCode.objects.exists()

    def test_a_code_for_deleted_products_alone_goes_with_the_last_of_them(
        self, creator_client, store
    ):
        first, second, kept = (ProductFactory(store=store) for _ in range(3))
        code_of(store, code="BOTH", products=[first, second])
        code_of(store, code="WIDER", products=[first, kept])
        code_of(store, code="ALL")

        for product in (first, second):
            response = creator_client.post(reverse("products:delete", args=[product.pk]))
            assert response.status_code == 302

        # Left with no products, BOTH would take its discount off every product.
        assert set(DiscountCode.objects.values_list("code", flat=True)) == {"WIDER", "ALL"}
        assert list(DiscountCode.objects.get(code="WIDER").products.all()) == [kept]

    @pytest.mark.parametrize("name", ["orders:discount_edit", "orders:discount_delete"])
    def test_another_stores_code_is_a_404_and_stays_as_it_is(self, creator_client, name):
        theirs = code_of(StoreFactory())

        assert creator_client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert creator_client.post(reverse(name, args=[theirs.pk]), form()).status_code == 404
        theirs.refresh_from_db()
        assert (theirs.code, theirs.percent_off) == ("SPRING", 20)

    @pytest.mark.parametrize("name", ["orders:discount_edit", "orders:discount_delete"])
    def test_a_buyer_opens_a_store_first_and_the_code_stays(self, client, store, name):
        code = code_of(store)
        client.force_login(UserFactory())

        response = client.post(reverse(name, args=[code.pk]), form(code="MINE"))

        assert response.status_code in (302, 404)
        assert not response.get("Location", "").startswith(LIST_URL)
        code.refresh_from_db()
        assert code.code == "SPRING"


class TestTheServices:
    def test_create_names_the_field_it_refuses(self, store):
        with pytest.raises(ValidationError) as refused:
            services.discount_code_create(store=store, code="ok", percent_off=None)

        assert "percent_off" in refused.value.message_dict

    def test_create_refuses_a_product_of_another_store(self, store):
        with pytest.raises(ValidationError) as refused:
            code_of(store, products=[ProductFactory()])

        assert "products" in refused.value.message_dict
        assert not DiscountCode.objects.exists()

    def test_update_with_an_amount_clears_the_percent(self, store):
        code = code_of(store)

        services.discount_code_update(discount_code=code, amount_off_cents=300)

        code.refresh_from_db()
        assert (code.percent_off, code.amount_off_cents) == (None, 300)

    def test_update_refuses_a_name_the_store_has(self, store):
        code_of(store, code="ONE")
        two = code_of(store, code="TWO")

        with pytest.raises(ValidationError) as refused:
            services.discount_code_update(discount_code=two, code="one")

        assert "code" in refused.value.message_dict
