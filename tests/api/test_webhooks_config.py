"""The webhooks' settings come from the environment; a wrong one stops the start."""

import pytest

from tests.site.test_pages import settings_with


def test_the_defaults_make_six_tries_of_ten_seconds_each_over_https_to_public_addresses():
    returncode, out, _ = settings_with(
        {},
        "(settings.SELLER_WEBHOOK_RETRY_SECONDS, settings.SELLER_WEBHOOK_TIMEOUT_SECONDS, "
        "settings.SELLER_WEBHOOKS_ALLOW_PRIVATE)",
    )

    assert returncode == 0
    assert out == "([10, 30, 120, 600, 3600], 10, False)"


def test_the_environment_sets_them():
    returncode, out, _ = settings_with(
        {
            "SELLER_WEBHOOK_RETRY_SECONDS": " 5, 60 ",
            "SELLER_WEBHOOK_TIMEOUT_SECONDS": "3",
            "SELLER_WEBHOOKS_ALLOW_PRIVATE": "true",
        },
        "(settings.SELLER_WEBHOOK_RETRY_SECONDS, settings.SELLER_WEBHOOK_TIMEOUT_SECONDS, "
        "settings.SELLER_WEBHOOKS_ALLOW_PRIVATE)",
    )

    assert returncode == 0
    assert out == "([5, 60], 3, True)"


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"SELLER_WEBHOOK_RETRY_SECONDS": "10,soon"}, "SELLER_WEBHOOK_RETRY_SECONDS must be"),
        ({"SELLER_WEBHOOK_RETRY_SECONDS": "0"}, "SELLER_WEBHOOK_RETRY_SECONDS must be"),
        ({"SELLER_WEBHOOK_RETRY_SECONDS": ","}, "SELLER_WEBHOOK_RETRY_SECONDS must be"),
        ({"SELLER_WEBHOOK_RETRY_SECONDS": "9" * 30}, "SELLER_WEBHOOK_RETRY_SECONDS must be"),
        ({"SELLER_WEBHOOK_TIMEOUT_SECONDS": "0"}, "SELLER_WEBHOOK_TIMEOUT_SECONDS must be"),
        ({"SELLER_WEBHOOKS_ALLOW_PRIVATE": "maybe"}, "SELLER_WEBHOOKS_ALLOW_PRIVATE must be"),
        (
            {"SELLER_WEBHOOK_TIMEOUT_SECONDS": "60", "TASK_LEASE_SECONDS": "60"},
            "TASK_LEASE_SECONDS must be more than SELLER_WEBHOOK_TIMEOUT_SECONDS",
        ),
    ],
)
def test_a_wrong_setting_stops_the_start_with_a_clear_message(environment, message):
    returncode, _, stderr = settings_with(environment, "settings.DEBUG")

    assert returncode != 0
    assert message in stderr
