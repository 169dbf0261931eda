"""Redis is a speed-up, never a dependency: with a redis-server of the test's own,
killed, frozen, flushed, replaced or restored from an older snapshot, the site serves
every page and action from the database, and never what Redis should have forgotten.

Transactional: the cache's epoch moves on in the database outside any transaction."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from orders.models import Order
from orders.services import receipt_resend
from products.models import Product
from scaleout.redis_server import RedisServer
from tests.factories import PASSWORD, OrderFactory, SellableProductFactory, UserFactory
from tests.orders import conftest as orders_conftest
from tests.orders.fake_stripe import SESSION_URL
from yumroad_site import redis_cache
from yumroad_site.models import CacheEpoch

pytestmark = pytest.mark.django_db(transaction=True)
stripe_server = orders_conftest.stripe_server


@pytest.fixture
def own_redis(tmp_path, settings):
    server = RedisServer(tmp_path / "redis").start()
    settings.CACHES = {
        "default": {
            "BACKEND": "yumroad_site.redis_cache.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25},
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield server
    server.stop()
    redis_cache._trusts.pop(server.url, None)


@pytest.fixture
def product():
    return SellableProductFactory(name="Field Guide", price_cents=1200)


def product_data(**extra):
    return {"name": "Field Guide", "description": "All of it.", "price": "12", **extra}


def log_in(client, user):
    response = client.post(reverse("accounts:login"), {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def is_logged_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code in (200, 302)
    return response.status_code == 200


def cached_keys(server):
    return [
        key.decode() for key in redis.Redis.from_url(server.url).keys("*") if b"yumroad:" not in key
    ]


def test_every_page_and_action_answers_while_redis_is_killed(
    client, own_redis, product, stripe_server
):
    own_redis.kill()

    for url in ("/", reverse("products:index"), product.get_absolute_url()):
        assert client.get(url).status_code == 200
    log_in(client, product.store.owner)
    assert is_logged_in(client)
    response = client.post(
        reverse("products:edit", args=[product.pk]), product_data(name="Renamed Guide")
    )
    assert response.status_code == 302
    assert Product.objects.get().name == "Renamed Guide"
    assert "Renamed Guide" in client.get(product.get_absolute_url()).content.decode()
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert not is_logged_in(client)
    response = client.post(reverse("orders:buy", args=[product.pk]))
    assert (response.status_code, response["Location"]) == (303, SESSION_URL)
    assert Order.objects.get().status == Order.Status.PENDING


def test_a_session_made_while_redis_is_down_is_kept_in_the_database_and_ended_there(
    client, own_redis, product
):
    own_redis.kill()
    session_key = log_in(client, product.store.owner)
    assert Session.objects.filter(session_key=session_key).exists()

    client.post(reverse("accounts:logout"))

    assert not Session.objects.filter(session_key=session_key).exists()


def test_failed_logins_still_lock_out_while_redis_is_down(client, own_redis):
    user = UserFactory()
    own_redis.kill()
    login = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"email": user.email, "password": "not the password"})

    response = client.post(login, {"email": user.email, "password": PASSWORD})

    assert response.status_code == 429


def test_a_frozen_redis_is_left_alone_once_the_breaker_opens(client, own_redis, product):
    trust = cache._trust
    own_redis.freeze()

    assert client.get(product.get_absolute_url()).status_code == 200

    # Two timeouts, then no more tries for a while: pages come from the database.
    assert trust.broken
    assert trust.epoch_for_use() is None
    assert client.get(reverse("products:index")).status_code == 200


def test_the_cache_is_used_again_once_redis_is_back(client, own_redis, product):
    own_redis.kill()
    client.get(product.get_absolute_url())
    assert cache._trust.broken
    own_redis.start()

    # After BREAKER_SECONDS, one request tries Redis again.
    cache._trust.closed_at = 0
    client.get(product.get_absolute_url())

    assert not cache._trust.broken
    assert cached_keys(own_redis)


def test_claims_and_counts_hold_per_process_while_redis_is_down(own_redis):
    order = OrderFactory()
    own_redis.kill()

    assert receipt_resend(order=order)
    assert not receipt_resend(order=order)
    assert cache.add("count", 1, 60)
    assert cache.incr("count") == 2
    assert [cache.count("counted", 60) for _ in range(2)] == [1, 2]
    with pytest.raises(ValueError, match="not found"):
        cache.incr("never-set")


def test_every_cache_call_reads_as_a_miss_and_skips_its_write_while_redis_is_down(own_redis):
    cache.set("kept", 1)
    own_redis.kill()

    assert cache.get("kept", "default") == "default"
    assert cache.get_many(["kept"]) == {}
    assert cache.get_many_near(["kept"]) == {}
    assert not cache.has_key("kept")
    assert not cache.touch("kept", 60)
    assert not cache.delete("kept")
    assert cache.get_or_set("made", lambda: "fresh") == "fresh"
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    cache.set("other", 2)
    cache.set_near("near", 3, 60)
    cache.delete_many(["a", "b"])
    cache.delete_announced("kept")
    assert not cache.clear()


def current_epoch():
    return CacheEpoch.objects.values_list("value", flat=True).first() or 0


def test_a_write_lost_inside_a_transaction_moves_the_epoch_on_once_it_ends(own_redis):
    cache.set("page", "old")
    epoch = current_epoch()
    own_redis.freeze()
    with transaction.atomic():
        cache.delete("page")
        own_redis.thaw()
        cache._trust.closed_at = 0

        # Not before the commit: the new epoch would not show to anyone.
        assert cache.get("page") is None
        assert current_epoch() == epoch

    assert cache.get("page") is None
    assert current_epoch() == epoch + 1


def visit(client, product):
    """A cached visitor's copy of the product page and a logged-in owner's session."""
    assert "Field Guide" in client.get(product.get_absolute_url()).content.decode()


class TestWhatRedisShouldHaveForgotten:
    """A page changed and a session ended while Redis was away, or before it went back
    in time, are never served from it."""

    @pytest.fixture
    def seen(self, client, own_redis, product, django_user_model):
        visitor = type(client)()
        visit(visitor, product)
        session_key = log_in(client, product.store.owner)
        assert is_logged_in(client)
        assert cached_keys(own_redis)
        return visitor, session_key

    def change_and_log_out(self, client, product):
        product.name = "Second Edition"
        product.save()
        client.post(reverse("accounts:logout"))

    def assert_forgotten(self, client, visitor, session_key, product):
        body = visitor.get(product.get_absolute_url()).content.decode()
        assert "Second Edition" in body
        assert "Field Guide" not in body
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
        assert not is_logged_in(client)

    def test_a_redis_restored_from_an_older_snapshot(self, client, own_redis, product, seen):
        visitor, session_key = seen
        old = own_redis.snapshot_save("old.rdb")
        self.change_and_log_out(client, product)

        own_redis.restart(snapshot=old)

        self.assert_forgotten(client, visitor, session_key, product)

    def test_a_redis_frozen_while_things_changed(self, client, own_redis, product, seen):
        visitor, session_key = seen
        own_redis.freeze()
        self.change_and_log_out(client, product)

        own_redis.thaw()
        cache._trust.closed_at = 0

        self.assert_forgotten(client, visitor, session_key, product)

    def test_a_redis_killed_while_things_changed_and_started_again(
        self, client, own_redis, product, seen
    ):
        visitor, session_key = seen
        old = own_redis.snapshot_save("old.rdb")
        own_redis.kill()
        self.change_and_log_out(client, product)

        own_redis.start(snapshot=old)
        cache._trust.closed_at = 0

        self.assert_forgotten(client, visitor, session_key, product)

    def test_a_flushed_redis(self, client, own_redis, product, seen):
        visitor, session_key = seen
        self.change_and_log_out(client, product)

        redis.Redis.from_url(own_redis.url).flushall()

        self.assert_forgotten(client, visitor, session_key, product)

    def test_a_replaced_redis(self, client, own_redis, product, seen):
        visitor, session_key = seen
        self.change_and_log_out(client, product)

        own_redis.restart()  # empty, at the same address

        self.assert_forgotten(client, visitor, session_key, product)


def test_a_count_starts_with_its_expiry_and_counts_every_call_at_once(own_redis):
    assert cache.count("hits", 60) == 1
    raw = cache._cache.get_client(write=True)
    assert 0 < raw.ttl(cache.make_and_validate_key("hits")) <= 60

    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(lambda _: cache.count("hits", 60), range(40)))

    assert sorted(counts) == list(range(2, 42))
