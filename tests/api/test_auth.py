"""Authentication by access token: a header or a parameter; 401 without a valid one,
403 for a read-only token writing, 429 over the rate per token."""

from datetime import timedelta

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

from accounts.models import User
from api.models import AccessToken, RateCount, TokenScope
from api.services import access_token_create, access_token_revoke
from stores.models import Store
from tests.api.conftest import ApiClient
from tests.factories import ProductFactory, StoreFactory


def test_a_bearer_token_authenticates(api, seller):
    response = api.get("/api/v2/user")
    assert response.status_code == 200
    assert response.json()["user"]["email"] == seller.email


def test_a_token_in_the_query_authenticates(client, api, seller):
    response = client.get("/api/v2/user", {"access_token": api.text})
    assert response.status_code == 200
    assert response.json()["success"] is True


@pytest.mark.parametrize("form", [True, False])
def test_a_token_in_the_body_authenticates(client, api, form):
    body = {"name": "Body token product", "description": "d", "price": 0}
    response = ApiClient(client, None).post(
        "/api/v2/products", {**body, "access_token": api.text}, form=form
    )
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}],
)
def test_no_valid_token_is_a_401_in_the_envelope(client, db, headers):
    response = client.get("/api/v2/user", headers=headers)
    assert response.status_code == 401
    assert response.json()["success"] is False
    assert "token" in response.json()["message"]


def test_a_revoked_token_is_a_401(api):
    AccessToken.objects.update(revoked_at=timezone.now())
    assert api.get("/api/v2/user").status_code == 401


def test_an_inactive_users_token_is_a_401(api, seller):
    seller.is_active = False
    seller.save()
    assert api.get("/api/v2/user").status_code == 401


def _revoke_in_the_admin(token):
    token.revoked_at = timezone.now()
    token.save()


@pytest.mark.parametrize(
    "end",
    [
        lambda token: access_token_revoke(token=token),
        _revoke_in_the_admin,
        lambda token: token.delete(),
    ],
    ids=["revoked", "revoked in the admin", "deleted"],
)
def test_a_token_ended_is_refused_on_the_very_next_request(api, end):
    assert api.get("/api/v2/user").status_code == 200  # what it needs is cached now

    end(AccessToken.objects.get())

    assert api.get("/api/v2/user").status_code == 401


@pytest.mark.parametrize("how", ["save", "update"])
def test_a_user_deactivated_is_refused_on_the_very_next_request(api, seller, how):
    assert api.get("/api/v2/user").status_code == 200
    if how == "save":  # as the admin does
        seller.is_active = False
        seller.save()
    else:
        User.objects.filter(pk=seller.pk).update(is_active=False)

    assert api.get("/api/v2/user").status_code == 401


def test_a_store_opened_or_changed_shows_on_the_next_request(client, user):
    _, text = access_token_create(user=user, name="Early", scope=TokenScope.READ)
    api = ApiClient(client, text)
    assert api.get("/api/v2/user").json()["user"]["store"] is None
    assert api.get("/api/v2/products").status_code == 404

    store = StoreFactory(owner=user, name="First name")
    assert api.get("/api/v2/user").json()["user"]["store"]["name"] == "First name"
    Store.objects.filter(pk=store.pk).update(name="Second name")
    assert api.get("/api/v2/user").json()["user"]["store"]["name"] == "Second name"
    assert api.get("/api/v2/products").status_code == 200


def test_an_over_long_token_is_a_401(client, db):
    response = client.get("/api/v2/user", {"access_token": "x" * 5000})
    assert response.status_code == 401


def test_a_read_token_reads_but_may_not_write(read_api):
    assert read_api.get("/api/v2/products").status_code == 200
    response = read_api.post("/api/v2/products", {"name": "Nope nope", "price": 0})
    assert response.status_code == 403
    assert response.json() == {"success": False, "message": response.json()["message"]}
    assert "read" in response.json()["message"]


def test_last_use_is_written_at_most_once_a_minute(
    api, monkeypatch, settings, django_assert_num_queries
):
    settings.API_RATE_COUNTER = "cache"
    token = AccessToken.objects.get()
    api.get("/api/v2/user")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    # Within the minute: what authenticating needs is cached, and nothing is written.
    with django_assert_num_queries(0):
        api.get("/api/v2/user")
    token.refresh_from_db()
    assert token.last_used_at == first
    later = first + timedelta(minutes=1, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    api.get("/api/v2/user")
    token.refresh_from_db()
    assert token.last_used_at == later


@pytest.mark.parametrize("counter", ["database", "cache"])
def test_each_token_is_limited_per_minute_with_retry_after(api, client, seller, settings, counter):
    settings.API_RATE_PER_MINUTE = 3
    settings.API_RATE_COUNTER = counter
    for _ in range(3):
        assert api.get("/api/v2/user").status_code == 200

    response = api.get("/api/v2/user")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["success"] is False
    # Another token has its own count.
    _, other = access_token_create(user=seller, name="Other", scope=TokenScope.READ)
    assert ApiClient(client, other).get("/api/v2/user").status_code == 200


def test_without_redis_the_count_is_one_row_per_token_and_minute(api, settings):
    settings.API_RATE_COUNTER = "database"
    for _ in range(5):
        api.get("/api/v2/user")
    (row,) = RateCount.objects.all()
    assert row.count == 5
    assert row.key == f"token:{AccessToken.objects.get().pk}"


def test_a_new_minute_clears_the_older_counts_of_its_key(api, settings):
    settings.API_RATE_COUNTER = "database"
    key = f"token:{AccessToken.objects.get().pk}"
    RateCount.objects.create(key=key, minute=1, count=99)
    api.get("/api/v2/user")
    assert list(RateCount.objects.values_list("count", flat=True)) == [1]


def test_a_nul_character_in_a_parameter_is_a_json_400(api):
    response = api.get("/api/v2/sales", {"email": "a\0b"})
    assert response.status_code == 400
    assert response.json()["success"] is False


def test_a_nul_character_in_a_json_body_is_a_400_naming_the_field(api):
    response = api.post("/api/v2/products", {"name": "Bad\0name", "price": 0})
    assert response.status_code == 400
    assert response.json()["message"].startswith("name:")


def test_an_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/v2/nothing-here")
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_a_body_that_is_not_json_is_a_400(api):
    response = api.client.generic(
        "POST",
        "/api/v2/products",
        "{nope",
        content_type="application/json",
        headers=api._headers(),
    )
    assert response.status_code == 400
    assert response.json()["success"] is False


@pytest.mark.parametrize(
    ("method", "path"), [("DELETE", "/api/v2/user"), ("PATCH", "/api/v2/products/1")]
)
def test_a_method_a_path_does_not_take_is_a_json_405_with_allow(api, method, path):
    response = api.client.generic(method, path, headers=api._headers())
    assert response.status_code == 405
    assert response.json()["success"] is False
    assert method in response.json()["message"]
    assert "GET" in response["Allow"]


def test_a_multipart_form_body_is_read_as_a_form(client, api, seller):
    """As `curl -F` sends it: the form's fields, and the token among them."""
    body = {"name": "Multipart product", "description": "d", "price": "500"}
    response = client.post("/api/v2/products", {**body, "access_token": api.text})
    assert response.status_code == 200, response.content
    assert response.json()["product"]["price"] == 500


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_multipart_body_without_its_boundary_is_a_json_400(api, seller, settings, method):
    settings.DEBUG = False
    product = ProductFactory(store=seller.store)
    response = api.client.generic(
        method,
        "/api/v2/products" if method == "POST" else f"/api/v2/products/{product.pk}",
        "name=x",
        content_type="multipart/form-data",
        headers=api._headers(),
    )
    assert response.status_code == 400
    assert response.json()["success"] is False


def test_a_multipart_form_body_of_a_put_is_read_as_a_form(client, api, seller):
    product = ProductFactory(store=seller.store, name="Before the change")
    body = encode_multipart(BOUNDARY, {"name": "After the change", "access_token": api.text})
    response = client.generic(
        "PUT", f"/api/v2/products/{product.pk}", body, content_type=MULTIPART_CONTENT
    )
    assert response.status_code == 200, response.content
    assert response.json()["product"]["name"] == "After the change"
