import pytest
from django.urls import reverse

from products.models import Product
from tests.factories import ProductFactory, UserFactory
from tests.utils import messages_of


@pytest.fixture
def product(store):
    return ProductFactory(store=store, name="Bread Book", description="Old words.", price_cents=500)


def edit_data(**overrides):
    return {
        "name": "Bread Book, Second Edition",
        "description": "New words.",
        "price": "7.50",
        "picture_url": "",
        **overrides,
    }


@pytest.mark.django_db
class TestEditProduct:
    def test_form_is_prefilled(self, creator_client, product):
        form = creator_client.get(reverse("products:edit", args=[product.pk])).context["form"]

        assert form["name"].value() == "Bread Book"
        assert form["description"].value() == "Old words."
        assert str(form["price"].value()) == "5.00"

    def test_saves_the_changes_and_returns_to_the_product(self, creator_client, product):
        response = creator_client.post(
            reverse("products:edit", args=[product.pk]), edit_data(), follow=True
        )

        product.refresh_from_db()
        assert response.redirect_chain == [(product.get_absolute_url(), 302)]
        assert "Saved your changes to Bread Book, Second Edition." in messages_of(response)
        assert product.name == "Bread Book, Second Edition"
        assert product.description == "New words."
        assert product.price_cents == 750

    def test_invalid_input_changes_nothing(self, creator_client, product):
        response = creator_client.post(
            reverse("products:edit", args=[product.pk]), edit_data(name="abc", price="-3")
        )

        assert response.status_code == 200
        assert set(response.context["form"].errors) == {"name", "price"}
        product.refresh_from_db()
        assert product.name == "Bread Book"
        assert product.price_cents == 500

    def test_an_unknown_product_is_a_404(self, creator_client):
        assert creator_client.get(reverse("products:edit", args=[999])).status_code == 404


@pytest.mark.django_db
class TestDeleteProduct:
    def test_get_asks_for_confirmation_and_deletes_nothing(self, creator_client, product):
        response = creator_client.get(reverse("products:delete", args=[product.pk]))

        assert response.status_code == 200
        assert "Delete Bread Book?" in response.content.decode()
        assert Product.objects.filter(pk=product.pk).exists()

    def test_post_deletes_and_returns_to_the_store(self, creator_client, product, store):
        response = creator_client.post(reverse("products:delete", args=[product.pk]), follow=True)

        assert response.redirect_chain == [(store.get_absolute_url(), 302)]
        assert "Deleted Bread Book." in messages_of(response)
        assert not Product.objects.filter(pk=product.pk).exists()


@pytest.mark.django_db
class TestProductPageForTheOwner:
    def test_the_owner_sees_edit_and_delete(self, creator_client, product):
        body = creator_client.get(product.get_absolute_url()).content.decode()

        assert f'href="{reverse("products:edit", args=[product.pk])}"' in body
        assert f'href="{reverse("products:delete", args=[product.pk])}"' in body

    def test_others_do_not(self, client, product):
        for viewer in (None, UserFactory()):
            if viewer:
                client.force_login(viewer)
            body = client.get(product.get_absolute_url()).content.decode()
            assert reverse("products:edit", args=[product.pk]) not in body
            assert reverse("products:delete", args=[product.pk]) not in body

    def test_links_to_more_products_from_the_store(self, client, product, store):
        body = client.get(product.get_absolute_url()).content.decode()

        assert f"See more products from {store.name}" in body
        assert f'href="{store.get_absolute_url()}"' in body
