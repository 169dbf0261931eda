"""
Yumroad settings, read from the environment.

Every variable is documented in README.md and .env.example. With nothing set the
site runs for development: DEBUG on, a SQLite file in the project, emails printed
to the console.
"""

import ipaddress
import os
import re
import unicodedata
from datetime import timedelta
from decimal import Decimal
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
from django.contrib.messages import constants as message_constants
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

BASE_DIR = Path(__file__).resolve().parent.parent


ENV_TRUE = {"1", "true", "yes", "on"}
ENV_FALSE = {"0", "false", "no", "off"}


def env_bool(name, default):
    """A yes or no from the environment: a typo stops the start rather than reading as no."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ENV_TRUE:
        return True
    if value in ENV_FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of true/false, 1/0, yes/no or on/off, not {os.environ[name]!r}."
    )


def env_list(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name, default, *, minimum, maximum=None):
    """An integer from the environment, within bounds: anything else stops the start."""
    value = os.environ.get(name, str(default)).strip()
    if not (value.isascii() and value.isdigit()):
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.")
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
        raise ImproperlyConfigured(f"{name} must be {bounds}.")
    return number


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment when DEBUG is off "
            '(for example: python -c "import secrets; print(secrets.token_urlsafe(50))").'
        )
    SECRET_KEY = "django-insecure-development-only-key"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    # The ground floor: the cache's epoch (its one model), and `db_worker` with a lease
    # and reconnection (so before django_tasks_db, whose command it replaces).
    "yumroad_site",
    "django_tasks",
    "django_tasks_db",
    "django_ratelimit",
    # The API's framework; listed so that its docs page uses its bundled static files,
    # never a CDN.
    "ninja",
    "accounts",
    "stores",
    "products",
    "orders",
    "payouts",
    "api",
    # The top floor: `seed_demo`, which may use every app.
    "demo",
]

MIDDLEWARE = [
    # First: load balancers' /healthz and /readyz skip everything below.
    "yumroad_site.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the session (its key comes from a cookie).
    "yumroad_site.middleware.refuse_null_characters",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.SessionRenewalMiddleware",
    # Above the page cache, so that the copies it serves are marked private too.
    "yumroad_site.middleware.private_pages",
    # Catalogue pages from the cache: the rest is skipped.
    "yumroad_site.cache.PageCacheMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, with the admin's own additions on its pages.
    "yumroad_site.middleware.ContentSecurityPolicyMiddleware",
    "yumroad_site.middleware.permissions_policy",
    # A view over a rate limit raises django-ratelimit's Ratelimited: the 429 page.
    "django_ratelimit.middleware.RatelimitMiddleware",
    # An S3 request that timed out: the 503 page.
    "yumroad_site.middleware.FileStoreUnavailableMiddleware",
    # Last, so that it sees the lockout flag the authentication attempt set.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yumroad_site.urls"

# A folder of the operator's own templates, searched before the project's: the legal
# pages' text (legal/terms.html, legal/privacy.html, legal/refunds.html), say.
TEMPLATE_OVERRIDES_DIR = os.environ.get("TEMPLATE_OVERRIDES_DIR", "").strip()
TEMPLATE_DIRS = [BASE_DIR / "templates"]
if TEMPLATE_OVERRIDES_DIR:
    if not Path(TEMPLATE_OVERRIDES_DIR).is_dir():
        raise ImproperlyConfigured(
            f"TEMPLATE_OVERRIDES_DIR must be a folder; {TEMPLATE_OVERRIDES_DIR!r} is not one."
        )
    TEMPLATE_DIRS.insert(0, Path(TEMPLATE_OVERRIDES_DIR))

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": TEMPLATE_DIRS,
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yumroad_site.context_processors.site",
                # `owns_store`: the navigation's links for sellers.
                "stores.context_processors.store_owner",
            ],
        },
    },
]

WSGI_APPLICATION = "yumroad_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several workers and threads write at once: readers don't block the writer (WAL),
    # a transaction takes the write lock when it starts rather than failing half-way
    # when it first writes (IMMEDIATE), and a writer waits its turn up to 20 seconds.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache that every process shares, since the page cache's versions, the resend
# intervals and the rate limits must be the same for every worker: Redis when REDIS_URL
# is set (every app server shares it), else files in CACHE_DIR (every process on this
# machine shares them). Files rather than the database: a cached page then costs no
# query. add() and incr() are atomic there too (yumroad_site/file_cache.py). Up to
# 10,000 files; when full, a random tenth goes (a page is made again; a counter starts
# over).
REDIS_URL = os.environ.get("REDIS_URL", "")
# How long a Redis command (or a connection to Redis) may take, in seconds, before it
# reads as a miss: a frozen Redis then costs that, and only until the breaker opens
# (yumroad_site/redis_cache.py).
try:
    REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "0.25"))
except ValueError:
    REDIS_SOCKET_TIMEOUT = float("nan")
if not 0 < REDIS_SOCKET_TIMEOUT <= 10:
    raise ImproperlyConfigured("REDIS_SOCKET_TIMEOUT must be a number of seconds from 0 to 10.")
CACHE_DIR = Path(os.environ.get("CACHE_DIR") or BASE_DIR / "cache")
CACHES = {
    "default": (
        {
            "BACKEND": "yumroad_site.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
        if REDIS_URL
        else {
            "BACKEND": "yumroad_site.file_cache.FileBasedCache",
            "LOCATION": str(CACHE_DIR),
            "OPTIONS": {"MAX_ENTRIES": 10_000, "CULL_FREQUENCY": 10},
        }
    )
}
# With Redis, sessions are read from the cache and kept in the database too, so that
# every app server sees them and a Redis restart logs nobody out. Redis unreachable,
# they are read from the database; Redis replaced or restored, the cache's epoch keeps
# an ended session ended.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Where links in emails point: the site's public address, without a trailing slash.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The site's name, in page titles, the brand, the footer, the legal pages and emails.
# One line: it goes into email subjects.
SITE_NAME = " ".join(os.environ.get("SITE_NAME", "").split()) or "Yumroad"
if len(SITE_NAME) > 60 or any(unicodedata.category(char)[0] == "C" for char in SITE_NAME):
    raise ImproperlyConfigured(
        "SITE_NAME must be up to 60 characters of text, without control characters."
    )

# Accounts

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
# Where signing up lands without `next`, and logging in for a member without a store.
LOGIN_REDIRECT_URL = "orders:library"
# Where logging in lands without `next`: a function of the user (a seller's dashboard,
# else LOGIN_REDIRECT_URL). The accounts app can't tell sellers apart; stores can.
MEMBER_HOME = "stores.views.member_home"
LOGOUT_REDIRECT_URL = "products:index"
# How long a password reset link works, in seconds (once: a reset ends it).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", "3600"))
# A session ends after this many days without a visit. accounts.middleware renews a
# logged-in session's expiry on its first request of each day, not on every request.
SESSION_IDLE_DAYS = int(os.environ.get("SESSION_IDLE_DAYS", "14"))
if SESSION_IDLE_DAYS < 1:
    raise ImproperlyConfigured("SESSION_IDLE_DAYS must be 1 or more.")
SESSION_COOKIE_AGE = SESSION_IDLE_DAYS * 24 * 3600
# How long a link that confirms an email works, in seconds (once: confirming ends it).
EMAIL_CONFIRM_MAX_AGE = env_int("EMAIL_CONFIRM_MAX_AGE", 3 * 24 * 3600, minimum=60)

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out client before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading each request's user with their store in one query.
    "stores.backends.UserWithStoreBackend",
    # Django's own, for the sessions it logged in before the one above existed: a
    # session names the backend that logged it in, and Django ends one whose backend is
    # not listed. (A wrong password is then checked twice: axes pauses a client after 5.)
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins are counted per (email, client address); a success resets the count.
AXES_FAILURE_LIMIT = 5
# Failures are counted in the database, which every app server shares.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.lockout.attempted_email"
AXES_CLIENT_IP_CALLABLE = "yumroad_site.clients.client_address"
# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed. Checked
# here, so that a typo stops the start instead of trusting nothing.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
for proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(proxy, strict=False)
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from error
AXES_RESET_ON_SUCCESS = True
# The 15 minutes start at the lockout: failures during it don't extend it, so that
# someone sharing the victim's address can't keep them out for good.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

# Internationalization

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files: Bootstrap comes from a pip package and is served by WhiteNoise,
# so pages need no CDN and work offline.

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # The files products deliver: never at a URL; the download view streams them.
    "private": {"BACKEND": "products.storage.PrivateStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Bootstrap's alert class for an error is "danger".
MESSAGE_TAGS = {message_constants.ERROR: "danger"}

# Uploaded product images. Django serves them when DEBUG is on; in production the
# web server or a storage bucket does.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
# The files buyers pay for: outside MEDIA_ROOT, so no web server rule can publish them.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT") or BASE_DIR / "private")
if PRIVATE_MEDIA_ROOT.resolve().is_relative_to(MEDIA_ROOT.resolve()):
    raise ImproperlyConfigured("PRIVATE_MEDIA_ROOT must not be inside MEDIA_ROOT.")
PRODUCT_FILE_MAX_MB = int(os.environ.get("PRODUCT_FILE_MAX_MB", "100"))

# Object storage (S3 or compatible, through django-storages) when AWS_STORAGE_BUCKET_NAME
# is set: pictures in that bucket, which anyone may read; the files products sell in
# AWS_PRIVATE_BUCKET_NAME, which only signed requests may read: the download view sends
# a paying buyer to an address signed for DOWNLOAD_URL_MAX_AGE seconds. Without it, both
# stay on local disk (MEDIA_ROOT, PRIVATE_MEDIA_ROOT). Keys: AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, else boto3's own search (an instance role, say).
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
AWS_PRIVATE_BUCKET_NAME = os.environ.get("AWS_PRIVATE_BUCKET_NAME", "")
DOWNLOAD_URL_MAX_AGE = int(os.environ.get("DOWNLOAD_URL_MAX_AGE", "60"))
# gunicorn kills a request's worker after GUNICORN_TIMEOUT (gunicorn.conf.py reads it
# too): every wait on another service (S3 in products.storage, Stripe), retries
# included, must end before that.
GUNICORN_TIMEOUT = env_int("GUNICORN_TIMEOUT", 30, minimum=1)
AWS_S3_CONNECT_TIMEOUT = env_int("AWS_S3_CONNECT_TIMEOUT", 2, minimum=1)
AWS_S3_READ_TIMEOUT = env_int("AWS_S3_READ_TIMEOUT", 5, minimum=1)
# Tries of one S3 request, the first included.
AWS_S3_MAX_ATTEMPTS = env_int("AWS_S3_MAX_ATTEMPTS", 2, minimum=1, maximum=10)
if AWS_S3_MAX_ATTEMPTS * (AWS_S3_CONNECT_TIMEOUT + AWS_S3_READ_TIMEOUT) >= GUNICORN_TIMEOUT:
    raise ImproperlyConfigured(
        "AWS_S3_MAX_ATTEMPTS times (AWS_S3_CONNECT_TIMEOUT + AWS_S3_READ_TIMEOUT) must be "
        "under GUNICORN_TIMEOUT, or a frozen S3 would get the worker killed."
    )
if AWS_STORAGE_BUCKET_NAME:
    if AWS_PRIVATE_BUCKET_NAME in ("", AWS_STORAGE_BUCKET_NAME):
        raise ImproperlyConfigured(
            "AWS_PRIVATE_BUCKET_NAME must name a second, private bucket for the files "
            "products sell."
        )
    AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL", "")
    S3_OPTIONS = {
        "endpoint_url": AWS_S3_ENDPOINT_URL or None,
        "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
        # Another endpoint (SeaweedFS, MinIO) names the bucket in the path by default.
        "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE")
        or ("path" if AWS_S3_ENDPOINT_URL else None),
        "signature_version": "s3v4",
        "file_overwrite": False,
    }
    STORAGES["default"] = {
        "BACKEND": "products.storage.PublicS3Storage",
        "OPTIONS": {
            **S3_OPTIONS,
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "querystring_auth": False,
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
        },
    }
    STORAGES["private"] = {
        "BACKEND": "products.storage.PrivateS3Storage",
        "OPTIONS": {
            **S3_OPTIONS,
            "bucket_name": AWS_PRIVATE_BUCKET_NAME,
            "querystring_expire": DOWNLOAD_URL_MAX_AGE,
        },
    }

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: every Django email setting can be set from the environment.

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Yumroad <hello@yumroad.localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Where people write for help: every page's footer and the legal pages show it.
SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "").strip() or parseaddr(DEFAULT_FROM_EMAIL)[1]
try:
    validate_email(SUPPORT_EMAIL)
except ValidationError:
    raise ImproperlyConfigured(
        f"SUPPORT_EMAIL must be an email address, such as help@example.com, not "
        f"{SUPPORT_EMAIL!r} (without it, the address of DEFAULT_FROM_EMAIL)."
    ) from None
# Printed to the console in development, sent over SMTP in production.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or str(BASE_DIR / "sent-emails")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_SSL_CERTFILE = os.environ.get("EMAIL_SSL_CERTFILE") or None
EMAIL_SSL_KEYFILE = os.environ.get("EMAIL_SSL_KEYFILE") or None
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
EMAIL_SUBJECT_PREFIX = os.environ.get("EMAIL_SUBJECT_PREFIX", "[Yumroad] ")
EMAIL_USE_LOCALTIME = env_bool("EMAIL_USE_LOCALTIME", False)

# Background work (emails): Django's task framework. "immediate" runs a task in the
# request that queued it; "database" queues it for `manage.py db_worker`.
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASK_BACKEND = os.environ.get("TASK_BACKEND") or ("immediate" if DEBUG else "database")
if TASK_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASK_BACKEND must be one of: {', '.join(TASK_BACKENDS)}.")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASK_BACKEND]}}
# A task the worker took and did not finish (it was killed, or lost its database) is
# run again this long after it started: longer than the longest task, an SMTP send.
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 300, minimum=1)
if TASK_LEASE_SECONDS <= EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        f"TASK_LEASE_SECONDS must be more than EMAIL_TIMEOUT ({EMAIL_TIMEOUT} s), the "
        "longest a task may take, or a task still running would be run twice."
    )
# /readyz names the tasks "stalled" when a due task has waited this long for a worker.
TASK_STALL_SECONDS = env_int("TASK_STALL_SECONDS", 300, minimum=1)

# Webhooks to sellers (the api app): each try of a delivery waits this long for the
# seller's server (connecting and answering together), in seconds.
SELLER_WEBHOOK_TIMEOUT_SECONDS = env_int(
    "SELLER_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=60
)
if TASK_LEASE_SECONDS <= SELLER_WEBHOOK_TIMEOUT_SECONDS:
    raise ImproperlyConfigured(
        "TASK_LEASE_SECONDS must be more than SELLER_WEBHOOK_TIMEOUT_SECONDS, the longest a "
        "webhook's try may take, or a try still running would be made twice."
    )


def env_seconds_list(name, default):
    """A comma-separated list of whole seconds from the environment, each from 1 to a week."""
    items = env_list(name, default)
    if (
        not items
        or len(items) > 20
        or not all(
            item.isascii() and item.isdigit() and 1 <= int(item) <= 7 * 24 * 3600 for item in items
        )
    ):
        raise ImproperlyConfigured(
            f"{name} must be up to 20 whole numbers of seconds from 1 to 604800, separated "
            f"by commas: {default}, say."
        )
    return [int(item) for item in items]


# A failed try is made again after each of these delays in turn: the first try and one
# more per delay (6 tries with the default), then the delivery is given up.
SELLER_WEBHOOK_RETRY_SECONDS = env_seconds_list(
    "SELLER_WEBHOOK_RETRY_SECONDS", "10,30,120,600,3600"
)
# Lifts the two rules of a webhook's URL (https only; no private, loopback, link-local
# or reserved address, checked again after DNS at each try): development and tests only.
SELLER_WEBHOOKS_ALLOW_PRIVATE = env_bool("SELLER_WEBHOOKS_ALLOW_PRIVATE", False)

# Checkout. Without a Stripe key, DEBUG on runs a local test checkout instead; with
# DEBUG off, paid products cannot be bought until the key is set.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# Another address for Stripe's API, such as stripe-mock's; empty: Stripe's own.
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")


# Where the checkout sessions' pages are, which Buy sends the browser to: an origin
# (scheme://host[:port]), set with a fake Stripe that serves its own pages.
def env_origin(name, default):
    """An origin (scheme://host[:port], no path) from the environment."""
    value = os.environ.get(name) or default
    if not re.fullmatch(
        r"https?://(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?",
        value,
        flags=re.IGNORECASE,
    ):
        raise ImproperlyConfigured(
            f"{name} must be an origin, a scheme and a host with perhaps a port "
            f"and no path: {default}, say."
        )
    return value


STRIPE_CHECKOUT_ORIGIN = env_origin("STRIPE_CHECKOUT_ORIGIN", "https://checkout.stripe.com")
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10, minimum=1)
# The SDK tries a request twice (orders.payments), each up to the timeout.
if 2 * STRIPE_TIMEOUT_SECONDS >= GUNICORN_TIMEOUT:
    raise ImproperlyConfigured(
        "Twice STRIPE_TIMEOUT_SECONDS (a request and its retry) must be under GUNICORN_TIMEOUT."
    )
# Requests of one process that may wait on Stripe at once; Buy beyond it answers 503 at
# once, so the other threads (GUNICORN_THREADS) keep serving pages.
STRIPE_MAX_CONCURRENT = env_int("STRIPE_MAX_CONCURRENT", 4, minimum=1)
# Where Stripe's Connect pages are (the onboarding and the Express dashboard), which
# "Set up payouts" and "Open Stripe dashboard" send the browser to: an origin.
STRIPE_CONNECT_ORIGIN = env_origin("STRIPE_CONNECT_ORIGIN", "https://connect.stripe.com")
# Connected accounts' events (account.updated) may come from a second webhook endpoint
# with its own signing secret; /webhooks/stripe/ accepts a signature made with either.
STRIPE_CONNECT_WEBHOOK_SECRET = os.environ.get("STRIPE_CONNECT_WEBHOOK_SECRET", "")


def env_percent(name, default):
    """A percentage from 0 to 100 from the environment, decimals allowed (2.9)."""
    value = os.environ.get(name, default).strip()
    if not re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{1,4})?", value) or Decimal(value) > 100:
        raise ImproperlyConfigured(f"{name} must be a percentage from 0 to 100, not {value!r}.")
    return Decimal(value)


# The platform's fee of each paid order: this percent of the amount (rounded half up to
# the cent) plus these cents, never more than the amount. Each order keeps the fee it
# was paid with (orders.models.fee_of).
PLATFORM_FEE_PERCENT = env_percent("PLATFORM_FEE_PERCENT", "10")
PLATFORM_FEE_CENTS = env_int("PLATFORM_FEE_CENTS", 50, minimum=0)
# Days a sale's net is pending before it may be paid out.
PAYOUT_HOLD_DAYS = env_int("PAYOUT_HOLD_DAYS", 7, minimum=0)
# The smallest available balance that `manage.py pay_out` transfers, in cents.
PAYOUT_MINIMUM_CENTS = env_int("PAYOUT_MINIMUM_CENTS", 1000, minimum=1)
CURRENCY = os.environ.get("CURRENCY", "usd").strip().lower()
if not re.fullmatch(r"[a-z]{3}", CURRENCY):
    raise ImproperlyConfigured("CURRENCY must be a three-letter ISO code, like usd.")
# The product page's buy box comes from the orders app, which the products app may not
# import: its view calls this function for the box's context.
PRODUCT_PAGE_CONTEXT = "orders.views.checkout.buy_box_context"
# Whether people bought a product (or are paying for it now), so that deleting it
# archives it instead, for the same reason.
PRODUCT_KEPT_BY_BUYERS = "orders.purchase.buyers_keep"
# How long a download link works, in seconds.
DOWNLOAD_LINK_MAX_AGE = int(os.environ.get("DOWNLOAD_LINK_MAX_AGE", str(7 * 24 * 3600)))
# How long a checkout can be paid, in minutes: Stripe allows 30 minutes to 24 hours
# from the session's creation (31 at least leaves room for the request's way there).
# A second Buy of the same product by the same buyer meanwhile reuses it.
CHECKOUT_EXPIRY_MINUTES = env_int("CHECKOUT_EXPIRY_MINUTES", 60, minimum=31, maximum=24 * 60)

# Rate limits per client address (yumroad_site.clients.client_address), counted by
# django-ratelimit in the default cache (yumroad_site/ratelimits.py); over one: a 429 page.
RATELIMIT_VIEW = "yumroad_site.views.too_many_requests"
# A count the cache could not give (Redis went away between two calls) lets the request
# through; with Redis down, counts are kept per process (yumroad_site/redis_cache.py).
RATELIMIT_FAIL_OPEN = True
# Checkouts started (a Buy of a paid product, reused checkouts included) a minute.
CHECKOUT_RATE_PER_MINUTE = env_int("CHECKOUT_RATE_PER_MINUTE", 10, minimum=1)
# Requests that make the site email someone (free claims, sign-up attempts, password
# reset requests, together) an hour.
EMAILS_PER_CLIENT_PER_HOUR = env_int("EMAILS_PER_CLIENT_PER_HOUR", 20, minimum=1)
# The API (api/ratelimits.py): requests a minute per access token, and license
# verifications (no token) a minute per client address. Counted in Redis when there is
# one, else in the database: either way one count for every app server.
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 120, minimum=1)
LICENSE_VERIFY_RATE_PER_MINUTE = env_int("LICENSE_VERIFY_RATE_PER_MINUTE", 600, minimum=1)
# With Redis, license keys' uses are counted there and written into the database this
# long after the first of them (orders.licenses); /sales/ and /library/ show them then.
LICENSE_USES_WRITE_SECONDS = env_int("LICENSE_USES_WRITE_SECONDS", 60, minimum=1)
API_RATE_COUNTER = "cache" if REDIS_URL else "database"
SILENCED_SYSTEM_CHECKS = [
    # "Not officially supported" names every backend outside its list of three. Both of
    # ours increment atomically: Redis with INCR, the file cache under a lock
    # (yumroad_site/file_cache.py).
    "django_ratelimit.W001",
]

# Security

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# No Referer to other sites: a receipt's address (/orders/<key>/) opens the receipt.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # A year of HTTPS only. Covering subdomains and joining browsers' preload lists
    # bind every subdomain for good: the domain owner decides, so the deployment checks
    # don't ask for them.
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SILENCED_SYSTEM_CHECKS += ["security.W005", "security.W021"]

# The other sites a form's answer may send the browser to: the CSP's form-action allows
# them, and blocks any other: Stripe's checkout, and its Connect pages (payouts).
FORM_ACTION_ORIGINS = [STRIPE_CHECKOUT_ORIGIN, STRIPE_CONNECT_ORIGIN]

# Everything comes from this site; product pictures may be linked from any web host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "https:", "http:", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", *FORM_ACTION_ORIGINS],
        "frame-ancestors": ["'none'"],
    },
}
# Added to it on the admin's pages only (yumroad_site.middleware.ContentSecurityPolicyMiddleware).
# The admin's own pages need nothing more; but its forms.css imports widgets.css, and an
# accessibility audit (axe, in the browser journeys) copies such a sheet into <style>
# elements to read it, which the policy would refuse. <style> elements, then, and on the
# admin's pages only: style attributes stay refused, and so does any inline script.
ADMIN_CONTENT_SECURITY_POLICY = {"style-src-elem": ["'self'", "'unsafe-inline'"]}

# Everything goes to the console once, through the root logger: Django's own console
# handler on the "django" logger is dropped, or its records would print twice.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django": {"handlers": [], "propagate": True}},
}
