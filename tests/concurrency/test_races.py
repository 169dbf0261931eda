"""Requests that race, sent by threads to a live server, as several workers see them."""

import contextlib
import threading
import urllib.request
import uuid
from functools import partial

import pytest
from django.core import mail
from django.db.models.signals import post_init, pre_save
from django.urls import reverse

from orders.models import Order
from products.models import Product
from stores.models import Store
from tests.factories import (
    PASSWORD,
    OrderFactory,
    ProductFactory,
    SellableProductFactory,
    StoreFactory,
    UserFactory,
)
from tests.live import Browser
from tests.orders.fake_stripe import completed_session, stripe_event, stripe_signature
from tests.products.test_images import image_bytes, stored_files
from tests.utils import race, signup_data

SIGNUPS = 20
EDIT_ROUNDS = 8
CLICKS = 6


@pytest.mark.django_db(transaction=True)
def test_racing_store_openings_whose_names_slugify_alike_all_get_their_store(live_server):
    browsers = [Browser(live_server.url) for _ in range(SIGNUPS)]
    open_store = reverse("stores:new")
    signup = reverse("stores:signup")
    for number, browser in enumerate(browsers, start=1):
        browser.get(f"{signup}?next={open_store}")
        data = signup_data(email=f"racer{number}@example.com", next=open_store)
        assert browser.post(signup, data)[:2] == (200, open_store)

    def open_one(number):
        data = {"name": "Slug Race" + "!" * number}
        return lambda: browsers[number - 1].post(open_store, data)

    results = race(*(open_one(number) for number in range(1, SIGNUPS + 1)))

    assert [(status, path) for status, path, _ in results] == [
        (200, reverse("dashboard"))
    ] * SIGNUPS
    assert not any("That store name is taken" in body for _, _, body in results)
    slugs = set(Store.objects.values_list("slug", flat=True))
    assert len(slugs) == SIGNUPS
    assert all(slug.startswith("slug-race") for slug in slugs)


@pytest.mark.django_db(transaction=True)
def test_racing_resends_of_the_confirmation_link_send_one(live_server, mailoutbox):
    user = UserFactory(email="racer@example.com")
    browsers = [Browser(live_server.url) for _ in range(CLICKS)]
    for browser in browsers:
        browser.log_in(user.email, PASSWORD)
        browser.get(reverse("accounts:settings"))

    resend = reverse("accounts:email_confirmation_resend")
    results = race(*(partial(browser.post, resend, {}) for browser in browsers))

    assert all(status == 200 for status, _, _ in results)
    assert sum("We sent a new link" in body for _, _, body in results) == 1
    assert [email.subject for email in mailoutbox] == ["Confirm your Yumroad email"]


@pytest.mark.django_db(transaction=True)
def test_racing_edits_never_leave_a_product_without_its_picture(live_server, settings):
    store = StoreFactory()
    product = ProductFactory(store=store, name="Race Book")
    edit_url = reverse("products:edit", args=[product.pk])
    picture_editor, text_editor = Browser(live_server.url), Browser(live_server.url)
    for browser in (picture_editor, text_editor):
        browser.log_in(store.owner.email, PASSWORD)
    data = {"name": "Race Book", "description": "Words.", "price": "5", "picture_url": ""}

    for round_number in range(EDIT_ROUNDS):
        for browser in (picture_editor, text_editor):
            browser.get(edit_url)
        picture = {"image": ("new.png", image_bytes(color=(round_number * 20, 0, 0)))}
        text = {**data, "description": f"Round {round_number}"}
        results = race(
            partial(picture_editor.post, edit_url, data, files=picture),
            partial(text_editor.post, edit_url, text),
        )

        assert [status for status, _, _ in results] == [200, 200]
        product.refresh_from_db()
        files = stored_files(settings, product)
        assert all(path.is_file() for path in files)
        # Nothing left behind: the picture on disk is the product's, in its sizes.
        assert set((settings.MEDIA_ROOT / "products").rglob("*.*")) == set(files)


class NotFollowed(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def stays_on_redirects(browser):
    """The browser answers a redirect's status instead of following it (to Stripe)."""
    cookies = next(
        handler
        for handler in browser.opener.handlers
        if isinstance(handler, urllib.request.HTTPCookieProcessor)
    )
    browser.opener = urllib.request.build_opener(cookies, NotFollowed())
    return browser


@pytest.fixture
def orders_made_together():
    """Every request that makes a new order waits for the others to get there too, so
    that all of them looked for an open checkout before any saves one."""
    barrier = threading.Barrier(CLICKS, timeout=30)
    waited = threading.local()

    def wait(sender, instance, **kwargs):
        if instance.pk is None and not getattr(waited, "once", False):
            waited.once = True
            barrier.wait()

    post_init.connect(wait, sender=Order)
    yield
    post_init.disconnect(wait, sender=Order)


@pytest.mark.django_db(transaction=True)
def test_racing_buy_clicks_of_one_member_make_one_checkout(
    live_server, stripe_server, orders_made_together, settings
):
    # Each click holds a Stripe permit while it waits for the others.
    settings.STRIPE_MAX_CONCURRENT = CLICKS
    product = SellableProductFactory(price_cents=900)
    buyer = UserFactory()
    browser = Browser(live_server.url)
    browser.log_in(buyer.email, PASSWORD)
    browser.get(product.get_absolute_url())
    stays_on_redirects(browser)
    buy = partial(browser.post, reverse("orders:buy", args=[product.pk]), {})

    results = race(*[buy] * CLICKS)

    # 303: to the one checkout; 302: back to the product, "your checkout is starting".
    statuses = sorted(status for status, _, _ in results)
    assert set(statuses) <= {302, 303}
    assert 303 in statuses
    order = Order.objects.get()
    assert (order.buyer, order.status) == (buyer, Order.Status.PENDING)
    assert len(stripe_server.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_one_product_form_sent_twice_at_once_makes_one_product(live_server, settings):
    store = StoreFactory()
    browsers = [Browser(live_server.url), Browser(live_server.url)]
    for browser in browsers:
        browser.log_in(store.owner.email, PASSWORD)
    data = {
        "name": "Twice Sent",
        "description": "Words.",
        "price": "5",
        "picture_url": "",
        "submission": str(uuid.uuid4()),
    }
    # Each save waits for the other to get there too, so that both looked for the
    # token's product before either saved: the unique column decides. Where the first
    # holds the database's write lock meanwhile (SQLite), it goes on alone after a while.
    barrier = threading.Barrier(2, timeout=2)

    def both_saving(**kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()

    pre_save.connect(both_saving, sender=Product)
    try:
        results = race(
            *[partial(browser.post, reverse("products:create"), data) for browser in browsers]
        )
    finally:
        pre_save.disconnect(both_saving, sender=Product)

    product = Product.objects.get()
    assert [(status, path) for status, path, _ in results] == [
        (200, product.get_absolute_url())
    ] * 2
    assert all("Twice Sent" in body for _, _, body in results)


def post_webhook(base_url, payload):
    """Send the webhook a signed event as Stripe does; returns the answer's status."""
    request = urllib.request.Request(
        base_url + reverse("orders:stripe_webhook"),
        data=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": stripe_signature(payload)},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


@pytest.mark.django_db(transaction=True)
def test_the_receipt_and_the_webhook_at_once_pay_the_order_once(
    live_server, stripe_server, httpserver
):
    product = SellableProductFactory(price_cents=900)
    for round_number in range(3):
        order = OrderFactory(
            product=product,
            email="",
            status=Order.Status.PENDING,
            paid_at=None,
            payment_intent_id="",
            stripe_session_id=f"cs_test_race_{round_number}",
        )
        session = completed_session(order, customer_details={"email": "ann@example.com"})
        httpserver.clear_all_handlers()
        stripe_server.answer_retrieve(session)
        payload = stripe_event("checkout.session.completed", session, f"evt_race_{round_number}")
        mail.outbox.clear()

        (status, _, body), webhook_status = race(
            partial(Browser(live_server.url).get, order.receipt_url),
            partial(post_webhook, live_server.url, payload),
        )

        assert (status, webhook_status) == (200, 200)
        assert "Download</a>" in body
        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        assert sorted(email.to[0] for email in mail.outbox) == sorted(
            ["ann@example.com", product.store.owner.email]
        )


@pytest.mark.django_db(transaction=True)
def test_two_claims_of_a_free_product_at_once_send_one_email(live_server):
    product = SellableProductFactory(name="Free Notes", price_cents=0)
    browsers = [Browser(live_server.url), Browser(live_server.url)]
    for browser in browsers:
        browser.get(product.get_absolute_url())
    # Each save waits for the other to get there too (as in the product form's race).
    barrier = threading.Barrier(2, timeout=2)

    def both_saving(**kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()

    buy = reverse("orders:buy", args=[product.pk])
    pre_save.connect(both_saving, sender=Order)
    try:
        results = race(
            *[partial(browser.post, buy, {"email": "ann@example.com"}) for browser in browsers]
        )
    finally:
        pre_save.disconnect(both_saving, sender=Order)

    assert [status for status, _, _ in results] == [200, 200]
    assert Order.objects.count() == 1
    assert [email.to for email in mail.outbox].count(["ann@example.com"]) == 1
    said = sorted("You can ask again in" in body for _, _, body in results)
    assert said == [False, True]
