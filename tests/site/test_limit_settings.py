"""What settings.py makes of the rate-limit and checkout-expiry variables."""

import ast

import pytest
from django_ratelimit.exceptions import Ratelimited

from tests.site.test_pages import settings_with
from yumroad_site.views import too_many_requests

NAMES = "(settings.CHECKOUT_RATE_PER_MINUTE, settings.EMAILS_PER_CLIENT_PER_HOUR, " + (
    "settings.CHECKOUT_EXPIRY_MINUTES)"
)


def test_the_defaults_are_ten_checkouts_a_minute_twenty_emails_an_hour_and_an_hour_to_pay():
    returncode, output, stderr = settings_with({}, NAMES)

    assert returncode == 0, stderr
    assert ast.literal_eval(output) == (10, 20, 60)


def test_values_from_the_environment_are_used():
    environment = {
        "CHECKOUT_RATE_PER_MINUTE": "3",
        "EMAILS_PER_CLIENT_PER_HOUR": " 50 ",
        "CHECKOUT_EXPIRY_MINUTES": "1440",
    }

    returncode, output, stderr = settings_with(environment, NAMES)

    assert returncode == 0, stderr
    assert ast.literal_eval(output) == (3, 50, 1440)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CHECKOUT_RATE_PER_MINUTE", "0", "CHECKOUT_RATE_PER_MINUTE must be 1 or more."),
        ("EMAILS_PER_CLIENT_PER_HOUR", "ten", "EMAILS_PER_CLIENT_PER_HOUR must be a whole number"),
        ("EMAILS_PER_CLIENT_PER_HOUR", "-1", "EMAILS_PER_CLIENT_PER_HOUR must be a whole number"),
        ("CHECKOUT_EXPIRY_MINUTES", "30", "CHECKOUT_EXPIRY_MINUTES must be from 31 to 1440."),
        ("CHECKOUT_EXPIRY_MINUTES", "1441", "CHECKOUT_EXPIRY_MINUTES must be from 31 to 1440."),
    ],
)
def test_a_bad_value_stops_the_start_with_a_clear_message(name, value, message):
    returncode, _, stderr = settings_with({name: value}, "settings.DEBUG")

    assert returncode != 0
    assert "ImproperlyConfigured" in stderr
    assert message in stderr


def test_only_the_ratelimit_checks_wrong_for_our_caches_are_silenced():
    without_redis = settings_with({}, "settings.SILENCED_SYSTEM_CHECKS")
    with_redis = settings_with(
        {"REDIS_URL": "redis://127.0.0.1:6379/9"}, "settings.SILENCED_SYSTEM_CHECKS"
    )

    assert ast.literal_eval(without_redis[1]) == ["django_ratelimit.W001"]
    assert ast.literal_eval(with_redis[1]) == ["django_ratelimit.W001"]


def test_a_limit_raised_without_a_retry_time_still_gets_the_429_page(rf):
    response = too_many_requests(rf.get("/"), Ratelimited())

    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many requests came from your address." in body
    assert "Please try again later." in body
    assert not response.has_header("Retry-After")
