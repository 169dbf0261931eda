from datetime import timedelta

import pytest
from django.contrib.auth import get_user
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import RENEWED_ON
from tests.site.test_pages import settings_with

LIBRARY_URL = reverse("orders:library")


def stored_session(client):
    return Session.objects.get(session_key=client.session.session_key)


def test_sessions_last_fourteen_idle_days_by_default_and_session_idle_days_sets_it():
    default = settings_with({}, "settings.SESSION_COOKIE_AGE")[1]
    three = settings_with({"SESSION_IDLE_DAYS": "3"}, "settings.SESSION_COOKIE_AGE")[1]

    assert default == str(14 * 24 * 3600)
    assert three == str(3 * 24 * 3600)


def test_a_session_idle_days_below_one_stops_the_start():
    returncode, _, stderr = settings_with({"SESSION_IDLE_DAYS": "0"}, "settings.DEBUG")

    assert returncode != 0
    assert "SESSION_IDLE_DAYS must be 1 or more" in stderr


@pytest.mark.django_db
class TestIdleExpiry:
    def test_the_first_visit_of_a_day_pushes_the_expiry_ahead(self, auth_client, settings):
        session = auth_client.session
        session[RENEWED_ON] = "2000-01-01"
        session.save()
        Session.objects.filter(session_key=session.session_key).update(
            expire_date=timezone.now() + timedelta(days=1)
        )

        auth_client.get(LIBRARY_URL)

        expires_in = stored_session(auth_client).expire_date - timezone.now()
        assert expires_in > timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
        assert auth_client.session[RENEWED_ON] == timezone.now().date().isoformat()

    def test_later_visits_that_day_write_nothing(self, auth_client, django_assert_num_queries):
        auth_client.get(LIBRARY_URL)

        # 1: the session; 2: the user; 3: count the library; no session write.
        with django_assert_num_queries(3):
            auth_client.get(LIBRARY_URL)

    def test_a_session_idle_past_its_expiry_is_logged_out(self, auth_client):
        Session.objects.filter(session_key=auth_client.session.session_key).update(
            expire_date=timezone.now() - timedelta(seconds=1)
        )

        response = auth_client.get(LIBRARY_URL)

        assert response.status_code == 302
        assert not get_user(auth_client).is_authenticated

    def test_visitors_get_no_session(self, client):
        response = client.get(reverse("products:index"))

        assert "sessionid" not in response.cookies


def test_reset_links_work_an_hour_by_default_and_password_reset_timeout_sets_it():
    default = settings_with({}, "settings.PASSWORD_RESET_TIMEOUT")[1]
    ten_minutes = settings_with(
        {"PASSWORD_RESET_TIMEOUT": "600"}, "settings.PASSWORD_RESET_TIMEOUT"
    )[1]

    assert (default, ten_minutes) == ("3600", "600")
