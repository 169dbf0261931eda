"""The platform's fee (PLATFORM_FEE_PERCENT and PLATFORM_FEE_CENTS): the rule, the share
of the net a refund takes back, the settings, and the fee an order keeps once paid."""

import ast
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order, fee_of, refunded_net_of
from tests.factories import OrderFactory, SellableProductFactory
from tests.orders.fake_stripe import completed_session, stripe_event
from tests.orders.test_webhook import post_event
from tests.site.test_pages import settings_with
from yumroad_site.money import format_money


@pytest.fixture
def fee(settings):
    """Set the fee: fee(percent, cents)."""

    def set_fee(percent, cents):
        settings.PLATFORM_FEE_PERCENT = Decimal(percent)
        settings.PLATFORM_FEE_CENTS = cents

    return set_fee


@pytest.mark.parametrize(
    ("percent", "cents", "amount", "expected"),
    [
        pytest.param("10", 50, 1900, 240, id="the-defaults"),
        pytest.param("2.9", 30, 1000, 59, id="a-decimal-percent"),
        pytest.param("2.9", 30, 1750, 81, id="a-decimal-percent-rounded-up"),
        pytest.param("2.9", 0, 1700, 49, id="a-decimal-percent-rounded-down"),
        # Half a cent goes up, not to the even cent as bankers round.
        pytest.param("10", 0, 5, 1, id="half-a-cent-up-from-zero"),
        pytest.param("10", 0, 25, 3, id="half-a-cent-up-from-two"),
        pytest.param("2.5", 0, 100, 3, id="two-and-a-half-cents-up"),
        pytest.param("10", 50, 40, 40, id="capped-at-the-amount"),
        pytest.param("100", 50, 1000, 1000, id="a-hundred-percent-and-cents-capped"),
        pytest.param("0", 0, 1000, 0, id="no-fee"),
        pytest.param("0", 50, 1000, 50, id="only-the-cents"),
        pytest.param("10", 50, 1, 1, id="one-cent"),
    ],
)
def test_the_fee_is_the_percent_rounded_half_up_plus_the_cents_within_the_amount(
    fee, percent, cents, amount, expected
):
    fee(percent, cents)

    assert fee_of(amount) == expected


def test_a_free_order_has_no_fee(fee):
    fee("10", 50)

    assert fee_of(0) == 0


@pytest.mark.parametrize(
    ("net", "refunded", "amount", "expected"),
    [
        pytest.param(1660, 0, 1900, 0, id="nothing-refunded"),
        pytest.param(1660, 1900, 1900, 1660, id="all-refunded"),
        pytest.param(1660, 950, 1900, 830, id="half-refunded"),
        pytest.param(5, 1, 2, 3, id="half-a-cent-up"),
        pytest.param(1000, 1, 3, 333, id="a-third"),
        pytest.param(1000, 2, 3, 667, id="two-thirds"),
        pytest.param(0, 0, 0, 0, id="a-free-order"),
    ],
)
def test_a_refund_takes_back_its_share_of_the_net_rounded_half_up(net, refunded, amount, expected):
    assert refunded_net_of(net_cents=net, refunded_cents=refunded, amount_cents=amount) == (
        expected
    )


def test_refunds_in_steps_book_the_whole_share_once():
    """Each refund books the difference from the previous total's share: in sum, the
    share of the total, whatever the steps."""
    net, amount = 1000, 3
    shares = [
        refunded_net_of(net_cents=net, refunded_cents=r, amount_cents=amount) for r in (1, 2, 3)
    ]

    steps = [later - earlier for earlier, later in zip([0, *shares], shares, strict=False)]

    assert steps == [333, 334, 333]
    assert sum(steps) == net


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (-400, "usd", "-$4.00"),
        (-123456, "usd", "-$1,234.56"),
        (-1, "usd", "-$0.01"),
        (0, "usd", "$0.00"),
        (400, "usd", "$4.00"),
        (-400, "eur", "-4.00 EUR"),
    ],
)
def test_money_below_zero_shows_its_sign_before_the_symbol(cents, currency, expected):
    assert format_money(cents, currency) == expected


NAMES = "(str(settings.PLATFORM_FEE_PERCENT), settings.PLATFORM_FEE_CENTS)"


def test_the_default_fee_is_ten_percent_and_fifty_cents():
    returncode, output, stderr = settings_with({}, NAMES)

    assert returncode == 0, stderr
    assert ast.literal_eval(output) == ("10", 50)


@pytest.mark.parametrize(
    ("percent", "cents", "expected"),
    [
        ("2.9", "30", ("2.9", 30)),
        (" 2.9 ", " 30 ", ("2.9", 30)),
        ("0", "0", ("0", 0)),
        ("100", "0", ("100", 0)),
        ("0.0001", "0", ("0.0001", 0)),
    ],
)
def test_a_fee_from_the_environment_is_used(percent, cents, expected):
    environment = {"PLATFORM_FEE_PERCENT": percent, "PLATFORM_FEE_CENTS": cents}

    returncode, output, stderr = settings_with(environment, NAMES)

    assert returncode == 0, stderr
    assert ast.literal_eval(output) == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PLATFORM_FEE_PERCENT", "-1", "PLATFORM_FEE_PERCENT must be a percentage from 0 to 100"),
        ("PLATFORM_FEE_PERCENT", "100.01", "PLATFORM_FEE_PERCENT must be a percentage"),
        ("PLATFORM_FEE_PERCENT", "ten", "PLATFORM_FEE_PERCENT must be a percentage"),
        ("PLATFORM_FEE_PERCENT", "10%", "PLATFORM_FEE_PERCENT must be a percentage"),
        ("PLATFORM_FEE_PERCENT", "2,9", "PLATFORM_FEE_PERCENT must be a percentage"),
        ("PLATFORM_FEE_PERCENT", "1e1", "PLATFORM_FEE_PERCENT must be a percentage"),
        ("PLATFORM_FEE_PERCENT", "NaN", "PLATFORM_FEE_PERCENT must be a percentage"),
        ("PLATFORM_FEE_PERCENT", "2.00001", "PLATFORM_FEE_PERCENT must be a percentage"),
        ("PLATFORM_FEE_PERCENT", "", "PLATFORM_FEE_PERCENT must be a percentage"),
        ("PLATFORM_FEE_CENTS", "-5", "PLATFORM_FEE_CENTS must be a whole number"),
        ("PLATFORM_FEE_CENTS", "0.5", "PLATFORM_FEE_CENTS must be a whole number"),
        ("PLATFORM_FEE_CENTS", "fifty", "PLATFORM_FEE_CENTS must be a whole number"),
        ("PLATFORM_FEE_CENTS", "\u0665\u0660", "PLATFORM_FEE_CENTS must be a whole number"),
    ],
)
def test_a_bad_fee_stops_the_start_with_a_clear_message(name, value, message):
    returncode, _, stderr = settings_with({name: value}, "settings.DEBUG")

    assert returncode != 0
    assert "ImproperlyConfigured" in stderr
    assert message in stderr


def pending_order(price_cents, session_id):
    product = SellableProductFactory(name="Lo-fi Drum Kit", price_cents=price_cents)
    return OrderFactory(
        product=product,
        status=Order.Status.PENDING,
        paid_at=None,
        payment_intent_id="",
        stripe_session_id=session_id,
    )


def pay(client, order, event_id):
    event = stripe_event(
        "checkout.session.completed",
        completed_session(order, payment_intent=f"pi_{event_id}"),
        event_id=event_id,
    )
    response = post_event(client, event)
    assert response.status_code == 200
    order.refresh_from_db()


@pytest.mark.django_db
class TestThroughTheCheckout:
    def test_a_paid_order_keeps_the_fee_of_when_it_was_paid(self, client, stripe_server, fee):
        fee("2.9", 30)
        first = pending_order(1900, "cs_test_fee_first")
        pay(client, first, "evt_fee_first")

        fee("20", 0)
        second = pending_order(1900, "cs_test_fee_second")
        pay(client, second, "evt_fee_second")
        # Stripe sends the first payment again: nothing changes.
        pay(client, first, "evt_fee_first_again")

        # 2.9% of $19.00 is 55.1 cents: 55, and 30 cents.
        assert (first.status, first.fee_cents, first.net_cents) == ("paid", 85, 1815)
        assert (second.status, second.fee_cents, second.net_cents) == ("paid", 380, 1520)
        assert (first.refunded_cents, first.refunded_net_cents) == (0, 0)

    def test_the_seller_sees_each_orders_own_fee_and_net(self, client, stripe_server, fee):
        fee("2.9", 30)
        order = pending_order(1900, "cs_test_fee_shown")
        pay(client, order, "evt_fee_shown")
        fee("50", 0)

        client.force_login(order.store.owner)
        body = client.get(reverse("orders:sales")).content.decode()

        assert '<td class="text-end text-nowrap d-none d-md-table-cell">$0.85</td>' in body
        assert '<td class="text-end text-nowrap">$18.15</td>' in body
        assert 'data-total="fees">$0.85</div>' in body
        assert 'data-total="net">$18.15</div>' in body

    def test_a_free_order_pays_no_fee(self, client, stripe_server, fee):
        fee("10", 50)
        order = pending_order(0, "cs_test_fee_free")

        pay(client, order, "evt_fee_free")

        assert (order.status, order.fee_cents, order.net_cents) == ("paid", 0, 0)
