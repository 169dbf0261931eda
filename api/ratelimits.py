"""The API's rate limits: requests a minute per token (API_RATE_PER_MINUTE) and
license verifications a minute per client address (LICENSE_VERIFY_RATE_PER_MINUTE).

The count must be one for every app server. With Redis (REDIS_URL), it is a key per
key and minute in the default cache, counted by its `count` (one round trip to Redis).
Without it, the default cache is files on this machine,
which other machines don't see: the count is then a row of RateCount per key and
minute, incremented by one upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING,
atomic on PostgreSQL and SQLite alike). settings.API_RATE_COUNTER says which.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from api.models import RateCount

WINDOW_SECONDS = 60


class RateLimited(Exception):
    def __init__(self, message, retry_after):
        super().__init__(message)
        self.retry_after = retry_after


def rate_check(*, request, key, per_minute, message):
    """Count one request for `key`; raise RateLimited once `key` is over `per_minute`
    in this minute (that request is counted too, and refused)."""
    now = time.time()
    minute = int(now // WINDOW_SECONDS)
    if settings.API_RATE_COUNTER == "cache":
        count = cache.count(f"api-rate:{key}:{minute}", WINDOW_SECONDS)
    else:
        count = _database_count(key, minute)
    if count > per_minute:
        raise RateLimited(message, retry_after=max(1, (minute + 1) * WINDOW_SECONDS - int(now)))


def _database_count(key, minute):
    table = RateCount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, minute, count) VALUES (%s, %s, 1) "
            f"ON CONFLICT (key, minute) DO UPDATE SET count = {table}.count + 1 "
            "RETURNING count",
            [key, minute],
        )
        (count,) = cursor.fetchone()
        if count == 1:
            # A key's first request of a minute clears its older minutes: the table
            # holds the keys counted lately, a row or two each.
            cursor.execute(f"DELETE FROM {table} WHERE key = %s AND minute < %s", [key, minute])
    return count
