from decimal import Decimal

import pytest

from tests.orders.conftest import stripe_server  # noqa: F401
from tests.payouts.fake_connect import FakeConnect


@pytest.fixture
def connect_server(stripe_server, httpserver, settings):  # noqa: F811
    """Production-like settings (DEBUG off) with Stripe's API, Connect's part too, at a
    fake server that answers."""
    return FakeConnect(httpserver, timeout=settings.STRIPE_TIMEOUT_SECONDS)


@pytest.fixture(autouse=True)
def _production_like(settings):
    """Money paths run as production does: DEBUG off, the default fee, hold and minimum."""
    settings.DEBUG = False
    settings.PLATFORM_FEE_PERCENT = Decimal("10")
    settings.PLATFORM_FEE_CENTS = 50
    settings.PAYOUT_HOLD_DAYS = 7
    settings.PAYOUT_MINIMUM_CENTS = 1000
