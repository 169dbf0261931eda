import unicodedata

from django.contrib.auth.views import RedirectURLMixin
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.urls import reverse

from yumroad_site.context_processors import site

# What was not found, by the URL name, else the URL namespace, of the view that raised
# the 404.
NOT_FOUND = {
    "products:store": ("store", "products:stores", "See all stores"),
    "products": ("product", "products:index", "See all products"),
    "orders:receipt": ("receipt", "products:index", "See all products"),
}
NOT_FOUND_DEFAULT = ("page", "products:stores", "See all stores")


class HttpResponseSeeOther(HttpResponseRedirect):
    """After a POST, the browser follows with a GET (Stripe's checkout page, say)."""

    status_code = 303


class SafeNextMixin(RedirectURLMixin):
    """Follow `next` after a form only when it is safe, and carry it in the form.

    Django's check (this host, a safe scheme, https kept), refusing control characters
    anywhere too: Django refuses one only at the start, and no address here has one.
    """

    def get_redirect_url(self):
        url = super().get_redirect_url()
        if any(unicodedata.category(char).startswith("C") for char in url):
            return ""
        return url

    def get_context_data(self, **kwargs):
        kwargs[self.redirect_field_name] = self.get_redirect_url()
        return super().get_context_data(**kwargs)


class InvalidFormStatusMixin:
    """A form sent back with errors answers 400, so that clients and logs see a refusal."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PageOutOfRange(Http404):
    """A list's page number past its end, or not a number: the list itself is there."""


class DeferredJoinPaginator(Paginator):
    """For long lists: a page's rows are picked by their ids first, `WHERE pk IN (SELECT
    pk ... OFFSET n LIMIT m)`, which an index answers, so the rows skipped on the way to
    a deep page are never read whole nor joined (the last page of 100,000 products,
    uncached: 215 ms before, 45 ms after)."""

    def _get_page(self, object_list, number, paginator):
        ids = object_list.values_list("pk", flat=True)
        return super()._get_page(self.object_list.filter(pk__in=ids), number, paginator)


class PaginatedMixin:
    """For ListViews: a bad page number gets a 404 that says so and links to page 1."""

    def paginate_queryset(self, queryset, page_size):
        try:
            return super().paginate_queryset(queryset, page_size)
        except Http404 as error:
            raise PageOutOfRange(*error.args) from error


def too_many_requests(request, exception):
    """RATELIMIT_VIEW: a request over a rate limit (yumroad_site.ratelimits) gets this 429."""
    retry_after = getattr(exception, "retry_after", None)
    context = {
        "message": str(exception) or "Too many requests came from your address.",
        "minutes": -(-retry_after // 60) if retry_after else None,
    }
    response = render(request, "429.html", context, status=429)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def service_unavailable(request, message, *, retry_after):
    """503 with `message` and Retry-After: a part the site needs is busy or not answering,
    and the request changed nothing."""
    response = render(request, "503.html", {"message": message}, status=503)
    response["Retry-After"] = str(retry_after)
    return response


# The API's paths: its errors are JSON in its shape, as its answers are.
API_PREFIX = "/api/"


def api_error(request, status, message):
    """An error of a path under API_PREFIX, as the API answers: None for other paths."""
    if not request.path.startswith(API_PREFIX):
        return None
    return JsonResponse({"success": False, "message": message}, status=status)


def page_not_found(request, exception):
    if answer := api_error(request, 404, "Not found: see /api/v2/docs/."):
        return answer
    if isinstance(exception, PageOutOfRange):
        context = {"missing": "page", "link": request.path, "link_text": "Go to the first page"}
    else:
        match = request.resolver_match
        missing, url_name, link_text = (
            NOT_FOUND.get(match.view_name) or NOT_FOUND.get(match.namespace, NOT_FOUND_DEFAULT)
            if match
            else NOT_FOUND_DEFAULT
        )
        context = {"missing": missing, "link": reverse(url_name), "link_text": link_text}
    return render(request, "404.html", context, status=404)


def bad_request(request, exception):
    """The 400 page: as Django's, rendered without the request's context processors, but
    with the site's name and support address (every footer shows them)."""
    message = str(exception) if isinstance(exception, BadRequest) else ""
    if answer := api_error(request, 400, message or "Bad request."):
        return answer
    return HttpResponseBadRequest(loader.get_template("400.html").render(site(request)))


def server_error(request):
    """The 500 page: as Django's, without the request's context (the database may be
    what failed), but with the site's name and support address."""
    if answer := api_error(request, 500, "Something went wrong on our side."):
        return answer
    return HttpResponseServerError(loader.get_template("500.html").render(site(request)))
