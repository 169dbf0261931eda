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


def test_every_query_at_its_longest_fits_gunicorns_request_line(db):
    # schemathesis sends each parameter at its longest: percent-encoded, a character
    # of free text takes up to 12 bytes (4 in UTF-8, 3 each), one of a pattern's or an
    # enum's ASCII 3, and an integer's digits 1.
    # gunicorn.conf.py's limit_request_line is 8,190 bytes; a token may come in the query.
    token = "&access_token=" + "x" * 64
    schema = Client().get("/api/v2/schema/").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            longest = len(f"{method.upper()} {path}? HTTP/1.1") + len(token)
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                kind = parameter["schema"]
                if kind.get("type") == "integer":
                    size, per_character = 20, 1
                elif "enum" in kind:
                    size, per_character = max(map(len, kind["enum"])), 3
                else:  # unbounded text would be a KeyError here
                    size, per_character = kind["maxLength"], 3 if "pattern" in kind else 12
                longest += len(parameter["name"]) + 2 + size * per_character
            assert longest <= 8_190, (method, path, longest)


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
