"""Caching of catalogue pages, safe for a shop.

Every cached copy carries versions, tokens that a change replaces: the catalogue's,
which any write to a store or product replaces, and, on a member's own copies of pages,
the member's, which a change to their account or to what they own replaces (every such
write goes through yumroad_site/retirement.py). A copy made under other versions is
never served, so a change shows at once on every page and every worker. No copy ever
holds anyone's messages or CSRF token. The backend is either of the two that implement
yumroad_site/cache_backend.py.
"""

import hashlib
import re
import secrets
from functools import wraps

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import escape_uri_path

CATALOGUE_VERSION = "catalogue:version"
PAGE_SECONDS = 600
# Where a form carries its CSRF token: a copy is kept cut there, and each response
# joins the pieces with its own token. (Text a seller wrote is escaped: it can't
# contain this, quotes and all.)
CSRF_VALUE = re.compile(r'(?<=name="csrfmiddlewaretoken" value=")[A-Za-z0-9]+(?=")')
# The one query a cached page may have: `page`, written as the list writes it. Others
# (a search's `q`, made-up ones, `page=01`) are not cached, so that no one can fill the
# cache with addresses.
PAGE_NUMBER = r"[1-9][0-9]{0,8}|last"
PAGE_QUERY = re.compile(rf"page=(?:{PAGE_NUMBER})")


def member_version(user_pk):
    return f"member:{user_pk}:version"


def _key(parts):
    digest = hashlib.blake2b("\0".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"page-cache:{digest}"


def _get(version_keys, parts):
    """The current versions of `version_keys`, and the value cached for `parts` under
    them (None when there is none), read together in one round trip to the cache, or
    none at all from near copies (redis_cache.py)."""
    key = _key(parts)
    found = cache.get_many_near([*version_keys, key])
    versions = []
    for version_key in version_keys:
        if found.get(version_key) is None:
            cache.add(version_key, secrets.token_hex(8), None)
            found[version_key] = cache.get(version_key)
        versions.append(found[version_key])
    versions = tuple(versions)
    entry = found.get(key)
    if entry is not None and entry[0] != versions:
        # A near copy older than the versions: another process may have cached the
        # page anew since.
        entry = cache.get(key)
    return versions, entry[1] if entry is not None and entry[0] == versions else None


def _set(versions, value, parts):
    cache.set_near(_key(parts), (versions, value), PAGE_SECONDS)


def catalogue_get(*parts):
    """The catalogue's version and the value cached for `parts` in it, or None."""
    return _get((CATALOGUE_VERSION,), parts)


def catalogue_set(version, value, *parts):
    """Cache `value` for `parts`, as read in catalogue `version`."""
    _set(version, value, parts)


def catalogue_get_or_set(make, *parts):
    version, value = catalogue_get(*parts)
    if value is None:
        value = make()
        catalogue_set(version, value, *parts)
    return value


# Where each character of a token stands in the alphabet.
CSRF_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}


def _random_indexes(count):
    """`count` indexes into CSRF_ALLOWED_CHARS, each uniform, from one read of the
    system's randomness (bytes past the last whole multiple of the alphabet are left,
    as they would favour its first characters)."""
    size = len(CSRF_ALLOWED_CHARS)
    limit = 256 - 256 % size
    indexes = []
    while len(indexes) < count:
        indexes += [byte % size for byte in secrets.token_bytes(2 * count) if byte < limit]
    return indexes[:count]


def form_token(request):
    """Django's get_token(request), made in a fifth of the time: the same masked token
    of the CSRF secret, and a new secret (which CsrfViewMiddleware then sets as the
    cookie) when the request brought none. Django draws each of the 64 random characters
    with a call of its own, about as long as the rest of serving a cached page."""
    chars, size = CSRF_ALLOWED_CHARS, len(CSRF_ALLOWED_CHARS)
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = "".join([chars[index] for index in _random_indexes(CSRF_SECRET_LENGTH)])
        request.META["CSRF_COOKIE"] = secret
    # As in get_token: the cookie is (re)sent with the response.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_indexes(CSRF_SECRET_LENGTH)
    pairs = zip(secret, mask, strict=True)
    cipher = [chars[(CSRF_INDEX[char] + shift) % size] for char, shift in pairs]
    return "".join([chars[shift] for shift in mask] + cipher)


def cacheable_page(view):
    """Let PageCacheMiddleware keep this view's pages, at their own address only (not
    /products/0001/ for /products/1/). A view without pagination keeps only its address
    without a query."""
    paginated = bool(getattr(getattr(view, "view_class", None), "paginate_by", None))

    @wraps(view)
    def marked_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        match = request.resolver_match
        # reverse() gives the address percent-encoded (/stores/%C3%A4rger-laden/), as
        # get_full_path() does, where request.path is decoded.
        address = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
        response.cacheable = (paginated or not request.GET) and escape_uri_path(
            request.path
        ) == address
        return response

    return marked_view


def _viewer(request):
    """The version keys and key parts of the copy `request` may get, or None: pages
    with messages waiting, and visitors with a session but not logged in, get none.

    A member is known by their session alone, without the query that loads their
    account: a copy of their page is kept under the account's hash that the session
    holds (which Django checked when it made the copy) and under their member version
    (which any change to the account replaces), so a copy is served only to a session
    Django would accept. The key is made with SECRET_KEY, which Django's check uses.
    """
    query = request.META.get("QUERY_STRING", "")
    if request.method not in ("GET", "HEAD") or (query and not PAGE_QUERY.fullmatch(query)):
        return None
    if CookieStorage.cookie_name in request.COOKIES:
        return None
    path = request.get_full_path()
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return (CATALOGUE_VERSION,), ("visitor page", path)
    user_pk = request.session.get(SESSION_KEY)
    if user_pk is None or SessionStorage.session_key in request.session:
        return None
    auth_hash = request.session.get(HASH_SESSION_KEY)
    return (
        (CATALOGUE_VERSION, member_version(user_pk)),
        ("member page", settings.SECRET_KEY, user_pk, auth_hash, path),
    )


class PageCacheMiddleware:
    """Serve the pages of views marked `cacheable_page` from the cache: visitors
    without a session share one copy per address; a logged-in member has copies of
    their own, under their member version too.

    It sits right after SessionRenewalMiddleware, so a cached page skips the rest of
    the stack (even the authentication); it keeps the headers the rest added (the
    Content-Security-Policy, say) to send them again. A copy is stored cut where the
    page's forms carry the CSRF token, and each request gets its own token there (and
    CsrfViewMiddleware sets the cookie for it).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        viewer = _viewer(request)
        if viewer is None:
            return self.get_response(request)
        version_keys, parts = viewer
        versions, cached = _get(version_keys, parts)
        if cached is not None:
            headers, pieces = cached
            content = form_token(request).join(pieces) if len(pieces) > 1 else pieces[0]
            return HttpResponse(content, headers=headers)
        response = self.get_response(request)
        if self.keeps(request, response, parts):
            pieces = CSRF_VALUE.split(response.content.decode())
            headers = {name: value for name, value in response.items() if name != "Content-Length"}
            _set(versions, (headers, pieces), parts)
        return response

    @staticmethod
    def keeps(request, response, parts):
        """A page as every such request would get it: no cookie set (a message added
        sets one) or session changed, but for the CSRF cookie; a member's page, once
        Django has accepted their session."""
        session = getattr(request, "session", None)
        if parts[0] == "member page" and str(request.user.pk) != parts[2]:
            return False
        return (
            getattr(response, "cacheable", False)
            and response.status_code == 200
            and not response.streaming
            and not set(response.cookies) - {settings.CSRF_COOKIE_NAME}
            and not (session is not None and session.modified)
        )


class CachedListMixin:
    """For the catalogue's ListViews: the list part of the page (`list_template_name`,
    the cards and their pagination) is rendered once per catalogue version, address
    and page, for visitors and members alike, as `list_html` with the number of items
    as `list_count`; a cached copy costs no query. It is rendered without the request,
    so it can't hold anything that depends on who is looking."""

    list_template_name = None

    def get_context_data(self, **kwargs):
        # Searches are not cached: there are too many of them.
        page = self.request.GET.get(self.page_kwarg) or "1"
        cacheable = "q" not in self.request.GET and re.fullmatch(PAGE_NUMBER, page)
        parts = ("list", self.request.path, page)
        version, cached = catalogue_get(*parts) if cacheable else (None, None)
        if cached is None:
            context = super().get_context_data(**kwargs)
            html = render_to_string(self.list_template_name, context)
            cached = (html, context["paginator"].count)
            if cacheable:
                catalogue_set(version, cached, *parts)
        else:
            context = {**kwargs, "view": self}
        context["list_html"], context["list_count"] = cached
        return context
