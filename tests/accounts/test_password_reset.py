import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.urls import reverse

from tests.accounts.test_throttling import FAILURE_LIMIT, fail_logins
from tests.factories import UserFactory
from tests.utils import messages_of

RESET_URL = reverse("accounts:password_reset")
SENT_URL = reverse("accounts:password_reset_done")
LOGIN_URL = reverse("accounts:login")
NEW_PASSWORD = "a-brand-new-Passphrase-7"


def reset_link(email):
    """The path of the reset link in the email sent to `email`."""
    message = next(message for message in mail.outbox if message.to == [email])
    return re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)


def request_reset(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(RESET_URL, {"email": email})


def choose_password(client, link, password=NEW_PASSWORD):
    """Open the emailed link, then send the new password where it leads."""
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    return client.post(form_url, {"new_password1": password, "new_password2": password})


@pytest.mark.django_db
class TestPasswordReset:
    def test_the_log_in_page_links_to_it(self, client):
        body = client.get(LOGIN_URL).content.decode()

        assert f'<a href="{RESET_URL}">Forgot your password?</a>' in body

    def test_a_known_email_gets_one_link_and_the_same_page_as_an_unknown_one(
        self, client, django_capture_on_commit_callbacks, settings
    ):
        settings.SITE_URL = "https://yumroad.example.com"
        UserFactory(email="ann@example.com")

        known = request_reset(client, "Ann@Example.com", django_capture_on_commit_callbacks)
        unknown = request_reset(client, "nobody@example.com", django_capture_on_commit_callbacks)

        assert known.status_code == unknown.status_code == 302
        assert known["Location"] == unknown["Location"] == SENT_URL
        assert len(mail.outbox) == 1
        email = mail.outbox[0]
        assert email.to == ["ann@example.com"]
        assert email.subject == "Reset your Yumroad password"
        assert "https://yumroad.example.com/accounts/reset/" in email.body
        assert "works once, for 60 minutes" in email.body
        html, _ = email.alternatives[0]
        assert "Choose a new password</a>" in html

    def test_the_sent_page_does_not_say_whether_the_email_has_an_account(self, client):
        body = client.get(SENT_URL).content.decode()

        assert "If an account has that email, we sent it a link" in body

    def test_a_second_request_within_a_minute_sends_nothing_more(
        self, client, user, django_capture_on_commit_callbacks
    ):
        request_reset(client, user.email, django_capture_on_commit_callbacks)
        response = request_reset(client, user.email, django_capture_on_commit_callbacks)

        assert response["Location"] == SENT_URL
        assert len(mail.outbox) == 1

    def test_an_inactive_account_gets_no_link(self, client, django_capture_on_commit_callbacks):
        UserFactory(email="gone@example.com", is_active=False)

        request_reset(client, "gone@example.com", django_capture_on_commit_callbacks)

        assert mail.outbox == []

    def test_the_link_sets_a_new_password_that_logs_in(
        self, client, user, django_capture_on_commit_callbacks
    ):
        request_reset(client, user.email, django_capture_on_commit_callbacks)

        response = choose_password(client, reset_link(user.email))

        assert response.status_code == 302
        assert response["Location"] == LOGIN_URL
        user.refresh_from_db()
        assert user.check_password(NEW_PASSWORD)
        login = client.post(LOGIN_URL, {"email": user.email, "password": NEW_PASSWORD})
        assert login.status_code == 302
        assert get_user(client).pk == user.pk

    def test_says_the_password_is_reset(self, client, user, django_capture_on_commit_callbacks):
        request_reset(client, user.email, django_capture_on_commit_callbacks)

        choose_password(client, reset_link(user.email))

        response = client.get(LOGIN_URL)
        assert "Your password is reset. Log in with the new one." in messages_of(response)

    def test_a_link_works_once(self, client, user, django_capture_on_commit_callbacks):
        request_reset(client, user.email, django_capture_on_commit_callbacks)
        link = reset_link(user.email)
        choose_password(client, link)

        again = client.get(link, follow=True)

        assert "This link no longer works" in again.content.decode()
        assert not again.context["validlink"]

    def test_a_link_expires_after_an_hour(
        self, client, user, django_capture_on_commit_callbacks, monkeypatch
    ):
        request_reset(client, user.email, django_capture_on_commit_callbacks)
        link = reset_link(user.email)
        later = PasswordResetTokenGenerator()._now() + timedelta(minutes=61)
        monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)

        response = client.get(link, follow=True)

        assert "This link no longer works" in response.content.decode()
        assert "works once, for 60 minutes" in response.content.decode()
        user.refresh_from_db()
        assert not user.check_password(NEW_PASSWORD)

    def test_a_forged_link_does_not_work(self, client, user):
        response = client.get(
            reverse("accounts:password_reset_confirm", kwargs={"uidb64": "MQ", "token": "x-y"}),
            follow=True,
        )

        assert response.status_code == 200
        assert "This link no longer works" in response.content.decode()

    def test_a_weak_new_password_is_refused_with_a_400(
        self, client, user, django_capture_on_commit_callbacks
    ):
        request_reset(client, user.email, django_capture_on_commit_callbacks)

        response = choose_password(client, reset_link(user.email), password="password")

        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
        user.refresh_from_db()
        assert not user.check_password("password")

    def test_a_reset_clears_the_login_lockout_for_that_email(
        self, client, user, django_capture_on_commit_callbacks
    ):
        fail_logins(client, user.email, FAILURE_LIMIT)
        locked = client.post(
            LOGIN_URL, {"email": user.email, "password": "nope"}, REMOTE_ADDR="10.0.0.1"
        )
        assert locked.status_code == 429

        request_reset(client, user.email, django_capture_on_commit_callbacks)
        choose_password(client, reset_link(user.email))

        response = client.post(
            LOGIN_URL, {"email": user.email, "password": NEW_PASSWORD}, REMOTE_ADDR="10.0.0.1"
        )
        assert response.status_code == 302
        assert get_user(client).pk == user.pk

    @pytest.mark.parametrize("email", ["", "not-an-email", "a" * 10_000 + "@example.com"])
    def test_bad_input_gets_a_message_and_a_400(self, client, email):
        response = client.post(RESET_URL, {"email": email})

        assert response.status_code == 400
        assert response.context["form"].errors["email"]
        assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "uidb64",
    [
        "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",  # 999...9: past any integer column
        "AA",  # a NUL byte
        "LTE",  # -1
        "x" * 5000,
        "%E2%80%AE",
    ],
)
def test_a_hostile_link_is_the_no_longer_works_page(client, uidb64):
    response = client.get(f"/accounts/reset/{uidb64}/set-password/", follow=True)

    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()
