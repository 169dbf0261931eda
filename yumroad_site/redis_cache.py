"""Django's Redis cache backend, made a speed-up the site can do without.

One client per pool: Django's RedisCacheClient builds a new `redis.Redis` around its
connection pool for every cache call, and redis-py 8 spends about 0.3 ms building one
(it fills a table of ~170 response callbacks each time). A `redis.Redis` over a pool
is safe to share between calls and threads, and its pool reconnects after a fork, so
this keeps one per pool.

Redis down is a miss: a call that fails (refused, or no answer within the socket
timeout, REDIS_SOCKET_TIMEOUT) reads as a miss and skips its write. After
BREAKER_FAILURES failures in a row, a process stops trying for BREAKER_SECONDS, then
lets one call try. add() and incr() (claims and counts: the resend interval, rate
limits) fall back to this process's memory meanwhile, so a limit still holds per
process rather than not at all.

A Redis the site can trust: every key carries the cache epoch, a number kept in the
database (yumroad_site.models.CacheEpoch) and read at most once every EPOCH_SECONDS per
process. Moving it on makes every key written before unreachable. It moves on when a
delete or a set may not have reached Redis (else a Redis that comes back would serve
what was deleted: an ended session, an old page) and when a connection finds a Redis
that is not the one the epoch was used on: each new connection compares the server's
run_id with the sentinel key of the epoch, written by the first connection to use it.
A restarted, restored or replaced Redis has another run_id; a flushed one has no
sentinel, and nothing old to serve.

Near copies: a round trip to Redis costs a few tenths of a millisecond, more than the
rest of serving a cached page. `get_many_near` serves keys from copies this process
read before (for COPY_SECONDS at most). `delete_announced` deletes a key (and `clear`
every key) and announces it on a Redis channel to which every process subscribes;
before each use, a process reads, without waiting, what was announced and drops those
copies. So a key deleted anywhere is not served from a copy once the deleting request
has answered. Copies are trusted only while the subscription holds: when it fails or
reconnects (announcements may have been missed), every copy is dropped and reads go
to Redis until a new subscription is confirmed. A new epoch drops them too.
"""

import contextlib
import logging
import os
import secrets
import threading
import time

from django.core.cache.backends import redis
from django.core.cache.backends.locmem import LocMemCache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.functional import cached_property
from redis import ConnectionPool
from redis.exceptions import RedisError

from yumroad_site.cache_backend import ScriptsUnavailable, SiteCache

logger = logging.getLogger(__name__)

COPY_SECONDS = 10
MAX_COPIES = 1_000
# The subscription is pinged this often while in use, and copies are trusted only if
# it answered within HEARD_SECONDS: a connection that died without a word (a dropped
# route) would otherwise go on being trusted. One quiet for longer (its thread served
# nothing) is pinged and waited for once before its copies are used. After a failure,
# reads go to Redis for RETRY_SECONDS before subscribing again.
PING_SECONDS = 1
HEARD_SECONDS = 3
RETRY_SECONDS = 5
# Announced by clear(): no cache key is empty.
EVERYTHING = ""
# Two failures in a row cost at most twice the socket timeout; then one try every
# BREAKER_SECONDS per process.
BREAKER_FAILURES = 2
BREAKER_SECONDS = 5
EPOCH_SECONDS = 1
FALLBACK_ENTRIES = 10_000


class Distrusted(RedisError):
    """The Redis a connection reached is not the one the epoch's keys were written to."""


class SubscriptionLapsed(ConnectionError):
    """The subscription went quiet or reconnected: announcements may have been missed, so
    the near copies go. Not a failure of Redis: a busy process answers pings late, and
    a Redis that is really gone fails the read that follows."""


def _read_epoch():
    """The epoch in the database, read on a connection of its own: not in the request's
    transaction (or its query count)."""
    from yumroad_site.models import CacheEpoch

    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(CacheEpoch._meta.db_table)
            cursor.execute(f"SELECT value FROM {table} WHERE id = 1")
            row = cursor.fetchone()
    finally:
        connection.close()
    return row[0] if row else 0


def _bump_epoch():
    from yumroad_site.models import CacheEpoch

    with transaction.atomic():
        epoch, _ = CacheEpoch.objects.select_for_update().get_or_create(pk=1)
        epoch.value += 1
        epoch.save(update_fields=["value"])
    return epoch.value


def _run_id(info):
    """The server's run_id in INFO's answer (without one, SET refuses None: a failure)."""
    return dict(line.split(":", 1) for line in info.decode().split("\r\n") if ":" in line).get(
        "run_id"
    )


class Trust:
    """Per process and Redis server: the breaker, and the epoch in use."""

    def __init__(self):
        self.lock = threading.Lock()
        self.failures = 0
        self.closed_at = 0.0  # when the breaker lets a call try again
        self.epoch = None
        self.read_at = float("-inf")
        self.stale = False  # a write may be lost: move the epoch on before using Redis

    def epoch_for_use(self):
        """The epoch to use Redis under now, or None: not now (the breaker is open, or
        the epoch is unknown or must move on and can't yet)."""
        with self.lock:
            now = time.monotonic()
            if self.failures >= BREAKER_FAILURES and now < self.closed_at:
                return None
            if self.stale and not self._bump():
                return None
            if now - self.read_at >= EPOCH_SECONDS:
                self.read_at = now
                try:
                    self.epoch = _read_epoch()
                except Exception:
                    logger.warning("Could not read the cache epoch", exc_info=True)
            if self.failures >= BREAKER_FAILURES:
                self.closed_at = now + BREAKER_SECONDS  # this call is the one that tries
            return self.epoch

    def _bump(self):
        # Inside a transaction the new epoch would show only at its commit (or never):
        # Redis waits for a call outside one.
        if transaction.get_connection().in_atomic_block:
            return False
        try:
            self.epoch = _bump_epoch()
        except Exception:
            logger.warning("Could not move the cache epoch on", exc_info=True)
            return False
        self.read_at = time.monotonic()
        self.stale = False
        logger.warning("The cache moved on to epoch %s: older keys are unreachable", self.epoch)
        return True

    def write_lost(self, *, now):
        """A write may not have reached Redis: the epoch moves on, `now` or before this
        process uses Redis again."""
        with self.lock:
            self.stale = True
            if now:
                self._bump()

    def succeeded(self):
        self.failures = 0

    def failed(self, error):
        with self.lock:
            if self.failures < BREAKER_FAILURES:
                logger.warning("Redis failed: %r", error)
            self.failures += 1
            if self.failures == BREAKER_FAILURES:
                logger.warning("Redis is not tried for %s seconds", BREAKER_SECONDS)
            if self.failures >= BREAKER_FAILURES:
                self.closed_at = time.monotonic() + BREAKER_SECONDS

    @property
    def broken(self):
        return self.failures >= BREAKER_FAILURES

    def verify(self, connection, epoch):
        """Claim the sentinel of `epoch` for this server, or raise Distrusted when it
        holds another server's run_id (a restart, a restore, a replacement)."""
        try:
            connection.send_command("INFO", "server")
            run_id = _run_id(connection.read_response())
            connection.send_command("SET", f"yumroad:epoch:{epoch}", run_id, "NX", "GET")
            claimed_by = connection.read_response()
            if claimed_by is not None and claimed_by.decode() != run_id:
                with self.lock:
                    self.stale = True
                raise Distrusted(f"epoch {epoch} was used on another Redis")
        except BaseException:
            connection.disconnect()
            raise


_trusts = {}
_trusts_lock = threading.Lock()
os.register_at_fork(after_in_child=_trusts.clear)


def trust_of(server):
    with _trusts_lock:
        return _trusts.setdefault(server, Trust())


class VerifiedConnectionPool(ConnectionPool):
    """Each connection, when it connects, checks the server is the epoch's."""

    trust = None

    def make_connection(self):
        connection = super().make_connection()
        connection.register_connect_callback(self.on_connect)
        return connection

    def on_connect(self, connection):
        if self.trust is not None:
            self.trust.verify(connection, self.trust.epoch)


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, servers, *, trust=None, **options):
        options.setdefault("pool_class", VerifiedConnectionPool)
        super().__init__(servers, **options)
        self._clients = {}
        self.trust = trust

    def _get_connection_pool(self, write):
        pool = super()._get_connection_pool(write)
        pool.trust = self.trust
        return pool

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


def _none():
    return None


def _false():
    return False


def _scripts_unavailable():
    raise ScriptsUnavailable


class RedisCache(SiteCache, redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._copies = NearCopies(self)
        self._trust = trust_of(self._servers[0])
        # One store per server and process, shared by its threads (LocMemCache's are
        # shared by name).
        self._fallback = LocMemCache(
            f"redis-fallback:{self._servers[0]}", {"OPTIONS": {"MAX_ENTRIES": FALLBACK_ENTRIES}}
        )
        self._epoch = None
        self._verified_epoch = None
        self._scripts = {}  # redis-py's Script of each script run here: its digest

    @cached_property
    def _cache(self):
        return RedisCacheClient(self._servers, trust=self._trust, **self._options)

    @property
    def channel(self):
        return f"yumroad:deleted:{self._servers[0]}"

    def make_key(self, key, version=None):
        return f"{self._epoch}:{super().make_key(key, version)}"

    def _guarded(self, call, *args, skipped=_none, lost=None):
        """call(*args) on Redis, or skipped() when Redis can't be used or fails. `lost`
        says what a write that did not reach Redis leaves behind: None (nothing to
        fear), "later" or "now" (the epoch must move on, before the next use or now)."""
        epoch = self._trust.epoch_for_use()
        if epoch is None:
            if lost:
                self._trust.write_lost(now=lost == "now")
            return skipped()
        self._epoch = epoch
        try:
            if self._verified_epoch != epoch:
                self._verify()
            result = call(*args)
        except (RedisError, OSError) as error:
            if not isinstance(error, Distrusted):
                self._trust.failed(error)
            if lost:
                self._trust.write_lost(now=lost == "now")
            return skipped()
        self._trust.succeeded()
        return result

    def _verify(self):
        """Under a new epoch, check (and claim) its sentinel before the first use."""
        pool = self._cache._get_connection_pool(True)
        connection = pool.get_connection()
        try:
            self._trust.verify(connection, self._epoch)
        finally:
            pool.release(connection)
        self._verified_epoch = self._epoch

    def add(self, key, value, timeout=redis.DEFAULT_TIMEOUT, version=None):
        return self._guarded(
            super().add,
            key,
            value,
            timeout,
            version,
            skipped=lambda: self._fallback.add(key, value, timeout, version),
        )

    def get(self, key, default=None, version=None):
        return self._guarded(super().get, key, default, version, skipped=lambda: default)

    def set(self, key, value, timeout=redis.DEFAULT_TIMEOUT, version=None):
        self._guarded(super().set, key, value, timeout, version, lost="later")

    def touch(self, key, timeout=redis.DEFAULT_TIMEOUT, version=None):
        return self._guarded(super().touch, key, timeout, version, skipped=_false)

    def delete(self, key, version=None):
        return self._guarded(super().delete, key, version, skipped=_false, lost="now")

    def get_many(self, keys, version=None):
        return self._guarded(super().get_many, keys, version, skipped=dict)

    def has_key(self, key, version=None):
        return self._guarded(super().has_key, key, version, skipped=_false)

    def incr(self, key, delta=1, version=None):
        return self._guarded(
            super().incr,
            key,
            delta,
            version,
            skipped=lambda: self._fallback.incr(key, delta, version),
        )

    def count(self, key, timeout):
        """SiteCache.count in one round trip. Redis unreachable, the process's memory
        counts (as incr)."""
        return self._guarded(
            self._count, key, timeout, skipped=lambda: SiteCache.count(self._fallback, key, timeout)
        )

    def _count(self, key, timeout):
        key = self.make_and_validate_key(key)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        return pipeline.execute()[1]

    def run_script(self, script, keys, args):
        return self._guarded(self._run_script, script, keys, args, skipped=_scripts_unavailable)

    def _run_script(self, script, keys, args):
        keys = [self.make_and_validate_key(key) for key in keys]
        client = self._cache.get_client(keys[0] if keys else None, write=True)
        runner = self._scripts.get(script)
        if runner is None:
            runner = self._scripts[script] = client.register_script(script)
        # EVALSHA, and the script itself once per server (redis-py's Script).
        return runner(keys=keys, args=args, client=client)

    def set_many(self, data, timeout=redis.DEFAULT_TIMEOUT, version=None):
        return self._guarded(
            super().set_many, data, timeout, version, skipped=lambda: list(data), lost="later"
        )

    def delete_many(self, keys, version=None):
        self._guarded(super().delete_many, keys, version, lost="now")

    def clear(self):
        """clear, and have every process drop all its copies. Redis unreachable, a new
        epoch clears it as well."""
        self._copies.drop(EVERYTHING)
        return self._guarded(self._clear_announced, skipped=_false, lost="now")

    def _clear_announced(self):
        cleared = super().clear()
        self._cache.get_client(write=True).publish(self.channel, EVERYTHING)
        return cleared

    def state(self):
        """ "ok" when Redis answers, else "degraded": the site serves without it."""
        answered = self._guarded(self._cache.get_client().ping, skipped=_false)
        return "ok" if answered else "degraded"

    def get_many_near(self, keys):
        """get_many, from this process's copies where it has trusted ones."""
        return self._guarded(self._copies.get_many, keys, skipped=dict)

    def set_near(self, key, value, timeout):
        """set, keeping this process's copy in step. Not reaching Redis loses nothing:
        a page is kept under the versions it was made with."""
        self._guarded(self._set_near, key, value, timeout)

    def _set_near(self, key, value, timeout):
        super().set(key, value, timeout)
        self._copies.keep(key, value)

    def delete_announced(self, key):
        """delete, and have every process drop its copy of `key`."""
        self._copies.drop(key)
        self._guarded(self._delete_announced, key, lost="now")

    def _delete_announced(self, key):
        super().delete(key)
        self._cache.get_client(write=True).publish(self.channel, key)


class NearCopies:
    """The copies of one RedisCache (one per thread, as Django's caches are)."""

    def __init__(self, backend):
        self.backend = backend
        self.copies = {}
        self.pubsub = None
        self.pid = None
        self.reconnected = False
        self.heard_at = self.ping_at = self.retry_at = 0
        self.epoch = None

    def get_many(self, keys):
        # Called by RedisCache._guarded: Redis errors are its to handle.
        read_redis = super(RedisCache, self.backend).get_many
        if self.epoch != self.backend._epoch:
            self.copies.clear()
            self.epoch = self.backend._epoch
        if not self.listening():
            return read_redis(keys)
        now = time.monotonic()
        found, missing = {}, []
        for key in keys:
            copy = self.copies.get(key)
            if copy is not None and copy[0] > now:
                found[key] = copy[1]
            else:
                missing.append(key)
        if missing:
            read = read_redis(missing)
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
            if now - self.heard_at > HEARD_SECONDS:
                # Quiet: this thread served nothing lately, so nobody pinged. One ping
                # answered proves the subscription holds, and every announcement made
                # before it is read on the way.
                self.ping_answered()
            elif now >= self.ping_at:
                self.pubsub.ping()
                self.ping_at = now + PING_SECONDS
            self.read_announcements(timeout=0)
            if self.reconnected:
                raise SubscriptionLapsed("the subscription reconnected: announcements were missed")
        except (RedisError, OSError) as error:
            # Counted by the breaker: a frozen Redis costs one timeout here, one more
            # for the read that follows, and no more.
            if not isinstance(error, Distrusted | SubscriptionLapsed):
                self.backend._trust.failed(error)
            self.unsubscribe()
            self.retry_at = now + RETRY_SECONDS
            return False
        return True

    def read_announcements(self, *, timeout, pong=None):
        """Drop the copies of what was announced. With `pong`, read until the answer to
        the ping that carried it, waiting `timeout` at most for each message; return
        whether it came."""
        while (message := self.pubsub.get_message(timeout=timeout)) is not None:
            self.heard_at = time.monotonic()
            if message["type"] == "message":
                self.drop(message["data"].decode())
            elif message["type"] == "pong" and pong is not None and message["data"] == pong:
                return True
        return False

    def ping_answered(self):
        """Ping, and read until its answer, waiting no longer than a command may."""
        pong = secrets.token_hex(8)
        self.pubsub.ping(message=pong)
        self.ping_at = time.monotonic() + PING_SECONDS
        timeout = self.pubsub.connection.socket_timeout or 1
        if not self.read_announcements(timeout=timeout, pong=pong.encode()):
            raise SubscriptionLapsed("the subscription stopped answering pings")

    def subscribe(self):
        self.reconnected = False
        pubsub = self.backend._cache.get_client(write=True).pubsub()
        pubsub.subscribe(self.backend.channel)
        # No longer than a command may take: a frozen Redis costs no more here.
        confirmation = pubsub.get_message(timeout=pubsub.connection.socket_timeout or 1)
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
