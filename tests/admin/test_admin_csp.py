"""The admin's Content-Security-Policy: the site's own, with <style> elements allowed on
the admin's pages only; its change pages need no inline script or style attribute."""

import re

import pytest
from django.urls import reverse

from tests.factories import ProductFactory, StoreFactory, UserFactory


def directives(response):
    """The policy's directives, by name, as lists of sources."""
    policy = response["Content-Security-Policy"]
    return {
        name: sources
        for name, *sources in (part.split() for part in policy.split(";") if part.strip())
    }


def change_pages():
    product = ProductFactory()
    return [
        reverse("admin:products_product_change", args=[product.pk]),
        reverse("admin:products_product_add"),
        reverse("admin:stores_store_change", args=[StoreFactory().pk]),
        reverse("admin:accounts_user_change", args=[UserFactory().pk]),
        reverse("admin:orders_order_add"),
    ]


@pytest.mark.django_db
def test_the_admins_change_pages_allow_style_elements_and_nothing_else_inline(admin_client):
    for url in change_pages():
        response = admin_client.get(url)

        assert response.status_code == 200, url
        policy = directives(response)
        assert policy["style-src-elem"] == ["'self'", "'unsafe-inline'"], url
        assert policy["default-src"] == ["'self'"], url
        assert "script-src" not in policy, url
        assert "style-src" not in policy, url
        assert policy["form-action"][0] == "'self'", url


@pytest.mark.django_db
def test_the_sites_pages_keep_the_strict_policy(client, auth_client):
    product = ProductFactory()
    responses = [
        client.get(reverse("home")),
        client.get(product.get_absolute_url()),
        client.get(reverse("terms")),
        client.get(reverse("accounts:login")),
        auth_client.get(reverse("accounts:settings")),
        # A page whose path starts like the admin's, but isn't.
        client.get("/administration/"),
    ]

    for response in responses:
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "style-src-elem" not in policy


@pytest.mark.django_db
def test_the_admins_change_pages_have_no_inline_script_or_style_attribute(admin_client):
    for url in change_pages():
        body = admin_client.get(url).content.decode()

        # Every script comes from a file; the JSON ones hold data, which never runs.
        for tag in re.findall(r"<script\b[^>]*>", body):
            assert " src=" in tag or 'type="application/json"' in tag, (url, tag)
        assert " style=" not in body, url


@pytest.mark.django_db
def test_the_admin_loads_its_accessibility_fixes(admin_client):
    body = admin_client.get(reverse("admin:products_product_add")).content.decode()

    assert '<link rel="stylesheet" href="/static/yumroad_site/admin.css">' in body
    assert '<script src="/static/yumroad_site/admin.js" defer></script>' in body
    assert '<link rel="icon" href="/static/products/favicon.svg" type="image/svg+xml">' in body


@pytest.mark.django_db
def test_a_users_dates_are_shown_not_edited_and_groups_are_a_plain_list(admin_client):
    user = UserFactory()

    body = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()

    assert 'name="last_login"' not in body
    assert 'name="date_joined_0"' not in body
    assert '<div class="readonly">' in body
    assert 'class="selectfilter"' not in body
    assert '<select name="groups"' in body
