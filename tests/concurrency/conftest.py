from tests.orders.conftest import stripe_server  # noqa: F401
