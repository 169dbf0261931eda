"""Django's Redis cache backend, keeping its redis-py clients.

Django's RedisCacheClient builds a new `redis.Redis` around its connection pool for
every cache call, and redis-py 8 spends about 0.3 ms building one (it fills a table
of ~170 response callbacks each time): more than the round trip to Redis itself, and
paid twice or more on every page (the session, the catalogue version, the page). A
`redis.Redis` over a pool is safe to share between calls and threads, and its pool
reconnects after a fork, so this keeps one per pool.
"""

from django.core.cache.backends import redis


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
