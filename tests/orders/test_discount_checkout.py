"""A buyer applies a discount code on the product page or through ?code=, and Buy
charges the discounted price: to Stripe, or nothing at all (the free path). A use is
held by a checkout until it is paid, fails or expires."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.models import Order
from tests.factories import OrderFactory, SellableProductFactory, UserFactory
from tests.orders.fake_stripe import SERVER_ERROR, SESSION_URL, stripe_event
from tests.orders.test_webhook import post_event
from yumroad_site.cache import cached

pytestmark = pytest.mark.django_db
USED_UP = "This code has been used up. You can buy it at the full price."


def buy_url(product):
    return reverse("orders:buy", args=[product.pk])


@pytest.fixture
def product(db):
    return SellableProductFactory(name="Synth Presets", price_cents=2000)


def code_of(product, **fields):
    return services.discount_code_create(
        store=product.store, **{"code": "SPRING", "percent_off": 20, **fields}
    )


def page(client, product, query=""):
    return client.get(product.get_absolute_url() + query)


@pytest.mark.usefixtures("stripe_server")
class TestTheProductPage:
    def test_a_code_in_the_address_shows_the_old_and_the_new_price(self, client, product):
        code_of(product)

        body = page(client, product, "?code=spring").content.decode()

        assert "<del>$20.00</del> <strong>$16.00</strong>" in body
        assert "Buy for $16.00" in body
        assert 'name="code" value="SPRING"' in body

    def test_the_page_offers_a_box_for_a_code(self, client, product):
        body = page(client, product).content.decode()

        assert 'name="code" maxlength="50"' in body
        assert "Buy for $20.00" in body

    @pytest.mark.parametrize(
        ("fields", "query", "reason"),
        [
            ({}, "?code=AUTUMN", "There is no such code."),
            ({}, "?code=SPR_NG", "There is no such code."),
            ({}, "?code=SPR%25NG", "There is no such code."),
            ({}, "?code=" + "S" * 5000, "There is no such code."),
            ({}, "?code=SPRING&code=x", "There is no such code."),
            ({"expires_at": timezone.now() - timedelta(minutes=1)}, "?code=SPRING", "expired"),
            ({"max_uses": 1}, "?code=SPRING", "This code has been used up."),
        ],
    )
    def test_the_page_says_why_a_code_does_not_apply(self, client, product, fields, query, reason):
        code = code_of(product, **fields)
        if code.max_uses:
            OrderFactory(product=product, discount_code=code)

        response = page(client, product, query)

        assert response.status_code == 200
        assert reason in response.content.decode()
        assert "Buy for $20.00" in response.content.decode()

    def test_a_code_of_other_products_does_not_apply(self, client, product):
        code_of(product, products=[SellableProductFactory(store=product.store)])

        body = page(client, product, "?code=SPRING").content.decode()

        assert "This code is not for this product." in body

    def test_a_code_of_another_store_does_not_exist_here(self, client, product):
        code_of(SellableProductFactory())

        body = page(client, product, "?code=SPRING").content.decode()

        assert "There is no such code." in body

    def test_codes_do_not_apply_to_pay_what_you_want(self, client, product):
        product.pay_what_you_want = True
        product.save()
        code_of(product)

        body = page(client, product, "?code=SPRING").content.decode()

        assert "Codes do not apply to pay-what-you-want prices." in body

    def test_a_code_never_reaches_another_visitors_cached_copy(self, client, product):
        code_of(product)
        page(Client(), product)  # the shared copy, cached now
        assert cached("visitor page", product.get_absolute_url()) is not None

        coded = page(client, product, "?code=SPRING").content.decode()
        plain = page(Client(), product).content.decode()

        assert "$16.00" in coded
        assert "$16.00" not in plain
        assert cached("visitor page", product.get_absolute_url() + "?code=SPRING") is None

    def test_a_code_changed_or_deleted_shows_so_at_once_on_its_page(self, client, product):
        client.force_login(product.store.owner)
        code = code_of(product)
        buyer = Client()
        assert "<strong>$16.00</strong>" in page(buyer, product, "?code=SPRING").content.decode()

        edit = reverse("orders:discount_edit", args=[code.pk])
        fields = {"code": "SPRING", "percent_off": "50", "amount_off": "", "max_uses": ""}
        assert client.post(edit, fields).status_code == 302
        assert "<strong>$10.00</strong>" in page(buyer, product, "?code=SPRING").content.decode()

        delete = reverse("orders:discount_delete", args=[code.pk])
        assert client.post(delete).status_code == 302
        body = page(buyer, product, "?code=SPRING").content.decode()
        assert "There is no such code." in body
        assert "Buy for $20.00" in body

    def test_a_members_page_with_a_code_is_not_kept_for_their_next_visit(self, client, product):
        code_of(product)
        client.force_login(UserFactory())

        assert "$16.00" in page(client, product, "?code=SPRING").content.decode()
        assert "$16.00" not in page(client, product).content.decode()


class TestBuyingWithACode:
    def test_stripe_gets_the_discounted_price_and_the_order_records_the_code(
        self, client, stripe_server, product
    ):
        code = code_of(product, code="Spring")

        response = client.post(buy_url(product), {"code": "SPRING"})

        assert response.status_code == 303
        assert response["Location"] == SESSION_URL
        order = Order.objects.get()
        assert (order.amount_cents, order.discount_cents) == (1600, 400)
        assert (order.discount_code, order.discount_code_name) == (code, "Spring")
        assert stripe_server.sent["line_items[0][price_data][unit_amount]"] == "1600"

    @pytest.mark.parametrize(
        ("fields", "price", "discount"),
        [
            ({"percent_off": None, "amount_off_cents": 500}, 1500, 500),
            ({"percent_off": None, "amount_off_cents": 1990}, 50, 1950),
            ({"percent_off": 99}, 50, 1950),
            ({"percent_off": 33}, 1340, 660),
            ({"percent_off": 1}, 1980, 20),
        ],
    )
    def test_the_discounted_price_keeps_the_fifty_cent_floor(
        self, client, stripe_server, product, fields, price, discount
    ):
        code_of(product, **fields)

        assert client.post(buy_url(product), {"code": "SPRING"}).status_code == 303

        order = Order.objects.get()
        assert (order.amount_cents, order.discount_cents) == (price, discount)

    @pytest.mark.parametrize(
        "fields", [{"percent_off": 100}, {"percent_off": None, "amount_off_cents": 2000}]
    )
    def test_all_off_makes_it_free_for_that_buyer_without_stripe(
        self, client, stripe_server, product, fields
    ):
        code_of(product, **fields)
        body = page(client, product, "?code=SPRING").content.decode()
        assert "<strong>Free</strong>" in body
        assert 'name="email"' in body

        response = client.post(buy_url(product), {"code": "SPRING", "email": "ann@example.com"})

        assert response.status_code == 302
        order = Order.objects.get()
        assert (order.status, order.amount_cents, order.discount_cents) == ("paid", 0, 2000)
        assert order.discount_code_name == "SPRING"
        assert stripe_server.requests == []

    def test_a_guest_getting_it_free_must_give_an_email(self, client, stripe_server, product):
        code_of(product, percent_off=100)

        response = client.post(buy_url(product), {"code": "SPRING"})

        assert response.status_code == 400
        body = response.content.decode()
        assert "Enter your email" in body
        assert "<del>$20.00</del> <strong>Free</strong>" in body
        assert not Order.objects.exists()

    def test_a_free_use_counts_against_the_limit(self, client, stripe_server, product):
        code = code_of(product, percent_off=100, max_uses=1)
        client.force_login(UserFactory())
        client.post(buy_url(product), {"code": "SPRING"})

        assert code.uses() == 1
        other = Client()
        response = other.post(buy_url(product), {"code": "SPRING", "email": "bo@example.com"})
        assert response.status_code == 400
        assert USED_UP in response.content.decode()

    @pytest.mark.parametrize(
        ("code", "reason"),
        [
            ("NOPE", "There is no such code."),
            ("S" * 5000, "Ensure this value has at most 200 characters"),
            ("SPRING'--", "There is no such code."),
        ],
    )
    def test_a_hostile_code_at_buy_is_refused_before_stripe(
        self, client, stripe_server, product, code, reason
    ):
        code_of(product)

        response = client.post(buy_url(product), {"code": code})

        assert response.status_code == 400
        assert reason in response.content.decode()
        assert not Order.objects.exists()
        assert stripe_server.requests == []

    def test_a_code_used_up_since_the_page_was_shown_is_refused_at_buy_then_full_price_works(
        self, client, stripe_server, product
    ):
        code = code_of(product, max_uses=1)
        OrderFactory(product=product, discount_code=code, amount_cents=1600, discount_cents=400)

        response = client.post(buy_url(product), {"code": "SPRING"})

        assert response.status_code == 400
        body = response.content.decode()
        assert USED_UP in body
        assert 'name="code" value="SPRING"' not in body
        assert "Buy for $20.00" in body
        assert stripe_server.requests == []
        assert client.post(buy_url(product), {"code": ""}).status_code == 303
        assert Order.objects.filter(status="pending").get().amount_cents == 2000

    def test_an_expired_code_is_refused_at_buy(self, client, stripe_server, product):
        code_of(product, expires_at=timezone.now() - timedelta(seconds=1))

        response = client.post(buy_url(product), {"code": "SPRING"})

        assert response.status_code == 400
        assert "This code has expired." in response.content.decode()

    def test_a_checkout_holds_a_use_until_it_expires(self, client, stripe_server, product):
        code = code_of(product, max_uses=1)
        client.post(buy_url(product), {"code": "SPRING"})
        holder = Order.objects.get()

        refused = Client().post(buy_url(product), {"code": "SPRING"})
        assert USED_UP in refused.content.decode()

        event = stripe_event("checkout.session.expired", {"id": holder.stripe_session_id})
        assert post_event(Client(), event).status_code == 200
        assert code.uses() == 0
        assert Client().post(buy_url(product), {"code": "SPRING"}).status_code == 303

    def test_a_checkout_past_its_expiry_holds_no_use(self, client, stripe_server, product):
        code = code_of(product, max_uses=1)
        client.post(buy_url(product), {"code": "SPRING"})
        Order.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert code.uses() == 0
        assert Client().post(buy_url(product), {"code": "SPRING"}).status_code == 303

    def test_a_checkout_whose_payment_failed_releases_its_use(self, client, stripe_server, product):
        code = code_of(product, max_uses=1)
        client.post(buy_url(product), {"code": "SPRING"})
        holder = Order.objects.get()

        failed = stripe_event(
            "checkout.session.async_payment_failed", {"id": holder.stripe_session_id}
        )
        assert post_event(Client(), failed).status_code == 200

        holder.refresh_from_db()
        assert holder.status == Order.Status.FAILED
        assert code.uses() == 0
        assert Client().post(buy_url(product), {"code": "SPRING"}).status_code == 303

    def test_a_checkout_stripe_refused_releases_its_use(self, client, stripe_server, product):
        code = code_of(product, max_uses=1)
        stripe_server.server.clear_all_handlers()
        stripe_server.answer_sessions(status=500, body=SERVER_ERROR)

        response = client.post(buy_url(product), {"code": "SPRING"})

        assert response.status_code == 302
        assert Order.objects.get().status == Order.Status.FAILED
        assert code.uses() == 0

    def test_a_paid_order_counts_as_a_use(self, client, stripe_server, product):
        code = code_of(product, max_uses=1)
        client.post(buy_url(product), {"code": "SPRING"})
        order = Order.objects.get()

        services.order_mark_paid(session_id=order.stripe_session_id, payment_intent="pi_x")

        order.refresh_from_db()
        assert (order.status, order.amount_cents, order.fee_cents + order.net_cents) == (
            "paid",
            1600,
            1600,
        )
        assert code.uses() == 1

    def test_a_second_buy_with_the_code_reuses_the_checkout_and_one_without_is_told(
        self, client, stripe_server, product
    ):
        code_of(product)
        client.post(buy_url(product), {"code": "SPRING"})

        assert client.post(buy_url(product), {"code": "spring"}).status_code == 303
        response = client.post(buy_url(product), {"code": ""}, follow=True)

        assert "open for $16.00" in response.content.decode()
        assert Order.objects.count() == 1

    def test_a_deleted_code_leaves_its_orders_their_name_and_discount(
        self, client, stripe_server, product
    ):
        code = code_of(product)
        client.post(buy_url(product), {"code": "SPRING"})

        services.discount_code_delete(discount_code=code)

        order = Order.objects.get()
        assert (order.discount_code, order.discount_code_name, order.discount_cents) == (
            None,
            "SPRING",
            400,
        )


def test_the_local_test_checkout_sells_at_the_discounted_price_and_the_receipt_says_so(
    client, settings, product, mailoutbox, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    code_of(product)

    response = client.post(buy_url(product), {"code": "SPRING"})

    assert response.status_code == 303
    checkout = client.get(response["Location"]).content.decode()
    assert "Pay $16.00" in checkout
    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(response["Location"], {"action": "pay", "email": "ann@example.com"})
    order = Order.objects.get()
    assert (order.status, order.amount_cents, order.discount_code_name) == ("paid", 1600, "SPRING")
    receipt = client.get(paid["Location"]).content.decode()
    assert "Discount code" in receipt
    assert "SPRING ($4.00 off)" in receipt
    (email,) = [email for email in mailoutbox if email.to == ["ann@example.com"]]
    assert "Discount code: SPRING ($4.00 off)" in email.body
    assert "SPRING ($4.00 off)" in email.alternatives[0][0]


class TestSales:
    def test_the_sales_page_and_its_csv_show_the_code_and_the_discount(self, client, product):
        client.force_login(product.store.owner)
        code = code_of(product)
        OrderFactory(
            product=product,
            discount_code=code,
            discount_code_name="SPRING",
            amount_cents=1600,
            discount_cents=400,
        )

        body = client.get(reverse("orders:sales")).content.decode()
        csv = client.get(reverse("orders:sales_export")).getvalue().decode()

        assert "SPRING ($4.00 off)" in body
        assert csv.splitlines()[1].endswith(",SPRING,4.00")
