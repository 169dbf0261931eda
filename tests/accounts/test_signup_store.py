"""Sign up opens the user's store in the same transaction and welcomes them by email."""

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.urls import reverse

from accounts.models import User
from stores.models import Store
from tests import utils
from tests.factories import StoreFactory

SIGNUP_URL = reverse("stores:signup")


def signup_data(**overrides):
    return utils.signup_data(**{"store_name": "Crumb Club", **overrides})


@pytest.mark.django_db
class TestSignupOpensAStore:
    def test_creates_the_user_and_the_store_together(self, client):
        client.post(SIGNUP_URL, signup_data())

        store = Store.objects.get()
        assert store.owner == User.objects.get(email="new@example.com")
        assert store.name == "Crumb Club"
        assert store.slug == "crumb-club"

    def test_store_name_is_required(self, client):
        response = client.post(SIGNUP_URL, signup_data(store_name=""))

        assert response.context["form"].errors["store_name"] == ["This field is required."]
        assert not User.objects.exists()

    @pytest.mark.parametrize("store_name", ["abc", "  ab  ", "x" * 61])
    def test_a_store_name_outside_4_to_60_characters_saves_nothing(self, client, store_name):
        response = client.post(SIGNUP_URL, signup_data(store_name=store_name))

        assert response.context["form"].errors["store_name"] == [
            "Field must be between 4 and 60 characters long."
        ]
        assert not User.objects.exists()
        assert not Store.objects.exists()

    def test_a_store_name_cannot_smuggle_email_headers(self, client):
        response = client.post(
            SIGNUP_URL, signup_data(store_name="Evil\nBcc: everyone@example.com")
        )

        assert response.context["form"].errors["store_name"] == [
            "Use one line of letters, numbers, spaces and punctuation."
        ]
        assert not User.objects.exists()

    def test_a_store_name_cannot_reorder_the_text_around_it(self, client):
        response = client.post(SIGNUP_URL, signup_data(store_name="Shop \u202egpj.exe"))

        assert response.context["form"].errors["store_name"] == [
            "Remove the invisible characters (such as zero-width spaces or text direction "
            "marks) from the name."
        ]
        assert not User.objects.exists()

    def test_a_store_name_taken_in_any_case_saves_nothing(self, client):
        StoreFactory(name="Crumb Club")

        response = client.post(SIGNUP_URL, signup_data(store_name="CRUMB club"))

        assert response.context["form"].errors["store_name"] == ["That store name is taken."]
        assert not User.objects.filter(email="new@example.com").exists()
        assert Store.objects.count() == 1

    def test_when_the_store_cannot_be_saved_no_user_is_left_behind(self, client, monkeypatch):
        # The name is taken after the form's check: the store insert fails in the
        # database, and the user inserted just before it must go too.
        StoreFactory(name="Crumb Club")
        monkeypatch.setattr(Store, "clean", lambda store: None)

        response = client.post(SIGNUP_URL, signup_data(store_name="crumb club"))

        assert response.status_code == 200
        assert response.context["form"].errors["store_name"] == ["That store name is taken."]
        assert not User.objects.filter(email="new@example.com").exists()
        assert Store.objects.count() == 1
        assert not get_user(client).is_authenticated
        assert mail.outbox == []

    def test_a_failed_login_undoes_the_account_and_the_store(
        self, client, monkeypatch, django_capture_on_commit_callbacks
    ):
        def broken_login(*args, **kwargs):
            raise RuntimeError("the session store is down")

        monkeypatch.setattr("stores.views.login", broken_login)

        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError, match="session store"),
        ):
            client.post(SIGNUP_URL, signup_data())

        assert not User.objects.exists()
        assert not Store.objects.exists()
        assert mail.outbox == []


@pytest.mark.django_db
class TestWelcomeEmail:
    def test_is_sent_after_the_sign_up_commits(
        self, client, settings, django_capture_on_commit_callbacks
    ):
        settings.SITE_URL = "https://yumroad.example.com"

        with django_capture_on_commit_callbacks(execute=True):
            client.post(SIGNUP_URL, signup_data())

        assert len(mail.outbox) == 1
        email = mail.outbox[0]
        # The address is nobody's confirmed one: the name chosen is in the body only.
        assert email.subject == "Welcome to Yumroad"
        assert "Welcome to Yumroad, Crumb Club!" in email.body
        assert email.to == ["new@example.com"]
        add_product_url = "https://yumroad.example.com/products/create/"
        assert add_product_url in email.body
        html, mimetype = email.alternatives[0]
        assert mimetype == "text/html"
        assert f'<a href="{add_product_url}"' in html
        assert ">Add product</a>" in html
        assert "Welcome to Yumroad, Crumb Club!" in html

    def test_is_not_sent_before_the_commit(self, client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post(SIGNUP_URL, signup_data())

        assert mail.outbox == []
        for callback in callbacks:  # the commit
            callback()
        assert len(mail.outbox) == 1

    def test_the_store_name_is_escaped_in_html(self, client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(SIGNUP_URL, signup_data(store_name="<b>Bold</b> Shop"))

        html, _ = mail.outbox[0].alternatives[0]
        assert "&lt;b&gt;Bold&lt;/b&gt; Shop" in html
        assert mail.outbox[0].subject == "Welcome to Yumroad"

    def test_a_failing_mail_server_does_not_undo_the_sign_up(
        self, client, settings, django_capture_on_commit_callbacks
    ):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = 9  # nothing listens: the connection is refused

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(SIGNUP_URL, signup_data())

        assert response.status_code == 302
        assert User.objects.filter(email="new@example.com").exists()
        assert get_user(client).is_authenticated
