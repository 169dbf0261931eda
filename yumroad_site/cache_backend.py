"""What the site asks of its cache backend beyond Django's API, in one interface that
both backends implement: redis_cache.RedisCache (near copies, announced deletes, a
state that can be "degraded") and file_cache.FileBasedCache (the defaults here). A
system check refuses any other backend at start-up (yumroad_site.apps)."""

READY_KEY = "health:ready"


class ScriptsUnavailable(Exception):
    """The cache runs no scripts: it is not Redis, or Redis can't be used now."""


class SiteCache:
    def get_many_near(self, keys):
        """get_many, from this process's copies where it keeps trusted ones."""
        return self.get_many(keys)

    def set_near(self, key, value, timeout):
        """set, keeping this process's copy in step."""
        self.set(key, value, timeout)

    def delete_announced(self, key):
        """delete, and every process's copy of `key` with it."""
        self.delete(key)

    def count(self, key, timeout):
        """One more for `key`, which lives `timeout` seconds from its first count: the
        count, this one included. Atomic: two at once count two."""
        self.add(key, 0, timeout)
        return self.incr(key)

    def run_script(self, script, keys, args):
        """Redis's EVAL of Lua `script` on `keys` (this cache's keys, made as every
        other call makes them) and `args`: atomic, one round trip. Raises
        ScriptsUnavailable when the backend has no scripts or Redis can't be used now
        (a script that failed may have run or not)."""
        raise ScriptsUnavailable

    def state(self):
        """For /readyz: "ok" when the cache stores, "degraded" when the site serves
        without it, "not storing" otherwise."""
        self.set(READY_KEY, 1, 10)
        return "ok" if self.get(READY_KEY) == 1 else "not storing"
