"""Access tokens in /accounts/settings/: made with a name and a scope, shown once (in
the answer to the POST only), listed, revoked by their owner."""

import pytest
from django.urls import reverse

from api.models import AccessToken, TokenScope, token_digest
from api.services import access_token_create
from tests.factories import UserFactory

CREATE = reverse("api:token_create")


def tokens_section(response):
    """The context of the settings page's API tokens section."""
    return dict(response.context["settings_sections"])["api/_tokens.html"]


@pytest.fixture
def member_client(client, seller):
    client.force_login(seller)
    return client


def test_a_made_token_is_shown_once_and_stored_as_its_digest(member_client, seller):
    response = member_client.post(CREATE, {"name": "Zapier", "scope": "read_write"})

    assert response.status_code == 200
    token = AccessToken.objects.get(user=seller)
    text = tokens_section(response)["made_text"]
    assert text.startswith("yr_")
    assert text in response.content.decode()
    assert token.digest == token_digest(text)
    assert text not in token.digest
    assert (token.name, token.scope) == ("Zapier", TokenScope.READ_WRITE)
    assert text not in str(member_client.cookies)
    assert text not in str(dict(member_client.session))
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    # The settings page again: the token is listed, its text is gone.
    page = member_client.get(reverse("accounts:settings")).content.decode()
    assert "Zapier" in page
    assert text not in page


def test_tokens_are_listed_with_scope_and_last_use(member_client, seller):
    access_token_create(user=seller, name="Reader app", scope=TokenScope.READ)
    page = member_client.get(reverse("accounts:settings")).content.decode()
    assert "Reader app" in page
    assert "Read" in page
    assert "Never" in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "scope": "read"}, "name"),
        ({"name": "x" * 101, "scope": "read"}, "name"),
        ({"name": "ok\0name", "scope": "read"}, None),
        ({"name": "Line\nbreak", "scope": "read"}, "name"),
        ({"name": "Fine", "scope": "admin"}, "scope"),
        ({"name": "Fine"}, "scope"),
    ],
)
def test_bad_token_forms_are_refused_with_400(member_client, seller, data, field):
    response = member_client.post(CREATE, data)

    assert response.status_code == 400
    assert not AccessToken.objects.exists()
    if field:
        assert tokens_section(response)["form"].errors[field]


def test_making_a_token_needs_a_login(client):
    response = client.post(CREATE, {"name": "x", "scope": "read"})
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_owner_revokes_a_token_which_then_fails(member_client, seller, client):
    token, text = access_token_create(user=seller, name="Old", scope=TokenScope.READ)
    bearer = {"Authorization": f"Bearer {text}"}
    assert client.get("/api/v2/user", headers=bearer).status_code == 200

    response = member_client.post(reverse("api:token_revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v2/user", headers=bearer).status_code == 401


def test_anyone_elses_token_cannot_be_revoked(member_client):
    other, _ = access_token_create(user=UserFactory(), name="Theirs", scope=TokenScope.READ)

    response = member_client.post(reverse("api:token_revoke", args=[other.pk]))

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def test_revoking_refuses_get(member_client, seller):
    token, _ = access_token_create(user=seller, name="Old", scope=TokenScope.READ)
    assert member_client.get(reverse("api:token_revoke", args=[token.pk])).status_code == 405
