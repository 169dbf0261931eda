from django.db import models


class CacheEpoch(models.Model):
    """The Redis cache's epoch (yumroad_site/redis_cache.py), one row: folded into every
    cache key, so that moving it on makes every key written before unreachable. Kept
    here, where a Redis restored or replaced can't take it back."""

    value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"cache epoch {self.value}"
