"""Caching of catalogue pages, safe for a shop.

Every cached copy is named by the catalogue's version: a token that any save or
delete of a store or product replaces (stores/signals.py), so a change shows at once
on every page and every worker. Pages are cached whole only for visitors without a
session, and never with anyone's messages or CSRF token in them.
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
# Query parameters a catalogue page reads; an address with others is not cached, so
# made-up addresses can't fill the cache.
PAGE_PARAMETERS = {"page", "q"}
CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]+(")')


def catalogue_version():
    """The catalogue's current version token, made anew after a change."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, secrets.token_hex(8), None)
        version = cache.get(VERSION_KEY)
    return version


def catalogue_changed():
    """Retire every cached copy of the catalogue (the next read makes a new version)."""
    cache.delete(VERSION_KEY)


def catalogue_key(*parts):
    """A cache key for `parts` in the current version of the catalogue."""
    digest = hashlib.blake2b("\0".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"catalogue:{catalogue_version()}:{digest}"


def _is_visitor(request):
    """No session and no pending messages: the page is the same for all such visitors."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and set(request.GET) <= PAGE_PARAMETERS
    )


def cache_page_for_visitors(view):
    """Serve a catalogue page to visitors from the cache, per address and version.

    The copy is stored with a placeholder where the page's forms carry the CSRF token,
    and each visitor gets their own token in its place (and the cookie for it).
    """

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        if not _is_visitor(request):
            return view(request, *args, **kwargs)
        key = catalogue_key("page", request.get_full_path())
        cached = cache.get(key)
        if cached is not None:
            content_type, content = cached
            if CSRF_PLACEHOLDER in content:
                content = content.replace(CSRF_PLACEHOLDER, get_token(request))
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()
        cookies = set(response.cookies) - {settings.CSRF_COOKIE_NAME}
        if response.status_code == 200 and not cookies and not response.streaming:
            content = CSRF_INPUT.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", response.content.decode())
            cache.set(key, (response["Content-Type"], content), PAGE_SECONDS)
        return response

    return cached_view


class CachedListMixin:
    """For the catalogue's ListViews: the list part of the page (`list_template_name`,
    the cards and their pagination) is rendered once per catalogue version, address
    and page, for visitors and members alike, with the number of items; a cached copy
    costs no query. It is rendered without the request, so it can't hold anything
    that depends on who is looking."""

    list_template_name = None

    def get_context_data(self, **kwargs):
        key = catalogue_key(
            "list",
            self.request.path,
            self.request.GET.get("page", ""),
            self.request.GET.get("q", ""),
        )
        cached = cache.get(key)
        if cached is None:
            context = super().get_context_data(**kwargs)
            html = render_to_string(self.list_template_name, context)
            cached = (html, context["paginator"].count)
            cache.set(key, cached, PAGE_SECONDS)
        else:
            context = {**kwargs, "view": self}
        context["list_html"], context["list_count"] = cached
        return context
