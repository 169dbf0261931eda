import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.forms import EmailChangeForm
from accounts.models import EMAIL_LOCAL_PART_MESSAGE, User
from tests.factories import PASSWORD, UserFactory
from tests.utils import messages_of

SETTINGS_URL = reverse("accounts:settings")
PASSWORD_URL = reverse("accounts:password_change")
EMAIL_URL = reverse("accounts:email_change")
NEW_PASSWORD = "a-brand-new-Passphrase-7"


def change_password(client, old=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        PASSWORD_URL,
        {"old_password": old, "new_password1": new, "new_password2": confirm or new},
    )


@pytest.mark.django_db
class TestSettingsPage:
    def test_shows_both_forms_and_is_linked_from_the_email_in_the_navigation(
        self, auth_client, user
    ):
        body = auth_client.get(SETTINGS_URL).content.decode()

        assert f'action="{PASSWORD_URL}"' in body
        assert f'action="{EMAIL_URL}"' in body
        assert 'name="old_password"' in body
        assert f'value="{user.email}"' not in body
        assert f'href="{SETTINGS_URL}" title="Account settings">{user.email}</a>' in body

    def test_the_forms_addresses_lead_back_to_the_page_on_get(self, auth_client):
        assert auth_client.get(PASSWORD_URL)["Location"] == SETTINGS_URL
        assert auth_client.get(EMAIL_URL)["Location"] == SETTINGS_URL


@pytest.mark.django_db
class TestChangePassword:
    def test_changes_it_and_keeps_this_session(self, auth_client, user):
        response = change_password(auth_client)

        assert response.status_code == 302
        assert response["Location"] == SETTINGS_URL
        user.refresh_from_db()
        assert user.check_password(NEW_PASSWORD)
        assert get_user(auth_client).pk == user.pk
        follow = auth_client.get(SETTINGS_URL)
        assert "Your password is changed. Your other sessions are logged out." in messages_of(
            follow
        )

    def test_ends_the_other_sessions(self, auth_client, user):
        other_device = Client()
        other_device.force_login(user)

        change_password(auth_client)

        assert not get_user(other_device).is_authenticated
        assert other_device.get(SETTINGS_URL).status_code == 302

    def test_needs_the_current_password(self, auth_client, user):
        response = change_password(auth_client, old="not-my-password")

        assert response.status_code == 400
        assert response.context["password_form"].errors["old_password"]
        assert 'role="alert"' in response.content.decode()
        user.refresh_from_db()
        assert user.check_password(PASSWORD)

    def test_applies_the_password_validators(self, auth_client, user):
        response = change_password(auth_client, new="password")

        assert response.status_code == 400
        assert "too common" in " ".join(response.context["password_form"].errors["new_password2"])

    @pytest.mark.parametrize("value", ["\x00" * 3, "x" * 10_000])
    def test_hostile_input_is_a_400_not_a_500(self, auth_client, user, value):
        response = change_password(auth_client, old=value, new=value)

        assert response.status_code == 400
        user.refresh_from_db()
        assert user.check_password(PASSWORD)


@pytest.mark.django_db
class TestChangeEmail:
    def change(self, client, email, password=PASSWORD, callbacks=None):
        return client.post(EMAIL_URL, {"email": email, "password": password})

    def test_changes_it_tells_the_old_address_and_asks_the_new_one_to_confirm(
        self, auth_client, user, django_capture_on_commit_callbacks
    ):
        old_email = user.email

        with django_capture_on_commit_callbacks(execute=True):
            response = self.change(auth_client, "New.Me@Example.com")

        assert response["Location"] == SETTINGS_URL
        user.refresh_from_db()
        assert user.email == "new.me@example.com"
        assert get_user(auth_client).pk == user.pk
        notice, confirmation = mail.outbox
        assert notice.to == [old_email]
        assert notice.subject == "Your Yumroad email was changed"
        assert "to new.me@example.com" in notice.body
        assert confirmation.to == ["new.me@example.com"]
        assert confirmation.subject == "Confirm your Yumroad email"
        follow = auth_client.get(SETTINGS_URL)
        assert messages_of(follow) == [
            "Your email is now new.me@example.com. We told your old address, and sent a link "
            "to the new one: open it to confirm your address."
        ]

    def test_the_new_email_logs_in(self, auth_client, user):
        self.change(auth_client, "moved@example.com")
        client = Client()

        response = client.post(
            reverse("accounts:login"), {"email": "moved@example.com", "password": PASSWORD}
        )

        assert response.status_code == 302

    def test_needs_the_current_password(self, auth_client, user):
        response = self.change(auth_client, "moved@example.com", password="wrong")

        assert response.status_code == 400
        assert response.context["email_form"].errors["password"] == [
            "Your current password was entered incorrectly."
        ]
        user.refresh_from_db()
        assert user.email != "moved@example.com"
        # The navigation still shows the email the account has.
        assert "moved@example.com</a>" not in response.content.decode()

    @pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@Example.COM"])
    def test_an_email_of_another_account_in_any_case_is_refused(self, auth_client, user, email):
        UserFactory(email="taken@example.com")

        response = self.change(auth_client, email)

        assert response.status_code == 400
        assert response.context["email_form"].errors["email"] == [
            "That email already has an account."
        ]
        assert mail.outbox == []

    def test_the_same_email_is_refused(self, auth_client, user):
        response = self.change(auth_client, user.email.upper())

        assert response.context["email_form"].errors["email"] == ["That is already your email."]

    def test_a_lost_race_for_the_email_is_a_form_error(self, auth_client, user, monkeypatch):
        # The other account commits between the form's checks and our update.
        UserFactory(email="race@example.com")
        monkeypatch.setattr(EmailChangeForm, "validate_unique", lambda form: None)
        monkeypatch.setattr(User, "validate_constraints", lambda user, exclude=None: None)

        response = self.change(auth_client, "race@example.com")

        assert response.status_code == 400
        assert response.context["email_form"].errors["email"] == [
            "That email already has an account."
        ]
        user.refresh_from_db()
        assert user.email != "race@example.com"

    @pytest.mark.parametrize("email", ["a" * 10_000 + "@example.com", "ann\u202e@example.com"])
    def test_hostile_emails_are_a_400_not_a_500(self, auth_client, user, email):
        response = self.change(auth_client, email)

        assert response.status_code == 400
        assert response.context["email_form"].errors["email"]


@pytest.mark.django_db
def test_no_notice_is_sent_for_an_account_deleted_before_the_task_ran(user):
    from accounts.tasks import email_changed_notice_send

    user_id = user.pk
    user.delete()

    email_changed_notice_send.call(user_id, "old@example.com")

    assert mail.outbox == []


FAILURE_LIMIT = 5  # AXES_FAILURE_LIMIT


def change_email(client, password, email="moved@example.com"):
    return client.post(EMAIL_URL, {"email": email, "password": password})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "attempt",
    [
        pytest.param(lambda client, password: change_password(client, old=password), id="password"),
        pytest.param(change_email, id="email"),
    ],
)
class TestGuessingTheCurrentPassword:
    """A stolen session can't guess the password: the settings forms count wrong
    current passwords as login does, with the same lockout."""

    def test_after_the_limit_even_the_right_password_gets_the_429_page(
        self, auth_client, user, attempt
    ):
        for _ in range(FAILURE_LIMIT - 1):
            assert attempt(auth_client, "wrong-guess").status_code == 400
        assert attempt(auth_client, "wrong-guess").status_code == 429

        response = attempt(auth_client, PASSWORD)

        assert response.status_code == 429
        assert "Too many failed logins" in response.content.decode()
        user.refresh_from_db()
        assert user.check_password(PASSWORD)
        assert user.email != "moved@example.com"

    def test_the_lockout_also_stops_logging_in(self, client, user, attempt):
        client.force_login(user)
        for _ in range(FAILURE_LIMIT):
            attempt(client, "wrong-guess")
        client.logout()

        response = client.post(
            reverse("accounts:login"), {"email": user.email, "password": PASSWORD}
        )

        assert response.status_code == 429
        assert not get_user(client).is_authenticated

    def test_the_right_password_resets_the_count(self, auth_client, user, attempt):
        original_email = user.email
        for _ in range(FAILURE_LIMIT - 1):
            attempt(auth_client, "wrong-guess")
        assert attempt(auth_client, PASSWORD).status_code == 302
        # Back as it was, so that the next guesses are for the same password and email.
        change_password(auth_client, old=NEW_PASSWORD, new=PASSWORD)
        change_email(auth_client, PASSWORD, email=original_email)

        for _ in range(FAILURE_LIMIT - 1):
            assert attempt(auth_client, "wrong-guess").status_code == 400
        user.refresh_from_db()
        assert (user.email, user.check_password(PASSWORD)) == (original_email, True)


@pytest.mark.django_db
def test_a_new_email_with_a_look_alike_letter_before_the_at_is_refused(auth_client, user):
    UserFactory(email="kim@example.com")

    response = change_email(auth_client, PASSWORD, email="k\u0131m@example.com")

    assert response.status_code == 400
    assert response.context["email_form"].errors["email"] == [EMAIL_LOCAL_PART_MESSAGE]
    user.refresh_from_db()
    assert user.email != "k\u0131m@example.com"


@pytest.mark.django_db
def test_a_new_email_may_have_an_international_domain(auth_client, user):
    response = change_email(auth_client, PASSWORD, email="kim@b\u00fccher.example")

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "kim@b\u00fccher.example"
