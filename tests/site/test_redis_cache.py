import redis

from yumroad_site.redis_cache import RedisCache


def test_every_call_shares_one_redis_client_over_the_connection_pool():
    # No connection is made until a command is sent: no Redis server is needed here.
    # The suite's PostgreSQL run uses this backend against Redis for every test.
    backend = RedisCache("redis://127.0.0.1:6379/5", {})

    client = backend._cache.get_client()

    assert isinstance(client, redis.Redis)
    assert backend._cache.get_client("some-key") is client
    assert backend._cache.get_client(write=True) is client
    assert client.connection_pool is backend._cache._get_connection_pool(write=True)
