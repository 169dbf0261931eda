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
    # The layout of an entry, (keys, versions, value): a new layout takes new keys, so
    # that what an older release left in Redis is never read as it.
    return f"page-cache:2:{digest}"


def product_version(product_pk):
    """Retired by a save or delete of the product or one of its orders, and by the
    services' moves of its orders and changes to their license keys (the admin changes
    neither an order's product nor a key): what orders.licenses keeps in Redis for
    verifying a key is kept under it (a value of its own making, which only its scripts
    read)."""
    return f"product:{product_pk}:version"


def store_version(slug):
    return f"store:{slug}:version"


def store_pages(kwargs):
    """The versions of a store's own pages: its products, and no other store's."""
    return (store_version(kwargs["slug"]),)


def catalogue_pages(kwargs):
    """The versions of a page that shows several stores' products, or their names."""
    return (CATALOGUE_VERSION,)


def _versions(keys, found):
    """The current version of each of `keys`, from `found` (what was read already)
    where it holds one, made anew where the cache has none."""
    found = dict(found)
    unread = [key for key in keys if key not in found]
    if unread:
        found.update(cache.get_many_near(unread))
    for key in keys:
        if found.get(key) is None:
            cache.add(key, secrets.token_hex(8), None)
            found[key] = cache.get(key)
    return tuple(found[key] for key in keys)


def _get(version_keys, parts):
    """What was read of `version_keys`, and the value cached for `parts` (None when
    there is none, or it was made under other versions than the current ones). One
    round trip to the cache, or none at all from near copies (redis_cache.py); one more
    when the copy was made under versions other than `version_keys`."""
    key = _key(parts)
    found = cache.get_many_near([*version_keys, key])
    entry = found.pop(key, None)
    if entry is not None and not _current(entry, found):
        # A near copy older than the versions: another process may have cached the
        # page anew since.
        entry = cache.get(key)
    return found, entry[2] if entry is not None and _current(entry, found) else None


def _current(entry, found):
    """Whether `entry` was made under the current versions (`found` holds those read
    already, and takes those read now)."""
    keys, versions, _ = entry
    unread = [key for key in keys if key not in found]
    if unread:
        found.update(cache.get_many_near(unread))
    return tuple(found.get(key) for key in keys) == versions


def _set(keys, versions, value, parts, seconds=PAGE_SECONDS):
    cache.set_near(_key(parts), (keys, versions, value), seconds)


def cached(*parts):
    """The value cached for `parts` under current versions, or None."""
    return _get((), parts)[1]


def current_versions(keys):
    """The current versions of `keys` (made where the cache has none): read them before
    reading what is to be kept under them (`keep`)."""
    return _versions(keys, {})


def keep(keys, versions, value, *parts, seconds=PAGE_SECONDS):
    """Cache `value` for `parts` under `versions` of `keys`, read before `value` was:
    `cached(*parts)` gives it while they are current."""
    _set(keys, versions, value, parts, seconds)


def get_or_set(keys, make, *parts):
    """The value cached for `parts` under the versions of `keys`, made by `make()` when
    there is none."""
    found, value = _get(keys, parts)
    if value is None:
        versions = _versions(keys, found)  # before make() reads anything
        value = make()
        _set(keys, versions, value, parts)
    return value


def catalogue_get_or_set(make, *parts):
    """The value cached for `parts` in the catalogue's version, made by `make()` when
    there is none."""
    return get_or_set((CATALOGUE_VERSION,), make, *parts)


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


def cacheable_page(view, versions=catalogue_pages):
    """Let PageCacheMiddleware keep this view's pages, at their own address only (not
    /products/0001/ for /products/1/), under the versions `versions(kwargs)` names. A
    view without pagination keeps only its address without a query. A view that sets
    `response.cacheable = False` (a page that differs per viewer) keeps none."""
    paginated = bool(getattr(getattr(view, "view_class", None), "paginate_by", None))

    @wraps(view)
    def marked_view(request, *args, **kwargs):
        # Read before the view reads anything: a change made meanwhile replaces them.
        keys = versions(kwargs)
        request.page_versions = (keys, _versions(keys, {}))
        response = view(request, *args, **kwargs)
        match = request.resolver_match
        # reverse() gives the address percent-encoded (/stores/%C3%A4rger-laden/), as
        # get_full_path() does, where request.path is decoded.
        address = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
        response.cacheable = (
            getattr(response, "cacheable", True)
            and (paginated or not request.GET)
            and escape_uri_path(request.path) == address
        )
        return response

    return marked_view


def _viewer(request):
    """The member's version keys and the key parts of the copy `request` may get, or
    None: pages with messages waiting, requests with credentials, and visitors with a
    session but not logged in, get none.

    A member is known by their session alone, without the query that loads their
    account: a copy of their page is kept under the account's hash that the session
    holds (which Django checked when it made the copy) and under their member version
    (which any change to the account replaces), so a copy is served only to a session
    Django would accept. The key is made with SECRET_KEY, which Django's check uses.
    """
    query = request.META.get("QUERY_STRING", "")
    if request.method not in ("GET", "HEAD") or (query and not PAGE_QUERY.fullmatch(query)):
        return None
    if "HTTP_AUTHORIZATION" in request.META:
        # The answer to credentials (the API's token) is no one else's (RFC 9111, 3.5).
        return None
    if CookieStorage.cookie_name in request.COOKIES:
        return None
    path = request.get_full_path()
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return (), ("visitor page", path)
    user_pk = request.session.get(SESSION_KEY)
    if user_pk is None or SessionStorage.session_key in request.session:
        return None
    auth_hash = request.session.get(HASH_SESSION_KEY)
    return (
        (member_version(user_pk),),
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
        member_keys, parts = viewer
        # Most pages are kept under the catalogue's version: read with the copy.
        found, copy = _get((CATALOGUE_VERSION, *member_keys), parts)
        if copy is not None:
            headers, pieces = copy
            content = form_token(request).join(pieces) if len(pieces) > 1 else pieces[0]
            return HttpResponse(content, headers=headers)
        member_versions = _versions(member_keys, found)  # before the account is read
        response = self.get_response(request)
        if self.keeps(request, response, parts):
            page_keys, page_versions = request.page_versions
            pieces = CSRF_VALUE.split(response.content.decode())
            headers = {name: value for name, value in response.items() if name != "Content-Length"}
            keys, versions = (*member_keys, *page_keys), (*member_versions, *page_versions)
            _set(keys, versions, (headers, pieces), parts)
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
        # The versions cacheable_page read before the view ran.
        keys, versions = self.request.page_versions
        cached = _get(keys, parts)[1] if cacheable else None
        if cached is None:
            context = super().get_context_data(**kwargs)
            html = render_to_string(self.list_template_name, context)
            cached = (html, context["paginator"].count)
            if cacheable:
                _set(keys, versions, cached, parts)
        else:
            context = {**kwargs, "view": self}
        context["list_html"], context["list_count"] = cached
        return context
