import ast

import pytest
from django.core.files.storage import storages

from products.models import Product
from scaleout.seaweedfs import SeaweedFS
from tests.site.test_pages import settings_with

PUBLIC_BUCKET = "yumroad-test-pictures"
PRIVATE_BUCKET = "yumroad-test-files"


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """A real S3 server (SeaweedFS) on loopback for the whole run."""
    with SeaweedFS(
        tmp_path_factory.mktemp("seaweedfs"),
        public_bucket=PUBLIC_BUCKET,
        private_bucket=PRIVATE_BUCKET,
    ) as server:
        yield server


@pytest.fixture(scope="session")
def object_storages(seaweedfs):
    """STORAGES as settings.py builds it from the server's AWS_* variables."""
    returncode, output, stderr = settings_with(seaweedfs.settings(), "settings.STORAGES")
    assert returncode == 0, stderr
    return ast.literal_eval(output)


@pytest.fixture
def object_storage(seaweedfs, object_storages, settings, monkeypatch):
    """Pictures and product files on the S3 server, as settings.py configures them."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, seaweedfs.settings()[name])
    settings.STORAGES = {**settings.STORAGES, **object_storages}
    # The model field resolved its storage when the app loaded: point it at the bucket.
    monkeypatch.setattr(Product._meta.get_field("file"), "storage", storages["private"])
    return seaweedfs
