"""The API's OpenAPI 3.1 schema and its docs page: public, served from this site, under
the site's Content-Security-Policy (inline styles on the docs page alone)."""

import re

from django.test import Client


def test_the_schema_is_public_openapi_3_1_with_every_endpoint(db):
    response = Client().get("/api/v2/schema/")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert {
        "/api/v2/user",
        "/api/v2/products",
        "/api/v2/products/{product_id}",
        "/api/v2/products/{product_id}/enable",
        "/api/v2/products/{product_id}/disable",
        "/api/v2/products/{product_id}/offer_codes",
        "/api/v2/products/{product_id}/offer_codes/{code_id}",
        "/api/v2/sales",
        "/api/v2/sales/{sale_id}",
        "/api/v2/licenses/verify",
        "/api/v2/licenses/enable",
        "/api/v2/licenses/disable",
        "/api/v2/licenses/decrement_uses_count",
        "/api/v2/resource_subscriptions",
        "/api/v2/resource_subscriptions/{subscription_id}",
    } <= set(schema["paths"])


def test_every_operation_declares_its_errors_and_both_body_types(db):
    schema = Client().get("/api/v2/schema/").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"400", "404", "429"} <= set(operation["responses"]), (method, path)
            if path != "/api/v2/licenses/verify":
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
            body = operation.get("requestBody", {}).get("content", {})
            if body:
                assert set(body) == {"application/json", "application/x-www-form-urlencoded"}


def test_the_docs_page_allows_inline_styles_but_scripts_only_from_this_site(db):
    response = Client().get("/api/v2/docs/")

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src" not in policy
    assert "default-src 'self'" in policy
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts
    for attributes in scripts:
        assert 'src="/static/' in attributes or 'type="application/json"' in attributes
    assert "cdn" not in html.lower()


def test_other_pages_keep_the_strict_policy(db):
    for path in ("/api/v2/schema/", "/products/"):
        policy = Client().get(path)["Content-Security-Policy"]
        assert "unsafe-inline" not in policy
