"""Caching of catalogue pages, safe for a shop.

Every cached copy carries versions, tokens that a change replaces: the catalogue's,
which any save or delete of a store or product replaces ({stores,products}/signals.py), and, on a
member's own copies of pages, the member's, which a change to their account or to what
they own replaces (accounts/signals.py, orders/services.py). A copy made under other
versions is never served, so a change shows at once on every page and every worker.
No copy ever holds anyone's messages or CSRF token.
"""

import hashlib
import re
import secrets
from functools import partial, wraps

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse

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


def _delete(key):
    # With Redis, every process is told to drop its near copy (redis_cache.py).
    getattr(cache, "delete_announced", cache.delete)(key)


def _retire(version_key):
    """Retire every copy cached under `version_key` (the next read makes a new version):
    now, for this connection's next read, and again after the commit, in case someone
    cached an old page meanwhile from outside the transaction."""
    _delete(version_key)
    transaction.on_commit(partial(_delete, version_key), robust=True)


def catalogue_changed():
    """Retire every cached copy of the catalogue."""
    _retire(CATALOGUE_VERSION)


def member_changed(user_pk):
    """Retire every copy of a page cached for the member `user_pk`."""
    if user_pk is not None:
        _retire(member_version(user_pk))


def _key(parts):
    digest = hashlib.blake2b("\0".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"page-cache:{digest}"


def _get(version_keys, parts):
    """The current versions of `version_keys`, and the value cached for `parts` under
    them (None when there is none), read together in one round trip to the cache, or
    none at all from near copies (redis_cache.py)."""
    key = _key(parts)
    found = getattr(cache, "get_many_near", cache.get_many)([*version_keys, key])
    versions = []
    for version_key in version_keys:
        if found.get(version_key) is None:
            cache.add(version_key, secrets.token_hex(8), None)
            found[version_key] = cache.get(version_key)
        versions.append(found[version_key])
    versions = tuple(versions)
    entry = found.get(key)
    if entry is not None and entry[0] != versions and hasattr(cache, "get_many_near"):
        # A near copy older than the versions: another process may have cached the
        # page anew since.
        entry = cache.get(key)
    return versions, entry[1] if entry is not None and entry[0] == versions else None


def _set(versions, value, parts):
    getattr(cache, "set_near", cache.set)(_key(parts), (versions, value), PAGE_SECONDS)


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


def cacheable_page(view):
    """Let PageCacheMiddleware keep this view's pages, at their own address only (not
    /products/0001/ for /products/1/). A view without pagination keeps only its address
    without a query."""
    paginated = bool(getattr(getattr(view, "view_class", None), "paginate_by", None))

    @wraps(view)
    def marked_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        match = request.resolver_match
        response.cacheable = (paginated or not request.GET) and request.path == reverse(
            match.view_name, args=match.args, kwargs=match.kwargs
        )
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
            content = get_token(request).join(pieces) if len(pieces) > 1 else pieces[0]
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
