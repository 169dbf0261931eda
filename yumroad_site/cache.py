"""Caching of catalogue pages, safe for a shop.

Every cached copy carries the catalogue's version: a token that any save or delete
of a store or product replaces (stores/signals.py). A copy of another version is
never served, so a change shows at once on every page and every worker. Pages are
cached whole only for visitors without a session, and never with anyone's messages
or CSRF token in them.
"""

import hashlib
import re
import secrets
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

VERSION_KEY = "catalogue:version"
PAGE_SECONDS = 600
CSRF_PLACEHOLDER = "__yumroad_csrf_token__"
# The query parameter a cached page may have: with others (a search's `q`, made-up
# ones) it is not cached, so that no one can fill the cache with addresses.
PAGE_PARAMETERS = {"page"}
CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]+(")')


def catalogue_changed():
    """Retire every cached copy of the catalogue (the next read makes a new version)."""
    cache.delete(VERSION_KEY)


def _key(parts):
    digest = hashlib.blake2b("\0".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"catalogue:{digest}"


def catalogue_get(*parts):
    """The catalogue's version and the value cached for `parts` in it (None when there
    is none), read together in one round trip to the cache."""
    key = _key(parts)
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, secrets.token_hex(8), None)
        return cache.get(VERSION_KEY), None
    entry = found.get(key)
    return version, entry[1] if entry is not None and entry[0] == version else None


def catalogue_set(version, value, *parts):
    """Cache `value` for `parts`, as read in catalogue `version`."""
    cache.set(_key(parts), (version, value), PAGE_SECONDS)


def catalogue_get_or_set(make, *parts):
    version, value = catalogue_get(*parts)
    if value is None:
        value = make()
        catalogue_set(version, value, *parts)
    return value


def _is_visitor(request):
    """No session and no pending messages: the page is the same for all such visitors."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and set(request.GET) <= PAGE_PARAMETERS
    )


def cache_page_for_visitors(view):
    """Let VisitorPageCacheMiddleware keep this view's pages for visitors."""

    @wraps(view)
    def marked_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.cache_for_visitors = True
        return response

    return marked_view


class VisitorPageCacheMiddleware:
    """Serve catalogue pages (views marked by cache_page_for_visitors) to visitors from
    the cache, per address and catalogue version.

    It sits right after CsrfViewMiddleware, so a cached page skips the rest of the
    stack; it keeps the headers the rest added (the Content-Security-Policy, say) to
    send them again. The copy is stored with a placeholder where the page's forms carry
    the CSRF token, and each visitor gets their own token in its place (and
    CsrfViewMiddleware sets the cookie for it).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _is_visitor(request):
            return self.get_response(request)
        parts = ("visitor page", request.get_full_path())
        version, cached = catalogue_get(*parts)
        if cached is not None:
            headers, content = cached
            if CSRF_PLACEHOLDER in content:
                content = content.replace(CSRF_PLACEHOLDER, get_token(request))
            return HttpResponse(content, headers=headers)
        response = self.get_response(request)
        if self.keeps(response):
            content = CSRF_INPUT.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", response.content.decode())
            headers = {name: value for name, value in response.items() if name != "Content-Length"}
            catalogue_set(version, (headers, content), *parts)
        return response

    @staticmethod
    def keeps(response):
        """A catalogue page as every visitor sees it: no other cookie than CSRF's."""
        return (
            getattr(response, "cache_for_visitors", False)
            and response.status_code == 200
            and not response.streaming
            and not set(response.cookies) - {settings.CSRF_COOKIE_NAME}
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
        cacheable = "q" not in self.request.GET
        parts = ("list", self.request.path, self.request.GET.get("page", ""))
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
