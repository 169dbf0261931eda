import os
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.conf import settings
from django.core.cache import cache

import api.ratelimits
from tests.factories import PASSWORD, StoreFactory, UserFactory


def pytest_configure(config):
    # Test-only speed-ups: a fast hasher and no manifest for static files.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Query counts name the session's query: sessions stay in the database even where
    # REDIS_URL makes them cached_db (tests/storage/test_settings.py checks that it
    # does; the scale-out test runs them over Redis).
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    # The cache production has without Redis, in a folder of this run's own.
    if not settings.REDIS_URL:
        settings.CACHES["default"]["LOCATION"] = tempfile.mkdtemp(prefix="yumroad-cache-")
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # A file, not memory, as in production: the concurrency tests' threads each
        # open their own connection to it.
        database["TEST"]["NAME"] = str(Path(tempfile.mkdtemp()) / "test.sqlite3")


@pytest.fixture(autouse=True)
def _isolated_cache_and_media(settings, tmp_path):
    """Each test starts with an empty cache and writes uploads to its own folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _one_rate_limit_window(monkeypatch):
    """django-ratelimit counts in fixed windows of the clock: a test that crossed a
    window's end would see its count start over. Each test's clock stands still."""
    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))
    monkeypatch.setattr(api.ratelimits, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture
def redis_cache(settings):
    """The cache production has with Redis (REDIS_URL), emptied: for the suite's Redis
    run (.ci/run sets REDIS_URL); without it, the test is skipped."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("needs Redis: the suite's Redis run (.ci/run) sets REDIS_URL")
    settings.CACHES = {
        "default": {
            "BACKEND": "yumroad_site.redis_cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25},
        }
    }
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def file_cache(settings, tmp_path):
    """The cache production has without Redis, whatever this run's is."""
    settings.CACHES = {
        "default": {
            "BACKEND": "yumroad_site.file_cache.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    return cache


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(db):
    """A user without a store, as createsuperuser or the admin make them."""
    return UserFactory()


@pytest.fixture
def auth_client(client, user):
    """A test client logged in as `user`."""
    client.force_login(user)
    return client


@pytest.fixture
def store(db):
    return StoreFactory()


@pytest.fixture
def creator_client(client, store):
    """A test client logged in as the owner of `store`."""
    client.force_login(store.owner)
    return client
