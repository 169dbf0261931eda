"""Django's Redis cache backend, with two changes for pages read on every request.

One client per pool: Django's RedisCacheClient builds a new `redis.Redis` around its
connection pool for every cache call, and redis-py 8 spends about 0.3 ms building one
(it fills a table of ~170 response callbacks each time). A `redis.Redis` over a pool
is safe to share between calls and threads, and its pool reconnects after a fork, so
this keeps one per pool.

Near copies: a round trip to Redis costs a few tenths of a millisecond, more than the
rest of serving a cached page. `get_many_near` serves keys from copies this process
read before (for COPY_SECONDS at most). `delete_announced` deletes a key (and `clear`
every key) and announces it on a Redis channel to which every process subscribes;
before each use, a process reads, without waiting, what was announced and drops those
copies. So a key deleted anywhere is not served from a copy once the deleting request
has answered. Copies are trusted only while the subscription holds: when it fails or
reconnects (announcements may have been missed), every copy is dropped and reads go
to Redis until a new subscription is confirmed.
"""

import contextlib
import os
import time

from django.core.cache.backends import redis
from redis.exceptions import RedisError

COPY_SECONDS = 10
MAX_COPIES = 1_000
SUBSCRIBE_SECONDS = 1
# The subscription is pinged this often while in use, and copies are trusted only if
# it answered within HEARD_SECONDS: a connection that died without a word (a dropped
# route) would otherwise go on being trusted. After a failure, reads go to Redis for
# RETRY_SECONDS before subscribing again.
PING_SECONDS = 1
HEARD_SECONDS = 3
RETRY_SECONDS = 5
# Announced by clear(): no cache key is empty.
EVERYTHING = ""


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._copies = NearCopies(self)

    @property
    def channel(self):
        return f"yumroad:deleted:{self._servers[0]}"

    def get_many_near(self, keys):
        """get_many, from this process's copies where it has trusted ones."""
        return self._copies.get_many(keys)

    def set_near(self, key, value, timeout):
        """set, keeping this process's copy in step."""
        self.set(key, value, timeout)
        self._copies.keep(key, value)

    def delete_announced(self, key):
        """delete, and have every process drop its copy of `key`."""
        self.delete(key)
        self._copies.drop(key)
        self._cache.get_client(write=True).publish(self.channel, key)

    def clear(self):
        """clear, and have every process drop all its copies."""
        super().clear()
        self._copies.drop(EVERYTHING)
        self._cache.get_client(write=True).publish(self.channel, EVERYTHING)


class NearCopies:
    """The copies of one RedisCache (one per thread, as Django's caches are)."""

    def __init__(self, backend):
        self.backend = backend
        self.copies = {}
        self.pubsub = None
        self.pid = None
        self.reconnected = False
        self.heard_at = self.ping_at = self.retry_at = 0

    def get_many(self, keys):
        if not self.listening():
            return self.backend.get_many(keys)
        now = time.monotonic()
        found, missing = {}, []
        for key in keys:
            copy = self.copies.get(key)
            if copy is not None and copy[0] > now:
                found[key] = copy[1]
            else:
                missing.append(key)
        if missing:
            read = self.backend.get_many(missing)
            for key, value in read.items():
                self.keep(key, value)
            found.update(read)
        return found

    def keep(self, key, value):
        if len(self.copies) >= MAX_COPIES:
            self.copies.clear()
        self.copies[key] = (time.monotonic() + COPY_SECONDS, value)

    def drop(self, key):
        if key == EVERYTHING:
            self.copies.clear()
        self.copies.pop(key, None)

    def listening(self):
        """Subscribed, heard from lately, and with every announcement so far applied:
        only then are the copies to be trusted."""
        now = time.monotonic()
        if self.pid != os.getpid():
            # A forked process: the subscription is its parent's.
            self.pid, self.pubsub = os.getpid(), None
        if self.pubsub is None and now < self.retry_at:
            return False
        try:
            if self.pubsub is None:
                self.copies.clear()
                self.subscribe()
            if now >= self.ping_at:
                self.pubsub.ping()
                self.ping_at = now + PING_SECONDS
            while (message := self.pubsub.get_message(timeout=0)) is not None:
                self.heard_at = now
                if message["type"] == "message":
                    self.drop(message["data"].decode())
            if self.reconnected:
                raise ConnectionError("the subscription reconnected: announcements were missed")
            if now - self.heard_at > HEARD_SECONDS + PING_SECONDS:
                raise ConnectionError("the subscription stopped answering pings")
        except (RedisError, OSError):
            self.unsubscribe()
            self.retry_at = now + RETRY_SECONDS
            return False
        return now - self.heard_at <= HEARD_SECONDS

    def subscribe(self):
        self.reconnected = False
        pubsub = self.backend._cache.get_client(write=True).pubsub()
        pubsub.subscribe(self.backend.channel)
        confirmation = pubsub.get_message(timeout=SUBSCRIBE_SECONDS)
        if confirmation is None or confirmation["type"] != "subscribe":
            pubsub.close()
            raise ConnectionError("Redis did not confirm the subscription")
        # redis-py reconnects and subscribes again on its own: be told, and start over.
        pubsub.connection.register_connect_callback(self.on_reconnect)
        self.pubsub = pubsub
        self.heard_at = time.monotonic()

    def on_reconnect(self, connection):
        self.reconnected = True

    def unsubscribe(self):
        self.copies.clear()
        if self.pubsub is not None:
            if self.pubsub.connection is not None:
                # The connection goes back to the pool: its next reconnection is not ours.
                self.pubsub.connection.deregister_connect_callback(self.on_reconnect)
            with contextlib.suppress(RedisError, OSError):  # Closed already.
                self.pubsub.close()
        self.pubsub = None
