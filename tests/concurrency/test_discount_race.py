"""Buyers racing for the last uses of a discount code, through a live server: each use
is reserved under the code's lock, so no more checkouts get it than it has uses."""

import contextlib
import threading
from functools import partial

import pytest
from django.db.models.signals import post_init, pre_save
from django.urls import reverse

from orders import services
from orders.models import DiscountCode, Order
from tests.concurrency.test_races import stays_on_redirects
from tests.factories import PASSWORD, SellableProductFactory, StoreFactory
from tests.live import Browser
from tests.utils import race

MAX_USES = 3
BUYERS = 8


@pytest.fixture
def checkouts_made_together():
    """Every Buy that makes a new order waits for the others to get there too, so that
    all of them read the code's uses before any reserves one. Calling it stops that."""
    barrier = threading.Barrier(BUYERS, timeout=30)
    waited = threading.local()

    def wait(sender, instance, **kwargs):
        if instance.pk is None and not getattr(waited, "once", False):
            waited.once = True
            barrier.wait()

    post_init.connect(wait, sender=Order)
    yield partial(post_init.disconnect, wait, sender=Order)
    post_init.disconnect(wait, sender=Order)


@pytest.mark.django_db(transaction=True)
def test_more_buyers_than_uses_at_once_get_as_many_discounted_checkouts_as_uses(
    live_server, stripe_server, checkouts_made_together, settings
):
    # Each Buy holds a Stripe permit while it waits for the others.
    settings.STRIPE_MAX_CONCURRENT = BUYERS
    product = SellableProductFactory(price_cents=2000)
    code = services.discount_code_create(
        store=product.store, code="LAUNCH", percent_off=50, max_uses=MAX_USES
    )
    browsers = [Browser(live_server.url) for _ in range(BUYERS)]
    for browser in browsers:
        browser.get(f"{product.get_absolute_url()}?code=launch")
        stays_on_redirects(browser)
    buy = reverse("orders:buy", args=[product.pk])

    results = race(*(partial(browser.post, buy, {"code": "LAUNCH"}) for browser in browsers))

    statuses = sorted(status for status, _, _ in results)
    assert statuses == [303] * MAX_USES + [400] * (BUYERS - MAX_USES)
    refused = [body for status, _, body in results if status == 400]
    assert all("This code has been used up." in body for body in refused)
    assert all("Buy for $20.00" in body for body in refused)
    discounted = Order.objects.filter(discount_code=code)
    assert discounted.count() == MAX_USES
    assert set(discounted.values_list("amount_cents", "status")) == {(1000, "pending")}
    assert len(stripe_server.requests) == MAX_USES

    # Paid, they are the code's only uses; the others may buy at full price.
    for order in discounted:
        services.order_mark_paid(session_id=order.stripe_session_id, payment_intent="pi_x")
    assert discounted.filter(status=Order.Status.PAID).count() == MAX_USES
    assert code.uses() == MAX_USES
    checkouts_made_together()
    refused_browser = browsers[[status for status, _, _ in results].index(400)]
    status, _, _ = refused_browser.post(buy, {"code": ""})
    assert status == 303
    assert Order.objects.filter(discount_code=None).get().amount_cents == 2000


@pytest.mark.django_db(transaction=True)
def test_two_codes_of_one_name_saved_at_once_make_one_and_the_other_is_told(live_server):
    store = StoreFactory()
    browsers = [Browser(live_server.url), Browser(live_server.url)]
    for browser in browsers:
        browser.log_in(store.owner.email, PASSWORD)
        browser.get(reverse("orders:discount_create"))
    # Each save waits for the other to get there too, so that both looked for the name
    # before either saved: the unique index decides. Where the first holds the
    # database's write lock meanwhile (SQLite), it goes on alone after a while.
    barrier = threading.Barrier(2, timeout=2)

    def both_saving(**kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()

    data = {"code": "LAUNCH", "percent_off": "10", "amount_off": "", "max_uses": ""}
    spellings = [data, {**data, "code": "launch"}]
    pre_save.connect(both_saving, sender=DiscountCode)
    try:
        results = race(
            *(
                partial(browser.post, reverse("orders:discount_create"), fields)
                for browser, fields in zip(browsers, spellings, strict=True)
            )
        )
    finally:
        pre_save.disconnect(both_saving, sender=DiscountCode)

    assert sorted(status for status, _, _ in results) == [200, 400]
    refused = next(body for status, _, body in results if status == 400)
    assert "Your store has a code of that name already." in refused
    assert DiscountCode.objects.count() == 1
