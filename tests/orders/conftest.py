import pytest

from tests.orders.fake_stripe import STRIPE_KEY, WEBHOOK_SECRET, FakeStripe


@pytest.fixture
def stripe_server(httpserver, settings):
    """Production-like settings with Stripe's API at a fake server that answers."""
    settings.DEBUG = False
    settings.STRIPE_SECRET_KEY = STRIPE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = httpserver.url_for("/").rstrip("/")
    settings.STRIPE_TIMEOUT_SECONDS = 1
    fake = FakeStripe(httpserver)
    fake.answer_sessions()
    return fake
