import pytest
from django.contrib.auth import get_user
from django.urls import reverse

from accounts.lockout import client_address
from tests.factories import UserFactory

LOGIN_URL = reverse("accounts:login")
ADMIN_LOGIN_URL = reverse("admin:login")
FAILURE_LIMIT = 5


def fail_logins(client, email, times, address="10.0.0.1"):
    for _ in range(times):
        client.post(LOGIN_URL, {"email": email, "password": "wrong-guess"}, REMOTE_ADDR=address)


@pytest.mark.django_db
class TestLoginThrottling:
    def test_failures_before_the_limit_get_the_form_and_the_last_one_a_429(self, client, user):
        def attempt():
            return client.post(
                LOGIN_URL, {"email": user.email, "password": "wrong"}, REMOTE_ADDR="10.0.0.1"
            )

        for _ in range(FAILURE_LIMIT - 1):
            response = attempt()
            assert response.status_code == 200
            assert "Invalid email or password." in response.content.decode()

        assert attempt().status_code == 429

    def test_after_the_limit_even_the_right_password_gets_a_429_page(self, client, user, password):
        fail_logins(client, user.email, FAILURE_LIMIT)

        response = client.post(
            LOGIN_URL, {"email": user.email, "password": password}, REMOTE_ADDR="10.0.0.1"
        )

        assert response.status_code == 429
        assert "Too many failed logins" in response.content.decode()
        assert "paused for\n      15 minutes" in response.content.decode()
        assert not get_user(client).is_authenticated

    def test_letter_case_does_not_get_around_the_limit(self, client, password):
        user = UserFactory(email="ann@example.com")
        for spelling in [
            "Ann@example.com",
            "ANN@EXAMPLE.COM",
            "ann@Example.com",
            "aNN@example.com",
        ]:
            fail_logins(client, spelling, 1)
        fail_logins(client, "ann@example.com", 1)

        response = client.post(
            LOGIN_URL, {"email": user.email, "password": password}, REMOTE_ADDR="10.0.0.1"
        )

        assert response.status_code == 429

    def test_other_emails_from_the_same_address_are_not_locked_out(self, client, password):
        victim, other = UserFactory(), UserFactory()
        fail_logins(client, victim.email, FAILURE_LIMIT)

        response = client.post(
            LOGIN_URL, {"email": other.email, "password": password}, REMOTE_ADDR="10.0.0.1"
        )

        assert response.status_code == 302
        assert get_user(client).pk == other.pk

    def test_the_same_email_from_another_address_is_not_locked_out(self, client, user, password):
        fail_logins(client, user.email, FAILURE_LIMIT, address="10.0.0.1")

        response = client.post(
            LOGIN_URL, {"email": user.email, "password": password}, REMOTE_ADDR="10.0.0.2"
        )

        assert response.status_code == 302
        assert get_user(client).pk == user.pk

    def test_a_successful_login_resets_the_count(self, client, user, password):
        fail_logins(client, user.email, FAILURE_LIMIT - 1)
        client.post(LOGIN_URL, {"email": user.email, "password": password}, REMOTE_ADDR="10.0.0.1")
        client.logout()

        fail_logins(client, user.email, FAILURE_LIMIT - 1)
        response = client.post(
            LOGIN_URL, {"email": user.email, "password": password}, REMOTE_ADDR="10.0.0.1"
        )

        assert response.status_code == 302
        assert get_user(client).pk == user.pk

    def test_the_admin_login_is_throttled_too(self, client, password):
        staff = UserFactory(is_staff=True, is_superuser=True)
        for _ in range(FAILURE_LIMIT):
            client.post(
                ADMIN_LOGIN_URL,
                {"username": staff.email, "password": "wrong-guess"},
                REMOTE_ADDR="10.0.0.1",
            )

        response = client.post(
            ADMIN_LOGIN_URL, {"username": staff.email, "password": password}, REMOTE_ADDR="10.0.0.1"
        )

        assert response.status_code == 429
        assert not get_user(client).is_authenticated


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy: a client's header is ignored
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the client's own entry is skipped
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (1, "", "10.0.0.1"),
        (2, "203.0.113.9", "10.0.0.1"),  # fewer entries than proxies: not trusted
    ],
)
def test_the_client_address_behind_trusted_proxies(rf, settings, proxies, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.post("/", HTTP_X_FORWARDED_FOR=forwarded_for, REMOTE_ADDR="10.0.0.1")

    assert client_address(request) == expected


@pytest.mark.django_db
def test_behind_a_proxy_clients_are_told_apart_by_forwarded_for(client, settings, password):
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory()
    for _ in range(FAILURE_LIMIT):
        client.post(
            LOGIN_URL,
            {"email": user.email, "password": "wrong-guess"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )

    response = client.post(
        LOGIN_URL,
        {"email": user.email, "password": password},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )

    assert response.status_code == 302
    assert get_user(client).pk == user.pk
