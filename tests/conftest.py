import pytest
from django.conf import settings

from tests.factories import PASSWORD, UserFactory


def pytest_configure(config):
    # Test-only speed-ups: a fast hasher and no manifest for static files.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def auth_client(client, user):
    """A test client logged in as `user`."""
    client.force_login(user)
    return client
