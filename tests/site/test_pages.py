import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from tests.factories import ProductFactory
from yumroad_site.settings import env_bool


@pytest.mark.django_db
def test_an_unknown_page_is_a_404_page_in_the_site_look(client):
    response = client.get("/no-such-page/")

    body = response.content.decode()
    assert response.status_code == 404
    assert "We couldn't find that page" in body
    assert "navbar" in body


def test_the_500_page_says_there_was_an_error(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))

    assert response.status_code == 500
    assert "Oops! Looks like there was an error" in response.content.decode()


@pytest.mark.django_db
def test_pages_load_bootstrap_from_this_site_under_a_strict_csp(client):
    response = client.get(reverse("products:index"))

    body = response.content.decode()
    assert '<link rel="stylesheet" href="/static/bootstrap/css/bootstrap.min.css">' in body
    assert "cdn" not in body.lower()
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in body
    assert " style=" not in body


@pytest.mark.django_db
def test_the_navigation_offers_log_in_sign_up_and_start_selling_to_visitors(client):
    body = client.get(reverse("products:index")).content.decode()

    assert f'href="{reverse("accounts:login")}">Log in</a>' in body
    assert f'href="{reverse("stores:signup")}">Sign up</a>' in body
    signup = f"{reverse('stores:signup')}?next={reverse('stores:new')}"
    assert f'href="{signup}">Start selling</a>' in body
    assert "Add product" not in body


@pytest.mark.django_db
def test_the_navigation_offers_add_product_to_a_store_owner(creator_client):
    body = creator_client.get(reverse("products:index")).content.decode()

    assert f'href="{reverse("products:create")}"' in body


@pytest.mark.django_db
def test_flash_messages_are_shown(auth_client):
    response = auth_client.get(reverse("accounts:login"), follow=True)

    assert '<div class="alert alert-info" role="alert">You are already logged in.</div>' in (
        response.content.decode()
    )


@pytest.mark.django_db
def test_product_pictures_from_other_hosts_are_allowed_by_the_csp(client):
    product = ProductFactory(picture_url="https://images.example.com/a.png")

    response = client.get(product.get_absolute_url())

    assert "img-src 'self' https: http: data:" in response["Content-Security-Policy"]


def test_bootstrap_is_served_by_the_site(live_server):
    import urllib.request

    with urllib.request.urlopen(f"{live_server.url}/static/bootstrap/css/bootstrap.min.css") as r:
        assert r.status == 200
        assert b"Bootstrap" in r.read(200)


def settings_with(environment, expression):
    """`expression` evaluated in a fresh process whose settings see only `environment`."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            f"print(repr({expression}))",
        ],
        env={"DJANGO_SETTINGS_MODULE": "yumroad_site.settings", "PATH": "", **environment},
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )
    return result.returncode, result.stdout.strip(), result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    returncode, _, stderr = settings_with({"DEBUG": "false"}, "settings.DEBUG")

    assert returncode != 0
    assert "SECRET_KEY is not set" in stderr


def test_production_settings_are_secure_and_send_email_over_smtp():
    _, output, stderr = settings_with(
        {"DEBUG": "false", "SECRET_KEY": "x" * 50},
        "(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.EMAIL_BACKEND)",
    )

    assert output == "(False, True, 'django.core.mail.backends.smtp.EmailBackend')", stderr


def test_development_defaults_need_nothing_set():
    _, output, stderr = settings_with(
        {}, "(settings.DEBUG, settings.EMAIL_BACKEND, settings.CACHES['default']['BACKEND'])"
    )

    assert output == (
        "(True, 'django.core.mail.backends.console.EmailBackend', "
        "'yumroad_site.file_cache.FileBasedCache')"
    ), stderr


def test_without_redis_every_process_shares_the_cache_in_cache_dir(tmp_path):
    _, default, stderr = settings_with({}, "settings.CACHES['default']['LOCATION']")
    _, chosen, _ = settings_with(
        {"CACHE_DIR": str(tmp_path)}, "settings.CACHES['default']['LOCATION']"
    )

    assert default == repr(str(settings.BASE_DIR / "cache")), stderr
    assert chosen == repr(str(tmp_path))


def test_redis_url_selects_the_redis_cache_with_short_timeouts():
    _, output, stderr = settings_with(
        {"REDIS_URL": "redis://127.0.0.1:6379/3", "REDIS_SOCKET_TIMEOUT": "0.5"},
        "settings.CACHES['default']",
    )

    assert output == (
        "{'BACKEND': 'yumroad_site.redis_cache.RedisCache', "
        "'LOCATION': 'redis://127.0.0.1:6379/3', "
        "'OPTIONS': {'socket_timeout': 0.5, 'socket_connect_timeout': 0.5}}"
    ), stderr


@pytest.mark.parametrize("timeout", ["0", "-1", "soon", "nan", "11"])
def test_a_redis_socket_timeout_out_of_bounds_stops_the_start(timeout):
    returncode, _, stderr = settings_with(
        {"REDIS_URL": "redis://127.0.0.1:6379/3", "REDIS_SOCKET_TIMEOUT": timeout},
        "settings.CACHES",
    )

    assert returncode != 0
    assert "REDIS_SOCKET_TIMEOUT must be a number of seconds from 0 to 10." in stderr


def test_client_is_csrf_protected_on_login(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("accounts:login"), {"email": "a@b.co", "password": "x"})

    assert response.status_code == 403


def test_every_email_setting_comes_from_the_environment():
    environment = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": "/tmp/yumroad-mail",
        "DEFAULT_FROM_EMAIL": "shop@example.com",
        "SERVER_EMAIL": "errors@example.com",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": "465",
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "secret",
        "EMAIL_USE_TLS": "false",
        "EMAIL_USE_SSL": "true",
        "EMAIL_SSL_CERTFILE": "/etc/ssl/client.pem",
        "EMAIL_SSL_KEYFILE": "/etc/ssl/client.key",
        "EMAIL_TIMEOUT": "12",
        "EMAIL_SUBJECT_PREFIX": "[Shop] ",
        "EMAIL_USE_LOCALTIME": "true",
    }

    _, output, stderr = settings_with(
        environment, "[str(getattr(settings, name)) for name in " + repr(list(environment)) + "]"
    )

    # Every value as set; the booleans read as Python booleans.
    expected = list(environment.values())
    expected[8:10] = ["False", "True"]
    expected[-1] = "True"
    assert output == repr(expected), stderr


def test_tasks_run_in_the_request_in_development_and_in_the_worker_in_production():
    development = settings_with({}, "settings.TASKS['default']['BACKEND']")[1]
    production = settings_with(
        {"DEBUG": "false", "SECRET_KEY": "x" * 50}, "settings.TASKS['default']['BACKEND']"
    )[1]

    assert development == "'django_tasks.backends.immediate.ImmediateBackend'"
    assert production == "'django_tasks_db.DatabaseBackend'"


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"TASK_BACKEND": "celery"}, "TASK_BACKEND must be one of"),
        (
            {"TASK_LEASE_SECONDS": "30", "EMAIL_TIMEOUT": "30"},
            "TASK_LEASE_SECONDS must be more than EMAIL_TIMEOUT (30 s)",
        ),
        ({"TASK_STALL_SECONDS": "soon"}, "TASK_STALL_SECONDS must be a whole number"),
        ({"CURRENCY": "dollars"}, "CURRENCY must be a three-letter ISO code"),
        ({"PRIVATE_MEDIA_ROOT": "/srv/media/private", "MEDIA_ROOT": "/srv/media"}, "inside"),
    ],
)
def test_a_wrong_setting_stops_the_start_with_a_clear_message(environment, message):
    returncode, _, stderr = settings_with(environment, "settings.DEBUG")

    assert returncode != 0
    assert message in stderr


@pytest.mark.django_db
def test_pages_send_a_permissions_policy(client):
    response = client.get(reverse("products:index"))

    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/products/", {"page": "1\0"}),
        ("get", "/stores/", {"q\0": "x"}),
        ("post", "/accounts/login/", {"email": "ann@example.com\0", "password": "x"}),
    ],
)
def test_a_nul_character_in_any_parameter_is_a_bad_request(client, method, path, data):
    response = getattr(client, method)(path, data)

    assert response.status_code == 400


@pytest.mark.django_db
def test_a_failed_login_with_a_nul_in_the_user_agent_is_a_bad_request(client, user):
    response = client.post(
        reverse("accounts:login"),
        {"email": user.email, "password": "wrong-guess"},
        HTTP_USER_AGENT="Agent\0Smith",
    )

    assert response.status_code == 400


def run_manage(environment, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        env={"PATH": "", **environment},
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )
    return result.returncode, result.stdout + result.stderr


PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "k" * 30 + "-not-a-real-secret-key-0123456789"}


@pytest.mark.parametrize("value", ["ture", "flase", "2", "enabled"])
def test_a_misspelt_yes_or_no_stops_the_start_naming_the_variable(value):
    returncode, output = run_manage({**PRODUCTION, "SECURE_SSL_REDIRECT": value}, "check")

    assert returncode != 0
    assert "ImproperlyConfigured" in output
    assert (
        f"SECURE_SSL_REDIRECT must be one of true/false, 1/0, yes/no or on/off, not {value!r}."
        in output
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(value, True) for value in ["true", "TRUE", "True", "1", "yes", "Yes", "on", " ON "]],
        *[(value, False) for value in ["false", "FALSE", "0", "no", "NO", "off", "Off", "\toff\n"]],
        # Empty or blank means the default.
        ("", "default"),
        ("  ", "default"),
    ],
)
def test_every_accepted_spelling_of_yes_or_no_is_read(monkeypatch, value, expected):
    monkeypatch.setenv("YUMROAD_TEST_SWITCH", value)

    assert env_bool("YUMROAD_TEST_SWITCH", "default") is expected


@pytest.mark.parametrize("value", ["ture", "y", "n", "2", "-1", "truee", "on off", "nein"])
def test_anything_else_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("YUMROAD_TEST_SWITCH", value)

    with pytest.raises(ImproperlyConfigured, match=r"^YUMROAD_TEST_SWITCH must be one of "):
        env_bool("YUMROAD_TEST_SWITCH", True)


def test_an_unset_yes_or_no_is_its_default(monkeypatch):
    monkeypatch.delenv("YUMROAD_TEST_SWITCH", raising=False)

    assert env_bool("YUMROAD_TEST_SWITCH", True) is True
    assert env_bool("YUMROAD_TEST_SWITCH", False) is False


def test_the_https_redirect_can_be_turned_off_by_a_real_spelling():
    returncode, output, stderr = settings_with(
        {**PRODUCTION, "SECURE_SSL_REDIRECT": "Off"}, "settings.SECURE_SSL_REDIRECT"
    )

    assert returncode == 0, stderr
    assert output == "False"


def test_an_unset_yes_or_no_takes_its_default():
    returncode, output, stderr = settings_with(
        PRODUCTION, "(settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_PRELOAD)"
    )

    assert returncode == 0, stderr
    assert output == "(True, False)"


@pytest.mark.parametrize(
    "name",
    [
        "DEBUG",
        "EMAIL_USE_TLS",
        "EMAIL_USE_SSL",
        "EMAIL_USE_LOCALTIME",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
    ],
)
def test_every_yes_or_no_variable_refuses_a_typo(name):
    returncode, _, stderr = settings_with({**PRODUCTION, name: "maybe"}, "settings.DEBUG")

    assert returncode != 0
    assert f"{name} must be one of true/false, 1/0, yes/no or on/off, not 'maybe'." in stderr


def test_the_deployment_checks_pass_with_only_debug_off_and_a_secret_key():
    returncode, output = run_manage(
        {"DEBUG": "false", "SECRET_KEY": "k" * 30 + "-not-a-real-secret-key-0123456789"},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )

    assert returncode == 0, output
    assert "no issues" in output


def test_a_request_warning_is_printed_once():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.test import Client; "
            "Client().get('/no-such-page/', HTTP_HOST='localhost')",
        ],
        env={"DJANGO_SETTINGS_MODULE": "yumroad_site.settings", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )

    assert result.stderr.count("Not Found: /no-such-page/") == 1, result.stderr


def test_a_trusted_proxy_that_is_not_an_address_stops_the_start():
    returncode, _, stderr = settings_with(
        {"TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8, proxy.example.com"}, "settings.TRUSTED_PROXIES"
    )

    assert returncode != 0
    assert "TRUSTED_PROXIES: 'proxy.example.com' does not appear to be" in stderr
