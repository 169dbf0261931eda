import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from products.models import Product
from tests.factories import (
    OrderFactory,
    ProductFactory,
    SellableProductFactory,
    UserFactory,
)
from tests.products.test_images import GENERATED_NAME, image_bytes


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

    def test_shows_but_cannot_set_the_confirmed_email(self, admin_client):
        user = UserFactory(email="ann@example.com", confirmed=True)
        url = reverse("admin:accounts_user_change", args=[user.pk])

        body = admin_client.get(url).content.decode()
        listing = admin_client.get(reverse("admin:accounts_user_changelist")).content.decode()

        assert "Email confirmation" in body
        assert 'name="confirmed_email"' not in body
        assert "column-email_confirmed" in listing

    def test_a_user_added_here_is_unconfirmed_and_gets_no_email(self, admin_client, mailoutbox):
        admin_client.post(
            reverse("admin:accounts_user_add"),
            {
                "email": "new@example.com",
                "usable_password": "true",
                "password1": "a-Str0ng-passphrase",
                "password2": "a-Str0ng-passphrase",
            },
        )

        assert not User.objects.get(email="new@example.com").email_confirmed
        assert mailoutbox == []

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

    def test_the_change_page_shows_the_picture_not_its_storage_path(self, admin_client, store):
        picture = SimpleUploadedFile("cover.png", image_bytes(), content_type="image/png")
        admin_client.post(
            reverse("admin:products_product_add"),
            {
                "name": "Pictured",
                "description": "A cover.",
                "price_cents": "500",
                "status": "published",
                "store": store.pk,
                "image": picture,
            },
        )
        product = Product.objects.get(name="Pictured")

        body = admin_client.get(
            reverse("admin:products_product_change", args=[product.pk])
        ).content.decode()

        assert f'<img src="{product.image.url}" alt="The current picture"' in body
        assert "Currently:" not in body
        assert 'name="image-clear"' in body

    def test_deleting_a_bought_product_archives_it_and_keeps_the_file(self, admin_client):
        bought, unsold = SellableProductFactory(name="Bought"), SellableProductFactory()
        order = OrderFactory(product=bought)

        response = admin_client.post(
            reverse("admin:products_product_delete", args=[bought.pk]), {"post": "yes"}, follow=True
        )

        bought.refresh_from_db()
        assert bought.status == Product.Status.ARCHIVED
        assert order.download_refusal() is None
        assert "Archived, not deleted, as people bought them: Bought." in response.content.decode()
        admin_client.post(
            reverse("admin:products_product_changelist"),
            {"action": "delete_selected", "_selected_action": [unsold.pk], "post": "yes"},
        )
        assert not Product.objects.filter(pk=unsold.pk).exists()

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
                "status": "published",
                "store": store.pk,
                "file": SimpleUploadedFile("Staff Notes.pdf", b"%PDF staff"),
            },
        )

        assert '<div class="readonly">guide.pdf</div>' in page.content.decode()
        assert response.status_code == 302
        product = Product.objects.get(name="Admin Product")
        assert product.file_name == "Staff Notes.pdf"
        assert (settings.PRIVATE_MEDIA_ROOT / product.file.name).read_bytes() == b"%PDF staff"

    def test_the_admin_caps_descriptions_and_re_encodes_pictures(self, admin_client, store):
        data = {
            "name": "Admin Product",
            "description": "x" * 5001,
            "price_cents": "500",
            "status": "published",
            "store": store.pk,
        }
        url = reverse("admin:products_product_add")

        response = admin_client.post(url, data)

        assert "description" in response.context["adminform"].form.errors
        assert not Product.objects.exists()

        upload = SimpleUploadedFile("staff photo.png", image_bytes())
        response = admin_client.post(
            url, {**data, "description": "Made by staff.", "image": upload}
        )

        assert response.status_code == 302
        assert GENERATED_NAME.fullmatch(Product.objects.get().image.name)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"created_at__year": "99999999999"},
        {"created_at__year": "9999"},
        {"created_at__year": "9999", "created_at__month": "12", "created_at__day": "31"},
        {"created_at__year": "-5"},
    ],
)
def test_a_date_filter_past_the_calendar_is_a_bad_filter_not_a_500(admin_client, query):
    ProductFactory()

    response = admin_client.get(reverse("admin:products_product_changelist"), query)

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        (
            "admin:autocomplete",
            {"app_label": "products", "model_name": "product", "field_name": "store"}
            | {"term": "a\0b"},
        ),
        ("admin:products_product_changelist", {"q": "\0"}),
        ("admin:stores_store_changelist", {"q": "shop\0"}),
        ("admin:accounts_user_changelist", {"q": "\0"}),
        ("admin:axes_accessattempt_changelist", {"q": "\0"}),
    ],
)
def test_a_search_with_a_nul_character_is_a_bad_request_not_a_500(admin_client, url_name, query):
    response = admin_client.get(reverse(url_name), query)

    assert response.status_code == 400


@pytest.mark.django_db
def test_the_admin_refuses_a_password_of_only_spaces(admin_client):
    blank = "\u3000" * 12

    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {"email": "new@example.com", "usable_password": "true", "password1": blank}
        | {"password2": blank},
    )

    assert response.status_code == 200
    assert "Choose a password with more than spaces in it." in response.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()
