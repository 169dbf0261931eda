import pytest
from django.urls import reverse

from products.models import Product
from tests.utils import messages_of
from yumroad_site.validators import NAME_INVISIBLE_MESSAGE

CREATE_URL = reverse("products:create")


def product_data(**overrides):
    return {
        "name": "Sourdough Starter Guide",
        "description": "Everything about keeping a starter alive.",
        "price": "5",
        "picture_url": "",
        **overrides,
    }


@pytest.mark.django_db
class TestCreateProduct:
    def test_form_has_the_product_fields(self, creator_client):
        body = creator_client.get(CREATE_URL).content.decode()

        for field in ("name", "description", "price", "picture_url"):
            assert f'name="{field}"' in body

    def test_saves_the_product_in_the_users_store_and_shows_it(self, creator_client, store):
        response = creator_client.post(CREATE_URL, product_data(), follow=True)

        product = Product.objects.get()
        assert response.redirect_chain == [(product.get_absolute_url(), 302)]
        assert product.store == store
        assert product.creator == store.owner
        assert product.name == "Sourdough Starter Guide"
        assert product.price_cents == 500
        assert (
            "Saved Sourdough Starter Guide. Add the file to sell to put it on sale."
            in messages_of(response)
        )
        assert "$5.00" in response.content.decode()

    @pytest.mark.parametrize(
        ("price", "cents"),
        [("5", 500), ("4.99", 499), ("0", 0), ("0.5", 50), ("19.9", 1990), ("100000", 10_000_000)],
    )
    def test_stores_the_price_in_exact_cents(self, creator_client, price, cents):
        creator_client.post(CREATE_URL, product_data(price=price))

        assert Product.objects.get().price_cents == cents

    @pytest.mark.parametrize(
        ("price", "message"),
        [
            ("4.999", "Enter the price to the cent, like 4.99."),
            ("0.01", "Free, or at least $0.50."),
            ("0.49", "Free, or at least $0.50."),
            ("-1", "Enter a price in dollars from 0 to 100,000, like 5 or 4.99."),
            ("abc", "Enter a price in dollars from 0 to 100,000, like 5 or 4.99."),
            ("100000.01", "Enter a price in dollars from 0 to 100,000, like 5 or 4.99."),
            ("1e9", "Enter a price in dollars from 0 to 100,000, like 5 or 4.99."),
            ("1e3", "Enter a price in dollars from 0 to 100,000, like 5 or 4.99."),
            ("NaN", "Enter a price in dollars from 0 to 100,000, like 5 or 4.99."),
            ("", "Enter a price in dollars from 0 to 100,000, like 5 or 4.99."),
        ],
    )
    def test_refuses_a_bad_price_with_a_clear_message(self, creator_client, price, message):
        response = creator_client.post(CREATE_URL, product_data(price=price))

        assert response.status_code == 200
        assert response.context["form"].errors["price"] == [message]
        assert not Product.objects.exists()

    @pytest.mark.parametrize("name", ["abc", "  ab  ", "x" * 61])
    def test_refuses_a_name_outside_4_to_60_characters(self, creator_client, name):
        response = creator_client.post(CREATE_URL, product_data(name=name))

        assert response.status_code == 200
        assert response.context["form"].errors["name"] == [
            "Field must be between 4 and 60 characters long."
        ]
        assert not Product.objects.exists()

    @pytest.mark.parametrize(
        "name",
        [
            "Two\nlines",
            "Tab\there",
            "Bell\x07name",
        ],
    )
    def test_refuses_a_name_with_control_characters(self, creator_client, name):
        response = creator_client.post(CREATE_URL, product_data(name=name))

        assert response.context["form"].errors["name"] == [
            "Use one line of letters, numbers, spaces and punctuation."
        ]
        assert not Product.objects.exists()

    @pytest.mark.parametrize(
        "name",
        [
            *[f"Invoice {char}fdp.exe" for char in "\u202a\u202b\u202c\u202d\u202e"],
            *[f"Invoice {char}fdp.exe" for char in "\u2066\u2067\u2068\u2069"],
            "Alpha\u200b X",
            "Alpha\u200f X",
            "Alpha\ufeff X",
            "Alpha\u3164 X",
            "Alpha\ue000 X",
            "Alpha\U000e0041 X",
        ],
    )
    def test_refuses_a_name_with_invisible_characters(self, creator_client, name):
        response = creator_client.post(CREATE_URL, product_data(name=name))

        assert response.status_code == 200
        assert response.context["form"].errors["name"] == [NAME_INVISIBLE_MESSAGE]
        assert not Product.objects.exists()

    def test_makes_each_run_of_spaces_in_the_name_one(self, creator_client):
        creator_client.post(CREATE_URL, product_data(name="  Tidy  \u00a0\u3000 Guide "))

        assert Product.objects.get().name == "Tidy Guide"

    @pytest.mark.parametrize("control", ["\u202e", "\u2066"])
    def test_refuses_a_description_with_text_direction_controls(self, creator_client, control):
        response = creator_client.post(
            CREATE_URL, product_data(description=f"Read me {control}fdp.exe")
        )

        assert response.status_code == 200
        assert response.context["form"].errors["description"] == [
            "Remove the invisible text direction characters from the description."
        ]
        assert not Product.objects.exists()

    def test_refuses_a_description_over_5000_characters(self, creator_client):
        response = creator_client.post(CREATE_URL, product_data(description="x" * 5001))

        assert response.context["form"].errors["description"] == [
            "Keep the description to 5,000 characters (it has 5001)."
        ]
        assert 'maxlength="5000"' in response.content.decode()
        assert not Product.objects.exists()

    def test_accepts_a_description_of_5000_characters(self, creator_client):
        creator_client.post(CREATE_URL, product_data(description="x" * 5000))

        assert len(Product.objects.get().description) == 5000

    def test_trims_the_name(self, creator_client):
        creator_client.post(CREATE_URL, product_data(name="   Tidy   "))

        assert Product.objects.get().name == "Tidy"

    def test_requires_a_description(self, creator_client):
        response = creator_client.post(CREATE_URL, product_data(description="   "))

        assert "description" in response.context["form"].errors
        assert not Product.objects.exists()

    @pytest.mark.parametrize(
        "url", ["javascript:alert(1)", "ftp://example.com/pic.png", "not a url", "data:image/png"]
    )
    def test_refuses_a_picture_url_that_is_not_http(self, creator_client, url):
        response = creator_client.post(CREATE_URL, product_data(picture_url=url))

        assert "picture_url" in response.context["form"].errors
        assert not Product.objects.exists()

    def test_keeps_an_https_picture_url(self, creator_client):
        creator_client.post(CREATE_URL, product_data(picture_url="https://example.com/pic.png"))

        assert Product.objects.get().picture_url == "https://example.com/pic.png"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["کتاب‌های من", "Family 👨‍👩‍👧 Crafts", "Crème brûlée guide"])
def test_names_in_any_script_or_with_emoji_are_welcome(creator_client, name):
    creator_client.post(CREATE_URL, product_data(name=name))

    assert Product.objects.get().name == name
