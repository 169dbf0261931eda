import hashlib
import re
from collections import Counter

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order
from orders.services import order_mark_paid, order_refund
from tests.factories import (
    OrderFactory,
    ProductFactory,
    SellableProductFactory,
    StoreFactory,
    UserFactory,
)
from tests.utils import messages_of
from yumroad_site.apps import site_cache_check
from yumroad_site.cache import _random_indexes, cached
from yumroad_site.retirement import member_changed

LOGIN_URL = reverse("accounts:login")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def product(db):
    return SellableProductFactory(name="Cached Guide", price_cents=0)


def kept_for_visitors(path):
    """Whether the cache holds a visitors' copy of the page at `path`."""
    return cached("visitor page", path) is not None


def catalogue_urls(product):
    return [
        reverse("home"),
        reverse("products:index"),
        product.get_absolute_url(),
        reverse("products:stores"),
        product.store.get_absolute_url(),
    ]


@pytest.mark.django_db
class TestVisitorsPageCache:
    def test_a_second_visitor_gets_every_catalogue_page_without_a_query(
        self, product, django_assert_num_queries
    ):
        for url in catalogue_urls(product):
            Client().get(url)

            with django_assert_num_queries(0):
                response = Client().get(url)

            assert response.status_code == 200
            assert product.store.name in response.content.decode()

    def test_a_store_whose_address_is_not_ascii_is_cached_too(self, django_assert_num_queries):
        store = StoreFactory(name="Ärger Laden", slug="ärger-laden")
        url = store.get_absolute_url()
        Client().get(url)

        with django_assert_num_queries(0):
            response = Client().get(url)

        assert url == "/stores/%C3%A4rger-laden/"
        assert "Ärger Laden" in response.content.decode()

    def test_each_visitor_gets_their_own_csrf_token_and_it_works(self, product):
        first = Client(enforce_csrf_checks=True)
        second = Client(enforce_csrf_checks=True)

        first_token = TOKEN.search(first.get(product.get_absolute_url()).content.decode())[1]
        second_page = second.get(product.get_absolute_url())
        second_token = TOKEN.search(second_page.content.decode())[1]
        claim = second.post(
            reverse("orders:buy", args=[product.pk]),
            {"csrfmiddlewaretoken": second_token, "email": "second@example.com"},
        )

        assert second_token != first_token
        assert claim.status_code == 302
        assert Order.objects.get().email == "second@example.com"

    def test_a_cached_pages_token_masks_the_csrf_cookie_it_sets_or_the_one_it_was_sent(
        self, product
    ):
        visitor = Client()
        visitor.get(product.get_absolute_url())  # cached now

        first = visitor.get(product.get_absolute_url())
        secret = first.cookies[settings.CSRF_COOKIE_NAME].value
        again = visitor.get(product.get_absolute_url())
        tokens = [TOKEN.search(page.content.decode())[1] for page in (first, again)]

        assert len(secret) == 32
        assert set(secret) <= set(CSRF_ALLOWED_CHARS)
        # A new mask each time, over the one secret the browser holds.
        assert tokens[0] != tokens[1]
        assert [_unmask_cipher_token(token) for token in tokens] == [secret, secret]
        assert again.cookies[settings.CSRF_COOKIE_NAME].value == secret

    def test_a_token_goes_only_into_the_forms_never_into_a_sellers_text(self, db):
        product = SellableProductFactory(
            price_cents=0,
            picture_url="https://evil.example/p.png?t=__yumroad_csrf_token__",
            description='name="csrfmiddlewaretoken" value="abcdef" __yumroad_csrf_token__',
        )
        Client().get(product.get_absolute_url())

        body = Client().get(product.get_absolute_url()).content.decode()

        token = TOKEN.search(body)[1]
        assert body.count(token) == 1
        assert "https://evil.example/p.png?t=__yumroad_csrf_token__" in body

    def test_a_message_reaches_only_its_visitor(self, client, product):
        Client().get(product.get_absolute_url())

        response = client.post(
            reverse("orders:buy", args=[product.pk]), {"email": "ann@example.com"}, follow=True
        )
        other = Client().get(product.get_absolute_url())

        assert any("Check your email" in message for message in messages_of(response))
        assert "Check your email" not in other.content.decode()

    def test_a_logged_in_user_gets_their_own_page(self, product, user):
        Client().get(product.get_absolute_url())
        member = Client()
        member.force_login(user)

        body = member.get(product.get_absolute_url()).content.decode()

        assert user.email in body
        assert "Log out" in body

    def test_a_changed_product_shows_at_once(self, product):
        Client().get(product.get_absolute_url())
        Client().get(reverse("products:index"))

        product.name = "Renamed Guide"
        product.save()

        assert "Renamed Guide" in Client().get(product.get_absolute_url()).content.decode()
        assert "Renamed Guide" in Client().get(reverse("products:index")).content.decode()

    def test_a_new_product_shows_at_once_on_its_store_page(self, product):
        store_url = product.store.get_absolute_url()
        Client().get(store_url)

        ProductFactory(store=product.store, name="Brand New Thing")

        assert "Brand New Thing" in Client().get(store_url).content.decode()

    def test_addresses_with_made_up_parameters_share_one_cached_list(
        self, product, django_assert_num_queries
    ):
        Client().get(reverse("products:index") + "?utm_source=spam")

        # The list cached for the first address serves the second: nothing was kept
        # per made-up address.
        with django_assert_num_queries(0):
            response = Client().get(reverse("products:index") + "?utm_source=more-spam")

        assert "Cached Guide" in response.content.decode()

    def test_a_missing_page_is_not_cached(self, db, django_assert_num_queries):
        StoreFactory()
        Client().get("/products/?page=9")

        with django_assert_num_queries(1):
            response = Client().get("/products/?page=9")

        assert response.status_code == 404


@pytest.mark.django_db
class TestMembersPageCache:
    @pytest.fixture
    def member(self, user):
        client = Client()
        client.force_login(user)
        return client

    def test_a_member_gets_every_catalogue_page_for_the_session_query_alone(
        self, product, user, member, django_assert_num_queries
    ):
        for url in catalogue_urls(product):
            member.get(url)

            # The session (in the database in tests, in Redis in production).
            with django_assert_num_queries(1):
                body = member.get(url).content.decode()

            assert user.email in body
            assert product.store.name in body

    def test_each_member_gets_their_own_page(self, product, user):
        other_user = UserFactory(email="other.member@example.com")
        pages = {}
        for person in (user, other_user):
            member = Client()
            member.force_login(person)
            member.get(product.get_absolute_url())
            pages[person.email] = member.get(product.get_absolute_url()).content.decode()

        assert other_user.email not in pages[user.email]
        assert user.email not in pages[other_user.email]

    def test_a_cached_page_gives_the_member_a_working_csrf_token(self, product, user):
        member = Client(enforce_csrf_checks=True)
        member.force_login(user)
        member.get(product.get_absolute_url())
        token = TOKEN.search(member.get(product.get_absolute_url()).content.decode())[1]

        claim = member.post(
            reverse("orders:buy", args=[product.pk]), {"csrfmiddlewaretoken": token}
        )

        assert claim.status_code == 302
        assert Order.objects.get().buyer == user

    def test_a_purchase_shows_on_the_product_page_at_once(self, product, user, member):
        assert "Get it free" in member.get(product.get_absolute_url()).content.decode()

        member.post(reverse("orders:buy", args=[product.pk]))

        body = member.get(product.get_absolute_url()).content.decode()
        assert "You own this." in body
        assert "Get it free" not in body

    def test_a_paid_checkout_and_its_refund_show_at_once(self, user, member):
        product = SellableProductFactory(price_cents=1500)
        order = OrderFactory(product=product, buyer=user, status=Order.Status.PENDING, paid_at=None)
        url = product.get_absolute_url()
        member.get(url)

        order_mark_paid(session_id=order.stripe_session_id)
        owned = member.get(url).content.decode()
        order_refund(payment_intent=order.payment_intent_id, refunded_cents=1500, full=True)
        refunded = member.get(url).content.decode()

        assert "You own this." in owned
        assert "You own this." not in refunded

    def test_a_message_shows_once_and_only_to_its_member(self, product, user, member):
        member.get(product.get_absolute_url())

        shown = member.post(reverse("orders:buy", args=[product.pk]), follow=True)
        after = member.get(product.get_absolute_url())

        assert messages_of(shown)
        assert not messages_of(after)
        assert all(message not in after.content.decode() for message in messages_of(shown))

    def test_a_new_email_shows_at_once(self, product, user, member):
        member.get(product.get_absolute_url())

        user.email = "renamed.member@example.com"
        user.save()

        assert (
            "renamed.member@example.com" in member.get(product.get_absolute_url()).content.decode()
        )

    def test_a_changed_password_ends_the_other_sessions_cached_pages(self, product, user):
        other_session = Client()
        other_session.force_login(user)
        other_session.get(product.get_absolute_url())

        user.set_password("a-brand-new-Passphrase-7")
        user.save()

        body = other_session.get(product.get_absolute_url()).content.decode()
        assert user.email not in body
        assert "Log in" in body

    def test_a_deactivated_member_gets_no_cached_page(self, product, user, member):
        member.get(product.get_absolute_url())

        user.is_active = False
        user.save()

        assert user.email not in member.get(product.get_absolute_url()).content.decode()

    def test_a_logged_out_session_gets_no_cached_page(self, product, user, member):
        member.get(product.get_absolute_url())
        old_cookie = member.cookies[settings.SESSION_COOKIE_NAME].value

        member.post(reverse("accounts:logout"))
        replay = Client()
        replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie

        assert user.email not in replay.get(product.get_absolute_url()).content.decode()

    def test_a_new_secret_key_is_not_fooled_by_a_cached_page(self, product, user, member, settings):
        member.get(product.get_absolute_url())

        settings.SECRET_KEY = "another-secret-key-" + "x" * 40

        assert user.email not in member.get(product.get_absolute_url()).content.decode()

    def test_a_member_sees_a_new_product_at_once(self, member):
        store = StoreFactory()
        ProductFactory(store=store, name="First Thing")
        member.get(store.get_absolute_url())

        ProductFactory(store=store, name="Second Thing")

        body = member.get(store.get_absolute_url()).content.decode()
        assert "Second Thing" in body
        assert "2 products" in body


@pytest.mark.django_db
class TestWhatIsCached:
    @pytest.mark.parametrize("count", [1, 30])
    def test_a_page_missing_from_the_cache_has_its_list_cached(
        self, client, user, django_assert_num_queries, count
    ):
        store = StoreFactory()
        ProductFactory.create_batch(count, store=store)
        client.force_login(user)
        urls = [reverse("products:index"), reverse("products:stores"), store.get_absolute_url()]
        for url in urls:
            client.get(url)
        member_changed(user.pk)

        # Every page anew for this member, the lists from the cache. 1: the session;
        # 2: the user.
        for url in urls[:2]:
            with django_assert_num_queries(2):
                assert client.get(url).status_code == 200
        # 3: the store, by its address.
        with django_assert_num_queries(3):
            body = client.get(store.get_absolute_url()).content.decode()
        assert f"{count} product" in body
        assert user.email in body

    @pytest.mark.parametrize("query", ["page=01", "page=2&page=1", "page=1&x=1", "q=guide"])
    def test_other_spellings_of_a_page_are_served_but_not_kept(self, product, query):
        response = Client().get(f"/products/?{query}")

        assert response.status_code == 200
        assert not kept_for_visitors(f"/products/?{query}")
        Client().get("/products/?page=1")
        assert kept_for_visitors("/products/?page=1")

    def test_a_page_without_pagination_is_not_kept_per_page_number(self, product):
        for number in range(1, 4):
            assert Client().get(f"/?page={number}").status_code == 200

        assert not any(kept_for_visitors(f"/?page={number}") for number in range(1, 4))
        Client().get("/")
        assert kept_for_visitors("/")

    def test_another_spelling_of_an_address_is_served_but_not_kept(self, product):
        spelled = f"/products/{product.pk:05d}/"

        assert Client().get(spelled).status_code == 200

        assert not kept_for_visitors(spelled)
        Client().get(product.get_absolute_url())
        assert kept_for_visitors(product.get_absolute_url())

    def test_the_cached_list_is_markup_not_escaped_text(self, client, product):
        body = Client().get(reverse("products:index")).content.decode()

        assert 'class="card h-100' in body
        assert "&lt;div" not in body


@pytest.mark.django_db
class TestLoginPageCache:
    def test_each_visitor_logs_in_with_the_token_of_their_cached_page(self, user, password):
        Client().get(LOGIN_URL)
        visitor = Client(enforce_csrf_checks=True)
        page = visitor.get(LOGIN_URL).content.decode()

        response = visitor.post(
            LOGIN_URL,
            {
                "csrfmiddlewaretoken": TOKEN.search(page)[1],
                "email": user.email,
                "password": password,
            },
        )

        assert response.status_code == 302
        assert visitor.session["_auth_user_id"] == str(user.pk)

    def test_a_next_address_is_never_taken_from_the_cache(self, db):
        Client().get(LOGIN_URL + "?next=/stores/")

        page = Client().get(LOGIN_URL + "?next=/dashboard/").content.decode()

        assert 'value="/dashboard/"' in page


@pytest.mark.django_db
def test_a_cached_page_keeps_the_headers_of_the_page_it_copies(product):
    first = Client().get(product.get_absolute_url())

    second = Client().get(product.get_absolute_url())

    for header in ("Content-Security-Policy", "X-Frame-Options", "Permissions-Policy"):
        assert second[header] == first[header]
    assert second["Content-Type"] == "text/html; charset=utf-8"
    assert int(second["Content-Length"]) == len(second.content)


def test_form_tokens_draw_every_character_of_the_alphabet_evenly():
    counts = Counter(index for _ in range(2_000) for index in _random_indexes(32))

    assert set(counts) == set(range(len(CSRF_ALLOWED_CHARS)))
    # 64,000 draws: about 1,032 each; a character favoured or left out shows.
    assert 850 < min(counts.values()) <= max(counts.values()) < 1_250


def test_the_site_refuses_to_start_on_a_cache_the_page_cache_cannot_use(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    errors = site_cache_check()

    assert [error.id for error in errors] == ["yumroad_site.E001"]


@pytest.mark.parametrize(
    ("backend", "location"),
    [
        ("yumroad_site.file_cache.FileBasedCache", "yumroad-cache"),
        ("yumroad_site.redis_cache.RedisCache", "redis://127.0.0.1:6379/5"),
    ],
)
def test_both_site_backends_pass_the_start_up_check(settings, tmp_path, backend, location):
    # No Redis is reached: the backend is only built.
    location = str(tmp_path / location) if location.startswith("yumroad") else location
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": location}}

    assert site_cache_check() == []


@pytest.mark.django_db
def test_a_copy_an_older_release_left_in_the_cache_is_never_read(product):
    # Before copies named their version keys, an entry was (versions, value), under
    # "page-cache:<digest>": a release still reading those keys would unpack it wrongly.
    path = product.get_absolute_url()
    digest = hashlib.blake2b(f"visitor page\0{path}".encode(), digest_size=16).hexdigest()
    cache.set(f"page-cache:{digest}", (("old",), ("an old page",)))

    response = Client().get(path)

    assert response.status_code == 200
    assert product.name in response.content.decode()


def test_a_request_with_credentials_is_neither_served_a_copy_nor_kept(client, product):
    path = product.get_absolute_url()
    credentials = {"Authorization": "Bearer someone's token"}
    client.get(path, headers=credentials)
    assert not kept_for_visitors(path)

    client.get(path)
    assert kept_for_visitors(path)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, headers=credentials).status_code == 200
    assert queries  # made anew, not the visitors' copy
