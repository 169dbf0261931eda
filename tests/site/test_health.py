import json
import runpy
import subprocess
import sys

import pytest
from django.test import override_settings


def test_healthz_answers_without_the_database(client):
    # No django_db mark: a query here would fail the test.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_health_checks_answer_a_balancer_that_asks_by_address_over_http(client, settings):
    # Production: any other request to this host would be refused or redirected to https.
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400


@pytest.mark.django_db
def test_readyz_says_the_database_and_the_cache_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_readyz_names_a_redis_that_does_not_answer_and_still_serves(client):
    dead_redis = {
        "BACKEND": "yumroad_site.redis_cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
    }
    with override_settings(CACHES={"default": dead_redis}):
        response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "degraded"}


def test_readyz_names_a_database_that_does_not_answer(settings, tmp_path):
    script = (
        "import django; django.setup(); from django.test import Client; "
        "response = Client().get('/readyz'); print(response.status_code, response.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={
            "DJANGO_SETTINGS_MODULE": "yumroad_site.settings",
            "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
            "CACHE_DIR": str(tmp_path),
            "PATH": "",
        },
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )

    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503", result.stderr
    assert json.loads(body) == {"database": "unreachable", "cache": "ok"}


def test_gunicorn_binds_to_loopback_unless_told_otherwise(settings, monkeypatch):
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    monkeypatch.setenv("GUNICORN_WORKERS", "3")

    config = runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))

    assert config["bind"] == "127.0.0.1:8000"
    assert config["workers"] == 3
    assert config["wsgi_app"] == "yumroad_site.wsgi:application"
