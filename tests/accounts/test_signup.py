import pytest
from django.contrib.auth import get_user
from django.core.validators import validate_email
from django.urls import reverse

from accounts.models import EMAIL_LOCAL_PART_MESSAGE, User
from stores.forms import SignupForm
from tests.factories import UserFactory
from tests.utils import long_email, messages_of, signup_data

SIGNUP_URL = reverse("stores:signup")


@pytest.mark.django_db
class TestSignup:
    def test_page_shows_the_form(self, client):
        response = client.get(SIGNUP_URL)
        assert response.status_code == 200
        for field in ("email", "password", "confirm"):
            assert f'name="{field}"' in response.content.decode()

    def test_creates_the_user_logs_in_and_lands_on_the_library(self, client):
        response = client.post(SIGNUP_URL, signup_data(email="New@Example.com"), follow=True)

        assert response.redirect_chain == [(reverse("orders:library"), 302)]
        assert "Registered successfully." in messages_of(response)
        user = User.objects.get()
        assert user.email == "new@example.com"
        assert user.check_password("a-Str0ng-passphrase")
        assert get_user(client).pk == user.pk

    def test_passwords_must_match(self, client):
        response = client.post(SIGNUP_URL, signup_data(confirm="something-else-1"))

        assert response.status_code == 200
        assert response.context["form"].errors["confirm"] == ["Passwords must match."]
        assert not User.objects.exists()

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("new@example.com1", "too similar to the email"),
            ("sh0rt!", "at least 8 characters"),
            ("password123", "too common"),
            ("8675309112358", "entirely numeric"),
        ],
    )
    def test_applies_the_standard_password_validators(self, client, password, message):
        response = client.post(SIGNUP_URL, signup_data(password=password, confirm=password))

        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["password"])
        assert not User.objects.exists()

    def test_an_email_that_lower_casing_makes_too_long_is_refused(self, client):
        # A valid address of 254 characters as typed; "İ".lower() is two characters, so
        # it would be 274 as stored, past the column's 254.
        email = "ann@" + "İ" * 20 + "." + ("a" * 60 + ".") * 3 + "a" * 46
        assert len(email) == 254
        validate_email(email)

        response = client.post(SIGNUP_URL, signup_data(email=email))

        assert response.status_code == 200
        assert "email" in response.context["form"].errors
        assert not User.objects.exists()

    @pytest.mark.parametrize("email", ["", "not-an-email", "ann@"])
    def test_refuses_an_invalid_email(self, client, email):
        response = client.post(SIGNUP_URL, signup_data(email=email))

        assert response.status_code == 200
        assert "email" in response.context["form"].errors
        assert not User.objects.exists()

    @pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@Example.com"])
    def test_refuses_an_email_that_has_an_account_in_any_case(self, client, email):
        UserFactory(email="taken@example.com")

        response = client.post(SIGNUP_URL, signup_data(email=email))

        assert response.status_code == 200
        assert response.context["form"].errors["email"] == ["That email already has an account."]
        assert response.context["form"].non_field_errors() == []
        assert response.content.decode().count("That email already has an account.") == 1
        assert User.objects.count() == 1

    def test_a_lost_race_for_the_email_is_a_form_error_not_a_500(self, client, monkeypatch):
        # The racing sign-up commits between our form's checks and our insert: the
        # checks see no account, so only the database constraint stands in the way.
        UserFactory(email="race@example.com")
        monkeypatch.setattr(SignupForm, "validate_unique", lambda form: None)
        monkeypatch.setattr(User, "validate_constraints", lambda user, exclude=None: None)

        response = client.post(SIGNUP_URL, signup_data(email="Race@example.com"))

        assert response.status_code == 200
        assert response.context["form"].errors["email"] == ["That email already has an account."]
        assert User.objects.count() == 1
        assert not get_user(client).is_authenticated

    def test_the_sign_up_page_is_never_cached(self, client):
        response = client.get(SIGNUP_URL)

        assert "no-cache" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]

    def test_logged_in_user_is_sent_to_the_products(self, auth_client):
        response = auth_client.get(SIGNUP_URL, follow=True)

        assert response.redirect_chain == [(reverse("products:index"), 302)]
        assert "You are already logged in." in messages_of(response)


@pytest.mark.django_db
@pytest.mark.parametrize("length", [255, 300, 320])
def test_sign_up_refuses_an_email_over_254_characters(client, length):
    email = long_email(length)
    validate_email(email)

    response = client.post(SIGNUP_URL, signup_data(email=email))

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "An email address has at most 254 characters."
    ]
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "password", [" " * 12, "\t" * 12, "\u00a0" * 12, "\u3000" * 12, " \t\u00a0\u3000" * 3]
)
def test_sign_up_refuses_a_password_of_only_spaces(client, password):
    response = client.post(SIGNUP_URL, signup_data(password=password, confirm=password))

    assert response.status_code == 200
    assert response.context["form"].errors["password"] == [
        "Choose a password with more than spaces in it."
    ]
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["k\u0131m@example.com", "\u017fam@example.com"])
def test_sign_up_refuses_a_look_alike_letter_before_the_at(client, email):
    # Dotless i (U+0131) and long s (U+017F) pass Django's check as i and s would.
    UserFactory(email="kim@example.com")

    response = client.post(SIGNUP_URL, signup_data(email=email))

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [EMAIL_LOCAL_PART_MESSAGE]
    assert User.objects.count() == 1
