import logging
from functools import cache

from botocore.exceptions import HTTPClientError
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import BadRequest
from django.urls import reverse
from django.utils.cache import patch_cache_control

from yumroad_site.views import API_PREFIX, service_unavailable

logger = logging.getLogger(__name__)

FILE_STORE_MESSAGE = "The file store is not answering; please try again."


class FileStoreUnavailable(Exception):
    """The file store did not answer in time. Not an OSError, as botocore's timeouts
    are, so that no `except OSError` takes it for a missing file."""


# Features no page of the site uses: a script that slips in can't ask for them either.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in [
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "usb",
    ]
)


def permissions_policy(get_response):
    def middleware(request):
        response = get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    return middleware


@cache
def admin_prefix():
    return reverse("admin:index")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's Content-Security-Policy, with what Django's admin needs added on the
    admin's pages only (settings.ADMIN_CONTENT_SECURITY_POLICY): the site's own pages
    keep the strict policy, with no inline script or style."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(admin_prefix()):
            parts.update = {**settings.ADMIN_CONTENT_SECURITY_POLICY, **(parts.update or {})}
        return parts


def private_pages(get_response):
    """`Cache-Control: private, no-store` on every response to a logged-in member and
    on every page that carries a form token: no proxy may keep a member's library (its
    download links) or hand anyone's CSRF token to someone else.

    It sits above the page cache, so the copies that skip the rest of the stack get it
    too: a member is known by the session's user key, as the page cache knows them. A
    header a view set keeps its directives (never_cache's has both already); "public"
    gives way.
    """

    def middleware(request):
        response = get_response(request)
        session = getattr(request, "session", None)
        member = session is not None and session.get(SESSION_KEY) is not None
        # Django adds this key when a token is used or made (get_token, rotate_token); a
        # csrf_protect view's own middleware sets it back to False, but never removes it.
        form_token = "CSRF_COOKIE_NEEDS_UPDATE" in request.META
        if member or form_token:
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


def refuse_null_characters(get_response):
    """A 400 for a NUL character in a query or form parameter (names included), in a
    header or in a cookie (a quoted cookie may spell one "\\000").

    No one types one, and PostgreSQL refuses it in any text: a search or a filter
    that passed it on (the admin's, an app's), a session looked up by its cookie, or a
    failed login's record of the user agent, would fail with a 500. gunicorn refuses
    it in headers; other servers may not. It runs before the session is read.
    """

    def middleware(request):
        if request.path.startswith(API_PREFIX):
            # The API reads its bodies whole (request.body, bounded by
            # DATA_UPLOAD_MAX_MEMORY_SIZE): read first, a multipart form is parsed from
            # that copy, not from the stream, which request.body could not read after it.
            request.body  # noqa: B018
        if any("\0" in value for key, value in request.META.items() if key.startswith("HTTP_")):
            raise BadRequest("A header contains a NUL character.")
        if any("\0" in value for value in request.COOKIES.values()):
            raise BadRequest("A cookie contains a NUL character.")
        for params in (request.GET, request.POST):
            if any(
                "\0" in key or "\0" in value for key, values in params.lists() for value in values
            ):
                raise BadRequest("A parameter contains a NUL character.")
        return get_response(request)

    return middleware


class FileStoreUnavailableMiddleware:
    """A request whose S3 call timed out or could not connect (products.storage bounds
    each one) gets the 503 page at once, never a 500: an upload, a download, a picture
    pipeline alike. Model saves roll back and remove what they stored (Product.save)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, HTTPClientError | FileStoreUnavailable):
            return None
        logger.warning("The file store did not answer %s: %r", request.path, exception)
        return service_unavailable(request, FILE_STORE_MESSAGE, retry_after=30)
