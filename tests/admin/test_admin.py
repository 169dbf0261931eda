import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from products.models import Product
from tests.factories import ProductFactory, SellableProductFactory, UserFactory


@pytest.mark.django_db
class TestUserAdmin:
    def test_lists_and_searches_users_by_email(self, admin_client):
        UserFactory(email="ann@example.com")
        UserFactory(email="bob@example.com")

        response = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": "ann"})

        body = response.content.decode()
        assert response.status_code == 200
        assert "ann@example.com" in body
        assert "bob@example.com" not in body
        for column in ("column-email", "column-is_staff", "column-is_active", "column-date_joined"):
            assert column in body

    def test_adds_a_user_with_a_hashed_password(self, admin_client):
        response = admin_client.post(
            reverse("admin:accounts_user_add"),
            {
                "email": "New@Example.com",
                "usable_password": "true",
                "password1": "a-Str0ng-passphrase",
                "password2": "a-Str0ng-passphrase",
            },
        )

        assert response.status_code == 302
        user = User.objects.get(email="new@example.com")
        assert user.check_password("a-Str0ng-passphrase")
        assert user.password != "a-Str0ng-passphrase"

    def test_refuses_an_email_taken_in_another_case(self, admin_client):
        UserFactory(email="ann@example.com")

        response = admin_client.post(
            reverse("admin:accounts_user_add"),
            {
                "email": "ANN@example.com",
                "usable_password": "true",
                "password1": "a-Str0ng-passphrase",
                "password2": "a-Str0ng-passphrase",
            },
        )

        assert response.status_code == 200
        assert "That email already has an account." in response.content.decode()
        assert User.objects.filter(email="ann@example.com").count() == 1

    def test_changes_a_password_the_django_way(self, admin_client):
        user = UserFactory()

        response = admin_client.post(
            reverse("admin:auth_user_password_change", args=[user.pk]),
            {"password1": "another-Str0ng-one", "password2": "another-Str0ng-one"},
        )

        assert response.status_code == 302
        user.refresh_from_db()
        assert user.check_password("another-Str0ng-one")

    def test_change_page_opens(self, admin_client):
        user = UserFactory()

        response = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))

        assert response.status_code == 200
        assert user.email in response.content.decode()

    def test_admin_pages_carry_the_site_icon_and_name(self, admin_client):
        body = admin_client.get(reverse("admin:index")).content.decode()

        assert "Yumroad administration" in body
        assert 'rel="icon" href="/static/products/favicon.svg"' in body


@pytest.mark.django_db
class TestProductAdmin:
    def test_lists_searches_and_filters_products(self, admin_client):
        ProductFactory(name="Bread Book", price_cents=499)
        ProductFactory(name="Cake Book")

        response = admin_client.get(reverse("admin:products_product_changelist"), {"q": "bread"})

        body = response.content.decode()
        assert response.status_code == 200
        assert "Bread Book" in body
        assert "$4.99" in body
        assert "Cake Book" not in body
        assert "By created" in body  # the date filter

    def test_change_page_opens(self, admin_client):
        product = ProductFactory()

        response = admin_client.get(reverse("admin:products_product_change", args=[product.pk]))

        assert response.status_code == 200

    def test_adding_a_product_applies_the_sites_picture_rules(self, admin_client, store):
        fake = SimpleUploadedFile("evil.png", b"<script>alert(1)</script>")

        response = admin_client.post(
            reverse("admin:products_product_add"),
            {
                "name": "Admin Product",
                "description": "Made by staff.",
                "price_cents": "500",
                "store": store.pk,
                "image": fake,
                "picture_url": "ftp://example.com/a.png",
            },
        )

        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert errors["image"] == ["Upload a JPEG, PNG, WebP or GIF image."]
        assert "picture_url" in errors
        assert not Product.objects.exists()

    def test_the_file_sold_shows_by_name_and_uploads_privately(self, admin_client, store, settings):
        shown = SellableProductFactory()
        page = admin_client.get(reverse("admin:products_product_change", args=[shown.pk]))

        response = admin_client.post(
            reverse("admin:products_product_add"),
            {
                "name": "Admin Product",
                "description": "Made by staff.",
                "price_cents": "500",
                "store": store.pk,
                "file": SimpleUploadedFile("Staff Notes.pdf", b"%PDF staff"),
            },
        )

        assert "Now selling <strong" in page.content.decode()
        assert "guide.pdf" in page.content.decode()
        assert response.status_code == 302
        product = Product.objects.get(name="Admin Product")
        assert product.file_name == "Staff Notes.pdf"
        assert (settings.PRIVATE_MEDIA_ROOT / product.file.name).read_bytes() == b"%PDF staff"
