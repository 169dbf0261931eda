"""Property tests: whatever a client sends to a form or a query parameter, the site
answers without a 500 (the test client raises it), and writes a row only for a form
it accepted."""

from urllib.parse import quote, urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import User
from orders.models import Order, StripeEvent
from products.models import Product
from stores.models import Store
from tests.factories import OrderFactory, ProductFactory, SellableProductFactory, StoreFactory
from tests.products.test_images import image_bytes

# What a client can put in a parameter: any text, raw bytes as a server might decode
# them, numbers of any size or form, and a few values known to hurt.
anything = st.one_of(
    st.sampled_from(["\0", "a\0b", "9" * 30, "-1", "1e309", "NaN", "٣", "\U00020000" * 90]),
    st.text(),
    st.binary().map(lambda raw: raw.decode("latin-1")),
    st.integers().map(str),
    st.floats().map(str),
    st.decimals().map(str),
)


def fields(*names):
    """A form with any of these fields, each holding anything."""
    return st.fixed_dictionaries({}, optional=dict.fromkeys(names, anything))


def query(*names):
    """A query string of these parameters and any others, holding anything."""
    return st.dictionaries(st.sampled_from(names) | st.text(), anything).map(urlencode)


# Any file name a client can send (a path's last part), holding any bytes or a picture.
file_name = (
    st.text(min_size=1)
    .map(lambda name: name.translate({0: None, ord("/"): "_", ord("\\"): "_"}))
    .filter(lambda name: name not in {"", ".", ".."})
)
upload = st.builds(SimpleUploadedFile, file_name, st.binary() | st.just(image_bytes()))
bounded = hypothesis_settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ANSWERS = {200, 302, 400, 403, 404, 405, 429}


def row_counts():
    return (
        User.objects.count(),
        Store.objects.count(),
        Product.objects.count(),
        Order.objects.count(),
        StripeEvent.objects.count(),
    )


def assert_answered(response, rows_before):
    assert response.status_code in ANSWERS
    if response.status_code != 302:
        assert row_counts() == rows_before


@pytest.mark.django_db
class TestForms:
    @bounded
    @given(data=fields("email", "password", "confirm", "store_name"), params=query("next"))
    def test_sign_up_answers_anything(self, client, data, params):
        cache.clear()  # each example reaches the form, not the limit of sign-up attempts
        rows = row_counts()

        response = client.post(f"{reverse('stores:signup')}?{params}", data)

        assert_answered(response, rows)
        client.logout()

    @bounded
    @given(data=fields("email", "password"), params=query("next"), forwarded_for=anything)
    def test_log_in_answers_anything(self, client, settings, data, params, forwarded_for):
        settings.TRUSTED_PROXIES = ["127.0.0.1"]
        rows = row_counts()

        response = client.post(
            f"{reverse('accounts:login')}?{params}",
            data,
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

        assert_answered(response, rows)
        client.logout()

    @bounded
    @given(data=fields("name", "description", "price", "picture_url", "status"), image=upload)
    def test_adding_a_product_answers_anything(self, creator_client, data, image):
        rows = row_counts()

        response = creator_client.post(reverse("products:create"), {**data, "image": image})

        assert_answered(response, rows)

    @bounded
    @given(data=fields("name", "price"), file=upload)
    def test_adding_a_product_with_a_file_answers_anything(self, creator_client, data, file):
        rows = row_counts()

        response = creator_client.post(
            reverse("products:create"), {"description": "A file.", **data, "file": file}
        )

        assert_answered(response, rows)

    @bounded
    @given(data=fields("next"), move=st.sampled_from(["publish", "unpublish", "restore"]))
    def test_moving_a_product_answers_anything(self, creator_client, store, data, move):
        product = ProductFactory(store=store)

        response = creator_client.post(reverse(f"products:{move}", args=[product.pk]), data)

        # 400: a NUL character (yumroad_site.middleware); else back to a page of the site.
        assert response.status_code in {302, 400}
        if response.status_code == 302:
            assert response["Location"].startswith("/")
            assert not response["Location"].startswith(("//", "/\\"))

    @bounded
    @given(data=fields("email"))
    def test_getting_a_free_product_answers_anything(self, client, data):
        product = SellableProductFactory(price_cents=0)
        cache.clear()  # each example reaches the form, not the limit of emails sent
        rows = row_counts()

        response = client.post(reverse("orders:buy", args=[product.pk]), data)

        assert_answered(response, rows)

    @bounded
    @given(data=fields("email", "action"))
    def test_the_test_checkout_answers_anything(self, client, settings, data):
        settings.DEBUG = True
        settings.STRIPE_SECRET_KEY = ""
        order = OrderFactory(status=Order.Status.PENDING, paid_at=None)
        rows = row_counts()

        response = client.post(
            reverse("orders:test_checkout", args=[order.stripe_session_id]), data
        )

        assert response.status_code in ANSWERS
        if response.status_code != 302:
            assert row_counts() == rows
            assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING

    @bounded
    @given(body=st.binary() | anything.map(str.encode), signature=anything)
    def test_the_stripe_webhook_answers_anything_unsigned_with_a_400(
        self, client, settings, body, signature
    ):
        settings.STRIPE_WEBHOOK_SECRET = "whsec_property_test"
        rows = row_counts()

        response = client.post(
            reverse("orders:stripe_webhook"),
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )

        assert response.status_code == 400
        assert row_counts() == rows

    @bounded
    @given(data=fields("name", "description", "price", "picture_url", "image-clear"))
    def test_editing_a_product_answers_anything(self, creator_client, store, data):
        product = ProductFactory(store=store)
        rows = row_counts()

        response = creator_client.post(reverse("products:edit", args=[product.pk]), data)

        assert_answered(response, rows)

    @bounded
    @given(data=fields("name"), params=query("next"))
    def test_opening_a_store_answers_anything(self, auth_client, user, data, params):
        rows = row_counts()

        response = auth_client.post(f"{reverse('stores:new')}?{params}", data)

        assert_answered(response, rows)
        Store.objects.filter(owner=user).delete()


@pytest.mark.django_db
class TestQueryParameters:
    @bounded
    @given(params=query("page", "next"), page=st.sampled_from(["products", "stores", "store"]))
    def test_lists_answer_any_query(self, client, page, params):
        store = StoreFactory()
        ProductFactory(store=store)
        url = {
            "products": reverse("products:index"),
            "stores": reverse("products:stores"),
            "store": store.get_absolute_url(),
        }[page]
        rows = row_counts()

        assert_answered(client.get(f"{url}?{params}"), rows)

    @bounded
    @given(token=anything)
    def test_download_links_answer_any_token(self, client, token):
        OrderFactory()
        rows = row_counts()

        for url in (f"/downloads/{quote(token, safe='')}/",):
            assert_answered(client.get(url), rows)
            assert_answered(client.post(url.rstrip("/") + "/resend/"), rows)

    @bounded
    @given(params=query("session_id"))
    def test_the_checkout_cancel_answers_any_query(self, client, params):
        rows = row_counts()

        assert_answered(client.get(f"{reverse('orders:cancel')}?{params}"), rows)

    @bounded
    @given(key=anything)
    def test_receipts_answer_any_key(self, client, key):
        OrderFactory()
        rows = row_counts()

        assert_answered(client.get(f"/orders/{quote(key, safe='')}/"), rows)

    @bounded
    @given(
        params=query("page", "from", "to", "product"),
        url_name=st.sampled_from(["orders:sales", "orders:sales_export", "orders:library"]),
    )
    def test_sales_and_library_answer_any_query(self, creator_client, url_name, params):
        rows = row_counts()

        assert_answered(creator_client.get(f"{reverse(url_name)}?{params}"), rows)

    @bounded
    @given(
        params=query("next"),
        url_name=st.sampled_from(["home", "accounts:login", "stores:signup", "stores:new"]),
    )
    def test_pages_answer_any_query(self, client, url_name, params):
        rows = row_counts()

        assert_answered(client.get(f"{reverse(url_name)}?{params}"), rows)

    @bounded
    @given(
        name=st.sampled_from(["sessionid", "csrftoken", "messages"]),
        # A header's bytes, as the server decodes them; the test client quotes a NUL
        # as "\\000", which the cookie parser turns back into one.
        value=st.sampled_from(["\0", "a\0bcdefghij"])
        | st.binary().map(lambda b: b.decode("latin-1")),
        url_name=st.sampled_from(["home", "products:index", "accounts:login"]),
    )
    def test_pages_answer_any_cookie(self, name, value, url_name):
        rows = row_counts()
        client = Client()
        client.cookies[name] = value

        assert_answered(client.get(reverse(url_name)), rows)

    @bounded
    @given(
        params=query(
            "q",
            "o",
            "p",
            "e",
            "created_at__year",
            "created_at__month",
            "created_at__day",
            "created_at__gte",
            "created_at__lt",
            "store__id__exact",
        )
    )
    def test_the_admins_product_list_answers_any_query(self, admin_client, params):
        ProductFactory()
        rows = row_counts()

        assert_answered(
            admin_client.get(f"{reverse('admin:products_product_changelist')}?{params}"), rows
        )

    @bounded
    @given(term=anything, page=anything)
    def test_the_admins_store_search_answers_any_term(self, admin_client, term, page):
        params = {"app_label": "products", "model_name": "product", "field_name": "store"}
        rows = row_counts()

        response = admin_client.get(
            reverse("admin:autocomplete"), {**params, "term": term, "page": page}
        )

        assert_answered(response, rows)
