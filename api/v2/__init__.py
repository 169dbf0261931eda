"""API v2, in Gumroad's shape, on django-ninja (README: "API"). Mounted at /api/v2/ by
api/urls.py; its OpenAPI 3.1 schema at /api/v2/schema/, its docs at /api/v2/docs/."""

from copy import deepcopy
from functools import wraps

from django.http import HttpResponseNotAllowed, JsonResponse
from django.urls import reverse
from ninja import NinjaAPI

from api.v2 import licenses, offer_codes, products, sales, subscriptions, user
from api.v2.base import RENDERER, TOKEN_AUTH, FormOrJsonParser, exception_handlers_add

FORM = "application/x-www-form-urlencoded"
# gunicorn's page for a request line over its limit (gunicorn.conf.py: 8,190 bytes), which
# only values over their documented longest reach (tests/api/test_schema.py).
URI_TOO_LONG = {
    "description": "The path and query are over 8,190 bytes: the server refuses them, in HTML.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def _not_allowed_as_json(view):
    """django-ninja answers a method no operation of a path takes with a text 405: the
    API's is in its envelope, with the same Allow header."""

    @wraps(view)
    def answer(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        allowed = response["Allow"]
        message = f"{request.method} is not allowed here: use {allowed}."
        json = JsonResponse({"success": False, "message": message}, status=405)
        json["Allow"] = allowed
        return json

    return answer


class Api(NinjaAPI):
    # Its URLs are in the api app's namespace (api/urls.py).
    def get_root_path(self, path_params):
        return reverse("api:api-v2:api-root", kwargs=path_params)

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            pattern.callback = _not_allowed_as_json(pattern.callback)
        return patterns

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Each body may come form-encoded too, as Gumroad's clients send it; and a
        query may be too long for the server, whose 414 the API never sees."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema["paths"].values():
            for operation in operations.values():
                content = operation.get("requestBody", {}).get("content", {})
                if "application/json" in content:
                    content[FORM] = deepcopy(content["application/json"])
                if any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
                    operation["responses"]["414"] = deepcopy(URI_TOO_LONG)
        return schema


api = Api(
    title="Yumroad API",
    version="2",
    description="Gumroad's API v2 in shape: every answer has `success`, and `message` "
    "when it is false. Amounts are integer cents. Authenticate with `Authorization: "
    "Bearer <token>` or `access_token=<token>`; make a token in your account settings.",
    urls_namespace="api-v2",
    auth=TOKEN_AUTH,
    parser=FormOrJsonParser(),
    renderer=RENDERER,
    openapi_url="/schema/",
    # Served by api/urls.py, with the Content-Security-Policy the page needs.
    docs_url=None,
)
exception_handlers_add(api)
for module in (user, products, offer_codes, sales, licenses, subscriptions):
    api.add_router("", module.router)
