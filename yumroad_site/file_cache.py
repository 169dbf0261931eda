"""The cache without Redis: Django's file cache, shared by every process on the machine
(gunicorn's workers, `manage.py` commands), with add() and incr() made atomic.

Django's own add() is a look then a write, and incr() a read then a write, so two
processes at once could both add a key (two emails where one was allowed) or lose an
increment (a rate limit that lets more through), and its incr() gives the key the
default timeout (a counter for an hour would live 5 minutes). Here both run under an
exclusive lock on a file in the cache folder, shared by every process (flock, so threads
of one process wait for each other too), and incr() keeps the key's expiry.
Reads, set() and delete() need no lock: a value is written to a temporary file and
renamed into place, so a reader sees the old value or the new one, never half of one.
"""

import fcntl
import os
import pickle
import time
import zlib
from contextlib import contextmanager

from django.core.cache.backends import filebased
from django.core.cache.backends.base import DEFAULT_TIMEOUT

from yumroad_site.cache_backend import SiteCache

LOCK_FILE = "lock"  # not a "*.djcache" file: clear() and culling leave it alone


class FileBasedCache(SiteCache, filebased.FileBasedCache):
    @contextmanager
    def _locked(self):
        self._createdir()  # the folder may have been deleted meanwhile
        with open(os.path.join(self._dir, LOCK_FILE), "ab") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield  # closing the file releases the lock

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._locked():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self._locked():
            try:
                with open(self._key_to_file(key, version), "rb") as f:
                    expiry = pickle.load(f)
                    value = pickle.loads(zlib.decompress(f.read()))
            except FileNotFoundError:
                expiry, value = 0, None
            if expiry is not None and expiry < time.time():
                raise ValueError(f"Key '{key}' not found")
            value += delta
            self.set(key, value, None if expiry is None else expiry - time.time(), version)
            return value
