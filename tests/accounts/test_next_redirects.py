"""After logging in or signing up, the user lands on `next` only when it is safe."""

from urllib.parse import quote

import pytest
from django.contrib.auth import get_user
from django.urls import reverse

from accounts.models import User
from tests.utils import signup_data

LOGIN_URL = reverse("accounts:login")
SIGNUP_URL = reverse("stores:signup")
# Where a member without a store lands without `next` (a seller: the dashboard).
LIBRARY_URL = reverse("orders:library")
CREATE_URL = reverse("products:create")
OPEN_STORE_URL = reverse("stores:new")

UNSAFE_NEXT = [
    "http://evil.example.com/",
    "https://evil.example.com/products/",
    "//evil.example.com",
    "///evil.example.com",
    "\\\\evil.example.com",
    "/\\evil.example.com",
    "\\/evil.example.com",
    "http:/\\evil.example.com",
    "https:evil.example.com",
    " //evil.example.com",
    "\t//evil.example.com",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://testserver/products/",
    "http://testserver@evil.example.com/",
    "/\x01//evil.example.com",
    "\x08//evil.example.com",
    "/products/\r\nSet-Cookie: sessionid=stolen",
    "/products/\u200b",
    "",
]
SAFE_NEXT = [
    "/products/create/",
    "/products/?page=2&sort=new",
    "http://testserver/products/create/",
]


@pytest.mark.django_db
class TestLoginNext:
    @pytest.mark.parametrize("next_url", SAFE_NEXT)
    def test_login_follows_a_safe_next(self, client, user, password, next_url):
        response = client.post(
            LOGIN_URL, {"email": user.email, "password": password, "next": next_url}
        )
        assert response.status_code == 302
        assert response["Location"] == next_url

    @pytest.mark.parametrize("next_url", UNSAFE_NEXT)
    def test_login_ignores_an_unsafe_next(self, client, user, password, next_url):
        response = client.post(
            LOGIN_URL, {"email": user.email, "password": password, "next": next_url}
        )
        assert response.status_code == 302
        assert response["Location"] == LIBRARY_URL

    def test_login_ignores_an_http_next_on_a_secure_request(self, client, user, password):
        response = client.post(
            LOGIN_URL,
            {"email": user.email, "password": password, "next": "http://testserver/products/"},
            secure=True,
        )
        assert response["Location"] == LIBRARY_URL

    def test_login_form_carries_a_safe_next_in_a_hidden_field_and_the_sign_up_link(self, client):
        body = client.get(LOGIN_URL, {"next": "/products/?page=2&x=1"}).content.decode()

        assert '<input type="hidden" name="next" value="/products/?page=2&amp;x=1">' in body
        assert f'href="{SIGNUP_URL}?next={quote("/products/?page=2&x=1", safe="/")}"' in body

    def test_login_form_drops_an_unsafe_next(self, client):
        body = client.get(LOGIN_URL, {"next": "//evil.example.com"}).content.decode()

        assert "evil.example.com" not in body


@pytest.mark.django_db
class TestSignupNext:
    @pytest.mark.parametrize("next_url", SAFE_NEXT)
    def test_signup_follows_a_safe_next(self, client, next_url):
        response = client.post(SIGNUP_URL, signup_data(next=next_url))

        assert response.status_code == 302
        assert response["Location"] == next_url
        assert User.objects.filter(email="new@example.com").exists()

    @pytest.mark.parametrize("next_url", UNSAFE_NEXT)
    def test_signup_ignores_an_unsafe_next(self, client, next_url):
        response = client.post(SIGNUP_URL, signup_data(next=next_url))

        assert response.status_code == 302
        assert response["Location"] == LIBRARY_URL

    def test_signup_ignores_an_http_next_on_a_secure_request(self, client):
        response = client.post(
            SIGNUP_URL, signup_data(next="http://testserver/products/"), secure=True
        )

        assert response["Location"] == LIBRARY_URL

    def test_signup_form_carries_a_safe_next_and_the_log_in_link_keeps_it(self, client):
        body = client.get(SIGNUP_URL, {"next": CREATE_URL}).content.decode()

        assert f'<input type="hidden" name="next" value="{CREATE_URL}">' in body
        assert f'href="{LOGIN_URL}?next={quote(CREATE_URL, safe="/")}"' in body

    def test_signup_form_drops_an_unsafe_next(self, client):
        body = client.get(SIGNUP_URL, {"next": "https://evil.example.com/"}).content.decode()

        assert "evil.example.com" not in body


@pytest.mark.django_db
class TestJourney:
    def test_protected_page_sends_to_login_with_the_full_path(self, client):
        response = client.get(CREATE_URL, {"ref": "nav"})

        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN_URL}?next={quote(CREATE_URL + '?ref=nav')}"

    def test_log_in_from_the_create_page_and_back(self, client, store, password):
        login_page = client.get(CREATE_URL, follow=True)
        next_url = login_page.context["next"]

        response = client.post(
            LOGIN_URL,
            {"email": store.owner.email, "password": password, "next": next_url},
            follow=True,
        )

        assert response.redirect_chain == [(CREATE_URL, 302)]
        assert response.status_code == 200
        assert "form" in response.context

    def test_sign_up_from_the_create_page_open_the_store_and_back(self, client):
        login_page = client.get(CREATE_URL, follow=True)
        signup_page = client.get(SIGNUP_URL, {"next": login_page.context["next"]})

        response = client.post(
            SIGNUP_URL, signup_data(next=signup_page.context["next"]), follow=True
        )

        open_store = f"{OPEN_STORE_URL}?next={quote(CREATE_URL, safe='')}"
        assert response.redirect_chain == [(CREATE_URL, 302), (open_store, 302)]
        response = client.post(
            OPEN_STORE_URL, {"name": "Fresh Goods", "next": response.context["next"]}, follow=True
        )
        assert response.redirect_chain == [(CREATE_URL, 302)]
        assert response.status_code == 200
        assert "form" in response.context


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["accounts:login", "stores:signup"])
def test_a_next_with_a_nul_character_is_a_bad_request(client, user, password, url_name):
    data = {"email": user.email, "password": password, "next": "/\x00//evil.example.com"}

    response = client.post(reverse(url_name), data)

    assert response.status_code == 400
    assert not get_user(client).is_authenticated
