"""Every sign-up and email change sends a link that confirms the address: signed, once,
for EMAIL_CONFIRM_MAX_AGE seconds; opening it shows a button, only the button confirms,
and nobody is logged in by it."""

import re
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import CONFIRMATION_SALT, User
from accounts.services import (
    CONFIRMATION_RESEND_SECONDS,
    email_confirmation_resend,
    user_email_confirm,
)
from accounts.signals import email_confirmed
from accounts.tasks import email_confirmation_send
from tests.factories import PASSWORD, UserFactory
from tests.site.test_pages import settings_with
from tests.utils import messages_of, signup_data

SIGNUP_URL = reverse("stores:signup")
SETTINGS_URL = reverse("accounts:settings")
RESEND_URL = reverse("accounts:email_confirmation_resend")
CONFIRM_LINK = re.compile(r"https://yumroad\.example\.com(/accounts/confirm-email/[^/\s]+/)")
BANNER = "Check your email to confirm your address."


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://yumroad.example.com"


def links_sent_to(address):
    """The confirmation links emailed to `address`, oldest first (their paths)."""
    return [
        CONFIRM_LINK.search(email.body).group(1)
        for email in mail.outbox
        if email.to == [address] and email.subject == "Confirm your Yumroad email"
    ]


def unconfirmed_user(**fields):
    """An account with a confirmation link sent, as sign-up leaves it."""
    return UserFactory(email_confirmation_sent_at=timezone.now(), **fields)


def link_made_ago(monkeypatch, user, seconds):
    """`user`'s confirmation link, as signed `seconds` ago."""
    signed_at = time.time() - seconds
    with monkeypatch.context() as clock:
        clock.setattr(signing.time, "time", lambda: signed_at)
        return user.email_confirmation_url


@pytest.fixture
def signed_up(client, django_capture_on_commit_callbacks):
    """A client that just signed up as new@example.com (logged in), and the account."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP_URL, signup_data(), follow=True)
    assert messages_of(response) == ["Registered successfully."]
    return client, User.objects.get(email="new@example.com")


@pytest.mark.django_db
class TestTheLinkSentAtSignUp:
    def test_is_emailed_once_the_sign_up_commits(self, client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post(SIGNUP_URL, signup_data())
        assert mail.outbox == []

        for callback in callbacks:  # the commit
            callback()

        [email] = mail.outbox
        assert email.subject == "Confirm your Yumroad email"
        assert email.to == ["new@example.com"]
        assert "It works once, for 3 days." in email.body
        html, mimetype = email.alternatives[0]
        assert mimetype == "text/html"
        assert f'href="https://yumroad.example.com{links_sent_to("new@example.com")[0]}"' in html

    def test_the_new_account_is_unconfirmed_and_its_pages_say_so(self, signed_up):
        client, user = signed_up

        assert not user.email_confirmed
        page = client.get(reverse("products:index"))
        assert BANNER in page.content.decode()
        settings_page = client.get(SETTINGS_URL).content.decode()
        assert "Your email is not confirmed yet" in settings_page
        assert "Resend the link" in settings_page

    def test_an_unconfirmed_account_logs_in_and_uses_the_site(self, client):
        unconfirmed_user(email="ann@example.com")

        response = client.post(
            reverse("accounts:login"), {"email": "ann@example.com", "password": PASSWORD}
        )

        assert response.status_code == 302
        assert get_user(client).is_authenticated
        assert client.get(reverse("orders:library")).status_code == 200

    def test_opening_it_shows_a_button_and_confirms_nothing(self, signed_up):
        client, user = signed_up
        [link] = links_sent_to(user.email)

        page = client.get(link)

        assert page.status_code == 200
        body = page.content.decode()
        assert "Confirm that <strong>new@example.com</strong> is your email" in body
        assert '<form method="post" novalidate>' in body  # to the link itself
        assert ">Confirm my email</button>" in body
        assert not User.objects.get(pk=user.pk).email_confirmed
        assert "no-cache" in page["Cache-Control"]

    def test_its_button_confirms_and_the_member_lands_in_their_library(self, signed_up):
        client, user = signed_up
        [link] = links_sent_to(user.email)

        response = client.post(link, follow=True)

        assert response.redirect_chain == [(reverse("orders:library"), 302)]
        assert messages_of(response) == [
            "Thank you: new@example.com is confirmed. Anything you bought with it as a guest "
            "is now in your library."
        ]
        assert User.objects.get(pk=user.pk).email_confirmed
        assert BANNER not in response.content.decode()
        assert "Your email is confirmed." in client.get(SETTINGS_URL).content.decode()

    def test_it_logs_no_one_in_and_asks_to_log_in_first(self, client):
        user = unconfirmed_user(email="ann@example.com")
        link = user.email_confirmation_url

        response = client.post(link)

        login = reverse("accounts:login")
        assert response["Location"] == f"{login}?next={quote(link)}"
        assert not get_user(client).is_authenticated
        assert not User.objects.get(pk=user.pk).email_confirmed

    def test_someone_else_logged_in_confirms_nothing(self, client):
        # Whoever opened an account with someone else's address gets no orders of it
        # when its owner, logged in as themselves, clicks the link.
        user = unconfirmed_user(email="ann@example.com")
        client.force_login(UserFactory(email="bob@example.com"))

        for response in (
            client.get(user.email_confirmation_url),
            client.post(user.email_confirmation_url),
        ):
            assert response.status_code == 403
            assert "This link is for another account" in response.content.decode()
        assert not User.objects.get(pk=user.pk).email_confirmed


@pytest.mark.django_db
class TestALinkWorksOnce:
    def test_a_second_use_answers_that_it_was_used(self, client):
        user = unconfirmed_user()
        link = user.email_confirmation_url
        client.force_login(user)
        assert client.post(link).status_code == 302
        client.logout()  # a used link says so to anyone

        for again in (client.get(link), client.post(link)):
            assert again.status_code == 410
            assert "This link has already been used" in again.content.decode()

    def test_two_clicks_at_once_confirm_once(self):
        user = unconfirmed_user()
        confirmations = []

        def heard(user, **kwargs):
            confirmations.append(user.pk)

        email_confirmed.connect(heard)
        try:
            # Both requests loaded the account before either confirmed it.
            first, second = User.objects.get(pk=user.pk), User.objects.get(pk=user.pk)
            assert user_email_confirm(user=first) is True
            assert user_email_confirm(user=second) is False
        finally:
            email_confirmed.disconnect(heard)
        assert confirmations == [user.pk]

    def test_a_click_that_loses_the_race_says_the_link_was_used(self, client, monkeypatch):
        user = unconfirmed_user()
        link = user.email_confirmation_url
        # The other click confirms between this one's check and its update.
        real_of_link = User.of_confirmation_link
        calls = []

        def of_link_then_confirmed_elsewhere(token):
            found = real_of_link(token)
            if not calls:
                User.objects.filter(pk=user.pk).update(confirmed_email=user.email)
            calls.append(token)
            return found

        monkeypatch.setattr(User, "of_confirmation_link", of_link_then_confirmed_elsewhere)
        client.force_login(user)

        response = client.post(link)

        assert response.status_code == 410
        assert "This link has already been used" in response.content.decode()

    def test_an_expired_link_says_so_and_points_to_a_new_one(self, client, settings, monkeypatch):
        user = unconfirmed_user()
        link = link_made_ago(monkeypatch, user, settings.EMAIL_CONFIRM_MAX_AGE + 1)

        for answer in (client.get(link), client.post(link)):
            assert answer.status_code == 410
            body = answer.content.decode()
            assert "This link has expired" in body
            assert f'href="{reverse("accounts:login")}?next={SETTINGS_URL}"' in body
        assert not User.objects.get(pk=user.pk).email_confirmed

    def test_a_link_just_within_its_age_works(self, client, settings, monkeypatch):
        settings.EMAIL_CONFIRM_MAX_AGE = 3600
        user = unconfirmed_user()
        link = link_made_ago(monkeypatch, user, 3590)
        client.force_login(user)

        assert client.post(link).status_code == 302
        assert User.objects.get(pk=user.pk).email_confirmed

    def test_an_expired_link_offers_the_settings_to_its_member(self, client, settings, monkeypatch):
        user = unconfirmed_user()
        client.force_login(user)

        link = link_made_ago(monkeypatch, user, settings.EMAIL_CONFIRM_MAX_AGE + 1)
        body = client.get(link).content
        assert f'href="{SETTINGS_URL}">Go to your settings' in body.decode()

    def test_a_link_for_an_email_changed_since_is_no_longer_valid(self, client):
        user = unconfirmed_user(email="old@example.com")
        link = user.email_confirmation_url
        User.objects.filter(pk=user.pk).update(email="new@example.com")

        response = client.post(link)

        assert response.status_code == 410
        assert "This link is no longer valid" in response.content.decode()
        assert not User.objects.get(pk=user.pk).email_confirmed

    def test_changing_the_email_back_does_not_revive_an_old_link(
        self, client, django_capture_on_commit_callbacks
    ):
        user = unconfirmed_user(email="ann@example.com")
        old_link = user.email_confirmation_url
        client.force_login(user)
        for email in ("bob@example.com", "ann@example.com"):
            with django_capture_on_commit_callbacks(execute=True):
                client.post(
                    reverse("accounts:email_change"), {"email": email, "password": PASSWORD}
                )

        response = client.post(old_link)

        assert response.status_code == 410
        assert "This link is no longer valid" in response.content.decode()
        [fresh_link] = links_sent_to("ann@example.com")
        assert client.post(fresh_link).status_code == 302
        assert User.objects.get(pk=user.pk).email_confirmed

    @pytest.mark.parametrize(
        "token",
        [
            "nonsense",
            "a" * 5000,
            "\x00",
            "%00",
            "é:é:é",
            signing.dumps([1, "ann@example.com", 0], salt="another.salt"),
        ],
    )
    def test_a_forged_link_is_not_valid_and_never_a_500(self, client, token):
        UserFactory(email="ann@example.com")

        url = f"/accounts/confirm-email/{token}/"
        for answer in (client.get(url), client.post(url)):
            assert answer.status_code in (400, 404)
        assert not User.objects.filter(confirmed_email="ann@example.com").exists()

    def test_a_signed_link_of_a_deleted_account_is_not_valid(self, client):
        user = unconfirmed_user()
        link = user.email_confirmation_url
        user.delete()

        response = client.get(link)

        assert response.status_code == 404
        assert "This link is not valid" in response.content.decode()

    def test_a_link_is_signed_for_this_purpose_only(self):
        user = unconfirmed_user()
        token = user.email_confirmation_url.split("/")[-2]

        assert signing.loads(token, salt=CONFIRMATION_SALT)[:2] == [user.pk, user.email]
        with pytest.raises(signing.BadSignature):
            signing.loads(token, salt="orders.download")


@pytest.mark.django_db
class TestResend:
    def test_sends_a_new_link_that_retires_the_older_ones(
        self, client, django_capture_on_commit_callbacks
    ):
        sent_long_ago = timezone.now() - timedelta(seconds=CONFIRMATION_RESEND_SECONDS + 1)
        user = UserFactory(email="ann@example.com", email_confirmation_sent_at=sent_long_ago)
        old_link = user.email_confirmation_url
        client.force_login(user)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(RESEND_URL, follow=True)

        assert response.redirect_chain == [(SETTINGS_URL, 302)]
        assert messages_of(response) == [
            "We sent a new link to ann@example.com: open it to confirm."
        ]
        [new_link] = links_sent_to("ann@example.com")
        assert client.post(old_link).status_code == 410
        assert client.post(new_link).status_code == 302

    def test_an_account_never_sent_a_link_can_ask_for_one(
        self, client, django_capture_on_commit_callbacks
    ):
        # Accounts made before confirmation existed, or with createsuperuser.
        user = UserFactory(email="ann@example.com", email_confirmation_sent_at=None)
        client.force_login(user)

        with django_capture_on_commit_callbacks(execute=True):
            client.post(RESEND_URL)

        assert len(links_sent_to("ann@example.com")) == 1

    def test_waits_ten_minutes_counting_the_last_link(
        self, client, django_capture_on_commit_callbacks
    ):
        sent_at = timezone.now() - timedelta(seconds=CONFIRMATION_RESEND_SECONDS - 125)
        user = UserFactory(email="ann@example.com", email_confirmation_sent_at=sent_at)
        client.force_login(user)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(RESEND_URL, follow=True)

        assert messages_of(response) == [
            "We sent a link a few minutes ago. You can ask again in 3 minutes."
        ]
        assert mail.outbox == []
        assert User.objects.get(pk=user.pk).email_confirmation_sent_at == sent_at

    def test_right_after_sign_up_it_waits_for_the_first_link(self, signed_up):
        client, _ = signed_up
        mail.outbox.clear()

        response = client.post(RESEND_URL, follow=True)

        assert messages_of(response) == [
            "We sent a link a few minutes ago. You can ask again in 10 minutes."
        ]
        assert mail.outbox == []

    def test_two_at_once_send_one(self, django_capture_on_commit_callbacks):
        sent_long_ago = timezone.now() - timedelta(hours=1)
        user = UserFactory(email="ann@example.com", email_confirmation_sent_at=sent_long_ago)
        # Both requests loaded the account before either sent.
        first, second = User.objects.get(pk=user.pk), User.objects.get(pk=user.pk)

        with django_capture_on_commit_callbacks(execute=True):
            first_answer = email_confirmation_resend(user=first)
            second_answer = email_confirmation_resend(user=second)

        assert first_answer is None
        assert second_answer is not None
        assert len(links_sent_to("ann@example.com")) == 1

    def test_a_confirmed_account_is_told_so(self, client):
        user = UserFactory(confirmed=True)
        client.force_login(user)

        response = client.post(RESEND_URL, follow=True)

        assert messages_of(response) == ["Your email is confirmed already."]
        assert mail.outbox == []
        assert "Resend the link" not in response.content.decode()

    def test_a_get_goes_to_the_settings_and_a_visitor_to_log_in(self, client):
        assert client.get(RESEND_URL)["Location"].startswith(reverse("accounts:login"))
        client.force_login(UserFactory())
        assert client.get(RESEND_URL)["Location"] == SETTINGS_URL


@pytest.mark.django_db
class TestEmailChange:
    def test_sends_a_link_to_the_new_address_and_unconfirms_the_account(
        self, client, django_capture_on_commit_callbacks
    ):
        user = UserFactory(email="ann@example.com", confirmed=True)
        client.force_login(user)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("accounts:email_change"),
                {"email": "Ann.New@Example.com", "password": PASSWORD},
                follow=True,
            )

        assert messages_of(response) == [
            "Your email is now ann.new@example.com. We told your old address, and sent a "
            "link to the new one: open it to confirm your address."
        ]
        changed = User.objects.get(pk=user.pk)
        assert not changed.email_confirmed
        assert BANNER in response.content.decode()
        [link] = links_sent_to("ann.new@example.com")
        assert client.post(link).status_code == 302
        assert User.objects.get(pk=user.pk).email_confirmed

    def test_an_email_changed_in_the_admin_is_unconfirmed(self):
        user = UserFactory(email="ann@example.com", confirmed=True)

        user.email = "bob@example.com"
        user.save()

        assert not User.objects.get(pk=user.pk).email_confirmed

    def test_a_link_queued_for_an_old_address_is_not_sent(self):
        user = unconfirmed_user(email="ann@example.com")
        User.objects.filter(pk=user.pk).update(email="bob@example.com")

        email_confirmation_send.call(user.pk, "ann@example.com")

        assert mail.outbox == []


@pytest.mark.django_db
def test_createsuperuser_and_the_admin_make_unconfirmed_accounts():
    admin = User.objects.create_superuser("root@example.com", PASSWORD)
    user = User.objects.create_user("ann@example.com", PASSWORD)

    assert not admin.email_confirmed
    assert not user.email_confirmed
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "259200"), ("3600", "3600"), (" 60 ", "60")]
)
def test_email_confirm_max_age_comes_from_the_environment(value, expected):
    environment = {} if value is None else {"EMAIL_CONFIRM_MAX_AGE": value}

    returncode, output, stderr = settings_with(environment, "settings.EMAIL_CONFIRM_MAX_AGE")

    assert returncode == 0, stderr
    assert output == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3 days", "EMAIL_CONFIRM_MAX_AGE must be a whole number"),
        ("-5", "EMAIL_CONFIRM_MAX_AGE must be a whole number"),
        ("59", "EMAIL_CONFIRM_MAX_AGE must be 60 or more."),
    ],
)
def test_a_bad_email_confirm_max_age_stops_the_start(value, message):
    returncode, _, stderr = settings_with({"EMAIL_CONFIRM_MAX_AGE": value}, "settings.DEBUG")

    assert returncode != 0
    assert message in stderr


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(token=st.text(min_size=1) | st.binary(min_size=1).map(lambda raw: raw.decode("latin-1")))
def test_a_link_of_any_text_answers_without_a_500_and_confirms_nothing(client, token):
    UserFactory(email="ann@example.com", email_confirmation_sent_at=timezone.now())
    url = f"/accounts/confirm-email/{quote(token, safe='')}/"

    for answer in (client.get(url), client.post(url)):
        assert answer.status_code in (400, 404)
    assert not User.objects.filter(confirmed_email="ann@example.com").exists()
    User.objects.all().delete()
