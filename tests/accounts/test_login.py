import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user
from django.urls import reverse

from tests.factories import UserFactory
from tests.utils import long_email, messages_of

LOGIN_URL = reverse("accounts:login")
LOGOUT_URL = reverse("accounts:logout")
PRODUCTS_URL = reverse("products:index")


@pytest.mark.django_db
class TestLogin:
    def test_page_shows_the_form_and_a_sign_up_link(self, client):
        response = client.get(LOGIN_URL)

        body = response.content.decode()
        assert response.status_code == 200
        assert 'name="email"' in body
        assert 'name="password"' in body
        assert f'href="{reverse("stores:signup")}"' in body

    def test_logs_in_and_a_buyer_lands_in_the_library(self, client, user, password):
        response = client.post(LOGIN_URL, {"email": user.email, "password": password}, follow=True)

        assert response.redirect_chain == [(reverse("orders:library"), 302)]
        assert "Logged in successfully." in messages_of(response)
        assert get_user(client).pk == user.pk

    def test_any_letter_case_of_the_email_logs_in(self, client, password):
        user = UserFactory(email="ann@example.com")

        client.post(LOGIN_URL, {"email": "Ann@Example.COM", "password": password})

        assert get_user(client).pk == user.pk

    def test_wrong_password_and_unknown_email_get_the_same_message(self, client, user):
        wrong_password = client.post(LOGIN_URL, {"email": user.email, "password": "nope-nope"})
        unknown_email = client.post(
            LOGIN_URL, {"email": "nobody@example.com", "password": "nope-nope"}
        )

        for response in (wrong_password, unknown_email):
            assert response.status_code == 200
            assert response.context["form"].non_field_errors() == ["Invalid email or password."]
        assert not get_user(client).is_authenticated

    def test_an_inactive_account_cannot_log_in(self, client, password):
        user = UserFactory(is_active=False)

        response = client.post(LOGIN_URL, {"email": user.email, "password": password})

        assert response.context["form"].non_field_errors() == ["Invalid email or password."]
        assert not get_user(client).is_authenticated

    def test_missing_fields_are_reported(self, client):
        response = client.post(LOGIN_URL, {})

        assert response.status_code == 200
        assert set(response.context["form"].errors) == {"email", "password"}

    def test_logged_in_user_is_sent_to_the_products(self, auth_client):
        response = auth_client.get(LOGIN_URL, follow=True)

        assert response.redirect_chain == [(PRODUCTS_URL, 302)]
        assert "You are already logged in." in messages_of(response)


@pytest.mark.django_db
class TestLogout:
    def test_post_logs_out_and_lands_on_the_products(self, auth_client):
        response = auth_client.post(LOGOUT_URL, follow=True)

        assert response.redirect_chain == [(PRODUCTS_URL, 302)]
        assert "You are logged out." in messages_of(response)
        assert not get_user(auth_client).is_authenticated

    def test_logout_refuses_get(self, auth_client):
        response = auth_client.get(LOGOUT_URL)

        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert get_user(auth_client).is_authenticated
        # ... and offers the button instead of a blank error.
        assert "Log out of Yumroad?" in response.content.decode()

    def test_logout_requires_a_csrf_token(self, user):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(user)

        response = client.post(LOGOUT_URL)

        assert response.status_code == 403
        assert get_user(client).is_authenticated

    def test_navigation_shows_a_log_out_button_in_a_post_form(self, auth_client, user):
        body = auth_client.get(PRODUCTS_URL).content.decode()

        assert f'<form method="post" action="{LOGOUT_URL}">' in body
        assert user.email in body
        assert "Log in" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("length", [255, 300, 320])
def test_login_refuses_an_email_over_254_characters_with_a_message(client, length):
    email = long_email(length)

    response = client.post(LOGIN_URL, {"email": email, "password": "wrong-guess"})

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "An email address has at most 254 characters."
    ]
    assert not AccessAttempt.objects.exists()
