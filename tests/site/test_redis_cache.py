import contextlib
import os
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import redis

from yumroad_site import redis_cache
from yumroad_site.redis_cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="needs Redis: the suite's Redis run (.ci/run) sets REDIS_URL"
)


def test_every_call_shares_one_redis_client_over_the_connection_pool():
    # No connection is made until a command is sent: no Redis server is needed here.
    backend = RedisCache("redis://127.0.0.1:6379/5", {})

    client = backend._cache.get_client()

    assert isinstance(client, redis.Redis)
    assert backend._cache.get_client("some-key") is client
    assert backend._cache.get_client(write=True) is client
    assert client.connection_pool is backend._cache._get_connection_pool(write=True)


class Route:
    """A TCP route to Redis that can go silent: bytes stop flowing both ways, and no
    side is told (no FIN, no RST), as when a network path drops."""

    def __init__(self, url):
        parts = urlsplit(url)
        self.target = (parts.hostname, parts.port or 6379)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.listener.getsockname()[1]}{parts.path}"
        self.flowing = threading.Event()
        self.flowing.set()
        self.sockets = [self.listener]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        with contextlib.suppress(OSError):  # Closed.
            while True:
                near, _ = self.listener.accept()
                far = socket.create_connection(self.target)
                self.sockets += [near, far]
                for source, sink in ((near, far), (far, near)):
                    threading.Thread(target=self.pipe, args=(source, sink), daemon=True).start()

    def pipe(self, source, sink):
        with contextlib.suppress(OSError):  # Closed.
            while data := source.recv(65536):
                self.flowing.wait()
                sink.sendall(data)

    def go_silent(self):
        self.flowing.clear()

    def close(self):
        for sock in self.sockets:
            sock.close()
        self.flowing.set()


@needs_redis
@pytest.mark.django_db  # the cache's epoch is read from the database
class TestNearCopies:
    """Two backends over one Redis stand for two processes (or threads)."""

    @pytest.fixture
    def backends(self):
        first, second = RedisCache(REDIS_URL, {}), RedisCache(REDIS_URL, {})
        first.clear()
        yield first, second
        first.clear()
        for backend in (first, second):
            backend._copies.unsubscribe()

    def copied(self, first, second):
        """`second` holds a copy of the key "version", set to "v1" through `first`."""
        first.set("version", "v1")
        assert second.get_many_near(["version"]) == {"version": "v1"}

    def behind_its_back(self, backend, key, value):
        """Change `key` in Redis without telling anyone, as a stale copy would miss."""
        raw = backend._cache.get_client(write=True)
        raw.set(backend.make_and_validate_key(key), backend._cache._serializer.dumps(value))

    def test_a_value_read_once_is_served_from_the_copy(self, backends):
        first, second = backends
        self.copied(first, second)

        self.behind_its_back(first, "version", "unannounced")

        assert second.get_many_near(["version"]) == {"version": "v1"}

    def test_a_key_deleted_anywhere_is_dropped_from_every_copy_at_once(self, backends):
        first, second = backends
        self.copied(first, second)

        first.delete_announced("version")

        assert second.get_many_near(["version"]) == {}
        first.set("version", "v2")
        assert second.get_many_near(["version"]) == {"version": "v2"}

    def test_a_value_set_here_updates_this_copy(self, backends):
        first, _ = backends
        first.set("page", "old")
        first.get_many_near(["page"])

        first.set_near("page", "new", 60)

        assert first.get_many_near(["page"]) == {"page": "new"}

    def test_copies_are_dropped_when_the_subscription_is_lost(self, backends):
        first, second = backends
        self.copied(first, second)
        self.behind_its_back(first, "version", "changed while unheard")

        # Announcements sent while a subscriber is away are lost: Redis drops it.
        first._cache.get_client(write=True).client_kill_filter(_type="pubsub")

        assert second.get_many_near(["version"]) == {"version": "changed while unheard"}
        # Not subscribed again at once (Redis may be down)...
        self.behind_its_back(first, "version", "read from Redis")
        assert second.get_many_near(["version"]) == {"version": "read from Redis"}
        # ...but after a while (RETRY_SECONDS), and then copies are served again.
        second._copies.retry_at = 0
        second.get_many_near(["version"])
        self.behind_its_back(first, "version", "later")
        assert second.get_many_near(["version"]) == {"version": "read from Redis"}

    def test_copies_are_not_trusted_once_the_subscription_stops_answering(
        self, backends, caplog, monkeypatch
    ):
        first, second = backends
        self.copied(first, second)
        self.behind_its_back(first, "version", "changed while unanswered")

        # Quiet for a minute, and its pings lost on the way (as if the route dropped):
        # no answer comes within the socket timeout.
        second._copies.heard_at -= 60
        monkeypatch.setattr(second._copies.pubsub, "ping", lambda message=None: None)

        assert second.get_many_near(["version"]) == {"version": "changed while unanswered"}
        # A busy process answers pings late too: that is no failure of Redis for the
        # breaker to count (open, it would retire the whole cache).
        assert "Redis failed" not in caplog.text

    def test_a_quiet_subscription_that_answers_a_ping_keeps_its_copies(self, backends):
        # A thread that served nothing for a while (its process served other pages)
        # pings once and goes on serving its copies, rather than reading from Redis
        # for RETRY_SECONDS.
        first, second = backends
        self.copied(first, second)
        second._copies.heard_at -= 60
        self.behind_its_back(first, "version", "unannounced")

        assert second.get_many_near(["version"]) == {"version": "v1"}
        assert time.monotonic() - second._copies.heard_at < 1

    def test_what_was_announced_while_quiet_is_dropped_before_use(self, backends):
        first, second = backends
        self.copied(first, second)
        second._copies.heard_at -= 60

        first.delete_announced("version")

        assert second.get_many_near(["version"]) == {}

    def test_a_cleared_cache_is_dropped_from_every_copy(self, backends):
        first, second = backends
        self.copied(first, second)

        first.clear()

        assert second.get_many_near(["version"]) == {}

    def test_copies_are_dropped_when_redis_py_reconnects_on_its_own(self, backends, caplog):
        first, second = backends
        self.copied(first, second)
        self.behind_its_back(first, "version", "changed while reconnecting")

        second._copies.on_reconnect(connection=None)

        assert second.get_many_near(["version"]) == {"version": "changed while reconnecting"}
        assert "Redis failed" not in caplog.text

    def test_copies_are_not_trusted_long_after_the_route_to_redis_went_silent(
        self, backends, monkeypatch
    ):
        # A process cut off from Redis without a word (no FIN: a dropped route) hears
        # no announcement and no error, while other servers delete through their own
        # routes and the epoch stays. Its copies are trusted HEARD_SECONDS at most.
        # (redis-py's own client-side cache fails this: it has no such bound.)
        monkeypatch.setattr(redis_cache, "HEARD_SECONDS", 0.5)
        first, _ = backends
        route = Route(REDIS_URL)
        options = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}
        cut_off = RedisCache(route.url, {"OPTIONS": options})
        try:
            first.set("version", "v1")
            assert cut_off.get_many_near(["version"]) == {"version": "v1"}

            route.go_silent()
            first.delete_announced("version")
            time.sleep(0.6)

            assert cut_off.get_many_near(["version"]) == {}
        finally:
            cut_off._copies.unsubscribe()
            route.close()
            redis_cache._trusts.pop(route.url, None)

    def test_copies_are_bounded(self, backends, monkeypatch):
        monkeypatch.setattr("yumroad_site.redis_cache.MAX_COPIES", 2)
        first, _ = backends
        first.set_many({"a": 1, "b": 2, "c": 3})

        first.get_many_near(["a", "b", "c"])

        assert len(first._copies.copies) <= 2
        assert first.get_many_near(["a", "b", "c"]) == {"a": 1, "b": 2, "c": 3}
