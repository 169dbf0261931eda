"""Sign-up makes an account without a store; "Start selling" signs up, then opens the
store at /stores/new/, which welcomes the new seller by email."""

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.urls import reverse

from accounts.models import User
from stores.models import Store
from tests.factories import StoreFactory
from tests.utils import messages_of, signup_data

SIGNUP_URL = reverse("stores:signup")
OPEN_STORE_URL = reverse("stores:new")


@pytest.mark.django_db
class TestSignUpWithoutAStore:
    def test_asks_only_for_an_email_and_a_password(self, client):
        body = client.get(SIGNUP_URL).content.decode()

        for field in ("email", "password", "confirm"):
            assert f'name="{field}"' in body
        assert 'name="store_name"' not in body

    def test_makes_an_account_without_a_store_and_lands_on_the_library(self, client):
        response = client.post(SIGNUP_URL, signup_data(), follow=True)

        assert response.redirect_chain == [(reverse("orders:library"), 302)]
        user = User.objects.get(email="new@example.com")
        assert get_user(client).pk == user.pk
        assert not Store.objects.exists()

    def test_a_store_name_sent_anyway_opens_nothing(self, client):
        client.post(SIGNUP_URL, signup_data(store_name="Crumb Club"))

        assert User.objects.filter(email="new@example.com").exists()
        assert not Store.objects.exists()

    def test_sends_no_welcome_email(self, client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(SIGNUP_URL, signup_data())

        assert [email.subject for email in mail.outbox] == ["Confirm your Yumroad email"]

    def test_a_failed_login_undoes_the_account(
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
        assert mail.outbox == []


@pytest.mark.django_db
class TestStartSelling:
    def test_the_links_sign_up_then_ask_for_the_store_name(self, client):
        start_selling = f"{SIGNUP_URL}?next={OPEN_STORE_URL}"
        assert f'href="{start_selling}">Start selling</a>' in client.get("/").content.decode()

        response = client.post(start_selling, signup_data(next=OPEN_STORE_URL), follow=True)

        assert response.redirect_chain == [(OPEN_STORE_URL, 302)]
        assert "Registered successfully." in messages_of(response)
        assert "Open your store" in response.content.decode()

    def test_naming_the_store_opens_it_and_lands_on_the_dashboard(
        self, client, django_capture_on_commit_callbacks
    ):
        client.post(SIGNUP_URL, signup_data(next=OPEN_STORE_URL))

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(OPEN_STORE_URL, {"name": "Crumb Club"}, follow=True)

        assert response.redirect_chain == [(reverse("dashboard"), 302)]
        assert "Your store Crumb Club is open." in messages_of(response)
        store = Store.objects.get()
        assert store.owner == User.objects.get(email="new@example.com")
        assert (store.name, store.slug) == ("Crumb Club", "crumb-club")

    def test_a_visitor_on_the_store_page_is_asked_to_log_in_or_sign_up(self, client):
        response = client.get(OPEN_STORE_URL, follow=True)

        login = reverse("accounts:login")
        assert response.redirect_chain == [(f"{login}?next={OPEN_STORE_URL}", 302)]
        body = response.content.decode()
        assert "Log in to continue to that page." in body
        assert f'href="{SIGNUP_URL}?next={OPEN_STORE_URL}">Sign up</a>' in body

    def test_a_store_name_taken_in_any_case_opens_nothing(self, auth_client, user):
        StoreFactory(name="Crumb Club")

        response = auth_client.post(OPEN_STORE_URL, {"name": "CRUMB club"})

        assert response.context["form"].errors["name"] == ["That store name is taken."]
        assert not Store.objects.filter(owner=user).exists()

    def test_a_store_name_cannot_smuggle_email_headers(self, auth_client, user):
        response = auth_client.post(OPEN_STORE_URL, {"name": "Evil\nBcc: everyone@example.com"})

        assert response.context["form"].errors["name"] == [
            "Use one line of letters, numbers, spaces and punctuation."
        ]
        assert not Store.objects.exists()

    def test_a_store_name_cannot_reorder_the_text_around_it(self, auth_client):
        response = auth_client.post(OPEN_STORE_URL, {"name": "Shop \u202egpj.exe"})

        assert response.context["form"].errors["name"] == [
            "Remove the invisible characters (such as zero-width spaces or text direction "
            "marks) from the name."
        ]
        assert not Store.objects.exists()


@pytest.mark.django_db
class TestWelcomeEmail:
    def test_is_sent_when_the_store_opens(
        self, auth_client, settings, django_capture_on_commit_callbacks
    ):
        settings.SITE_URL = "https://yumroad.example.com"

        with django_capture_on_commit_callbacks(execute=True):
            auth_client.post(OPEN_STORE_URL, {"name": "Crumb Club"})

        [email] = mail.outbox
        # The address may be nobody's confirmed one: the name chosen is in the body only.
        assert email.subject == "Welcome to Yumroad"
        assert "Welcome to Yumroad, Crumb Club!" in email.body
        assert email.to == [User.objects.get().email]
        add_product_url = "https://yumroad.example.com/products/create/"
        assert add_product_url in email.body
        html, mimetype = email.alternatives[0]
        assert mimetype == "text/html"
        assert f'<a href="{add_product_url}"' in html
        assert ">Add product</a>" in html

    def test_is_not_sent_before_the_commit(self, auth_client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            auth_client.post(OPEN_STORE_URL, {"name": "Crumb Club"})

        assert mail.outbox == []
        for callback in callbacks:  # the commit
            callback()
        assert len(mail.outbox) == 1

    def test_the_store_name_is_escaped_in_html(
        self, auth_client, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            auth_client.post(OPEN_STORE_URL, {"name": "<b>Bold</b> Shop"})

        html, _ = mail.outbox[0].alternatives[0]
        assert "&lt;b&gt;Bold&lt;/b&gt; Shop" in html

    def test_is_not_sent_when_the_store_is_refused(
        self, auth_client, django_capture_on_commit_callbacks
    ):
        StoreFactory(name="Crumb Club")

        with django_capture_on_commit_callbacks(execute=True):
            auth_client.post(OPEN_STORE_URL, {"name": "crumb club"})

        assert mail.outbox == []

    def test_a_failing_mail_server_does_not_undo_the_store(
        self, auth_client, user, settings, django_capture_on_commit_callbacks
    ):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = 9  # nothing listens: the connection is refused

        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.post(OPEN_STORE_URL, {"name": "Crumb Club"})

        assert response.status_code == 302
        assert Store.objects.filter(owner=user).exists()
