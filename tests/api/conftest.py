import json

import pytest

from api.models import TokenScope
from api.services import access_token_create
from tests.factories import StoreFactory


class ApiClient:
    """The test client speaking to the API with a token (None: without one)."""

    def __init__(self, client, text):
        self.client = client
        self.text = text

    def _headers(self):
        return {"Authorization": f"Bearer {self.text}"} if self.text else {}

    def get(self, path, data=None, **headers):
        return self.client.get(path, data, headers={**self._headers(), **headers})

    def delete(self, path, **headers):
        return self.client.delete(path, headers={**self._headers(), **headers})

    def send(self, method, path, data=None, *, form=False, **headers):
        """POST or PUT `data` as JSON, or form-encoded (`form`)."""
        headers = {**self._headers(), **headers}
        if form:
            from urllib.parse import urlencode

            body, content_type = urlencode(data or {}), "application/x-www-form-urlencoded"
        else:
            body, content_type = json.dumps(data or {}), "application/json"
        return self.client.generic(method, path, body, content_type=content_type, headers=headers)

    def post(self, path, data=None, **kwargs):
        return self.send("POST", path, data, **kwargs)

    def put(self, path, data=None, **kwargs):
        return self.send("PUT", path, data, **kwargs)


@pytest.fixture
def seller(db):
    """A store owner."""
    return StoreFactory().owner


@pytest.fixture
def api(client, seller):
    """The API with a read-write token of `seller`."""
    _, text = access_token_create(user=seller, name="CI", scope=TokenScope.READ_WRITE)
    return ApiClient(client, text)


@pytest.fixture
def read_api(client, seller):
    """The API with a read-only token of `seller`."""
    _, text = access_token_create(user=seller, name="Reader", scope=TokenScope.READ)
    return ApiClient(client, text)


@pytest.fixture
def anonymous_api(client):
    return ApiClient(client, None)
