"""The product form's "Generate a license key for each sale": off unless ticked."""

import re

import pytest
from django.urls import reverse

from products.models import Product
from tests.factories import ProductFactory
from tests.products.test_create import CREATE_URL, product_data
from tests.products.test_manage import edit_data

LABEL = "Generate a license key for each sale"
TICKED = re.compile(r'<input type="checkbox" name="generates_license_keys"[^>]* checked>')


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


@pytest.mark.django_db
class TestTheOption:
    def test_the_form_offers_it_unticked(self, creator_client):
        body = creator_client.get(CREATE_URL).content.decode()

        assert LABEL in body
        assert 'name="generates_license_keys"' in body
        assert not TICKED.search(body)

    def test_a_new_product_is_without_keys_unless_ticked(self, creator_client):
        creator_client.post(CREATE_URL, product_data(name="Plain Product"))
        creator_client.post(
            CREATE_URL, product_data(name="Licensed App", generates_license_keys="on")
        )

        assert dict(Product.objects.values_list("name", "generates_license_keys")) == {
            "Plain Product": False,
            "Licensed App": True,
        }

    def test_an_edit_turns_it_on_and_off(self, creator_client, store):
        product = ProductFactory(store=store)
        url = reverse("products:edit", args=[product.pk])

        assert creator_client.post(url, edit_data(generates_license_keys="on")).status_code == 302
        product.refresh_from_db()
        assert product.generates_license_keys
        assert TICKED.search(creator_client.get(url).content.decode())

        assert creator_client.post(url, edit_data()).status_code == 302
        product.refresh_from_db()
        assert not product.generates_license_keys

    @pytest.mark.parametrize("value", ["x" * 10_000, "-1", "false"])
    def test_any_value_is_an_answer_never_an_error(self, creator_client, value):
        response = creator_client.post(CREATE_URL, product_data(generates_license_keys=value))

        assert response.status_code == 302
        assert Product.objects.get().generates_license_keys is (value != "false")

    def test_a_null_character_is_a_400_that_saves_nothing(self, creator_client):
        response = creator_client.post(CREATE_URL, product_data(generates_license_keys="\x00"))

        assert response.status_code == 400
        assert not Product.objects.exists()

    def test_another_sellers_product_is_refused_unchanged(self, creator_client):
        product = ProductFactory()

        response = creator_client.post(
            reverse("products:edit", args=[product.pk]), edit_data(generates_license_keys="on")
        )

        assert response.status_code == 403  # as every edit of another's product
        product.refresh_from_db()
        assert not product.generates_license_keys
