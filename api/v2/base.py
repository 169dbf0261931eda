"""What every endpoint of API v2 shares: the answers' shape (`success`, and `message`
when false), reading bodies sent as a form or as JSON, authentication by access token
with its scope and rate limit, and the errors' answers."""

import json
from io import BytesIO

from django.conf import settings
from django.http import Http404, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import APIKeyQuery, HttpBearer

from api.ratelimits import RateLimited, rate_check
from api.services import access_token_authenticate

MULTIPART = "multipart/form-data"
FORM_TYPES = ("application/x-www-form-urlencoded", MULTIPART)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

UNAUTHENTICATED_MESSAGE = (
    "Send a valid access token: `Authorization: Bearer <token>` or `access_token=<token>`."
)
READ_ONLY_MESSAGE = "This token may only read: make a read-write token to change anything."
RATE_MESSAGE = "Too many requests with this token in the last minute."
NO_STORE_MESSAGE = "This account has no store yet: open one on the site first."


# How every answer is written out: the API's, and an answer kept already written
# (json_answer).
RENDERER = JSONRenderer()


def json_answer(request, data):
    """The bytes of a 200 answer of `data`, as the API writes them."""
    return RENDERER.render(request, data, response_status=200)


def json_response(content):
    return HttpResponse(content, content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}")


class ErrorOut(Schema):
    success: bool
    message: str


class DoneOut(Schema):
    success: bool
    message: str


def errors(*codes):
    """The error answers an operation declares: each with ErrorOut."""
    return {frozenset(codes): ErrorOut}


# What an operation with a token may answer besides its success.
TOKEN_ERRORS = (400, 401, 403, 404, 429)


class FormOrJsonParser(Parser):
    """A body as JSON, or form-encoded as Gumroad's clients send it (one value a name).
    A NUL character anywhere is refused: no one types one, and PostgreSQL can't store it."""

    def parse_body(self, request):
        data = body_data(request)
        if not isinstance(data, dict):
            raise HttpError(400, "Send the body as a JSON object or as a form.")
        for name, value in data.items():
            if "\0" in str(name) or (isinstance(value, str) and "\0" in value):
                raise HttpError(400, f"{name}: contains a NUL character.")
        return data


def body_data(request):
    """The request's body as a dict (a form's last value for each name), or whatever
    JSON it holds; {} when empty. Raises ValueError when it can't be read."""
    if request.content_type in FORM_TYPES:
        if request.method == "POST":
            form = request.POST
        elif request.content_type == MULTIPART:  # Django reads a form only for POST
            try:
                form, _ = MultiPartParser(
                    request.META, BytesIO(request.body), request.upload_handlers, request.encoding
                ).parse()
            except MultiPartParserError as error:
                raise ValueError(f"Not a multipart form: {error}") from None
        else:
            form = QueryDict(request.body, encoding=request.encoding)
        return {name: form[name] for name in form}
    if not request.body:
        return {}
    return json.loads(request.body)


def _token_in_body(request):
    if request.method in SAFE_METHODS:
        return None
    try:
        data = body_data(request)
    except ValueError:
        return None
    token = data.get("access_token") if isinstance(data, dict) else None
    return token if isinstance(token, str) else None


def _authenticate(request, text):
    """The token of `text`, counted in its rate limit, allowed the request's method;
    None when it is no active token (the answer is then 401)."""
    token = access_token_authenticate(text=text)
    if token is None:
        return None
    rate_check(
        request=request,
        key=f"token:{token.pk}",
        per_minute=settings.API_RATE_PER_MINUTE,
        message=RATE_MESSAGE,
    )
    if request.method not in SAFE_METHODS and not token.can_write:
        raise HttpError(403, READ_ONLY_MESSAGE)
    return token


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`."""

    def authenticate(self, request, token):
        return _authenticate(request, token.strip())


class ParameterToken(APIKeyQuery):
    """`access_token=<token>` in the query, or in the body (a form or JSON)."""

    param_name = "access_token"

    def _get_key(self, request):
        return request.GET.get(self.param_name) or _token_in_body(request)

    def authenticate(self, request, key):
        return _authenticate(request, key) if key else None


TOKEN_AUTH = [BearerToken(), ParameterToken()]


def store_of(request):
    """The store of the token's owner; 404 when they have none."""
    store = getattr(request.auth.user, "store", None)
    if store is None:
        raise HttpError(404, NO_STORE_MESSAGE)
    return store


def field_error(name, message):
    return HttpError(400, f"{name}: {message}")


def validation_error(error, names=None):
    """A 400 naming the field from a Django ValidationError (a form's or a service's),
    its fields renamed as the API calls them (`names`)."""
    names = names or {}
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        if field == "__all__":
            return HttpError(400, " ".join(messages))
        return field_error(names.get(field, field), " ".join(messages))
    return HttpError(400, " ".join(error.messages))


def form_error(form, names=None):
    field, field_errors = next(iter(form.errors.items()))
    if field == "__all__":
        return HttpError(400, " ".join(field_errors))
    return field_error((names or {}).get(field, field), " ".join(field_errors))


def _answer(api, request, status, message, **headers):
    response = api.create_response(request, {"success": False, "message": message}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def exception_handlers_add(api):
    @api.exception_handler(NinjaValidationError)
    def invalid(request, exc):
        error = exc.errors[0]
        # (where, the operation's parameter, the field): the parameter is named only
        # when the whole of it is wrong (a body that is no object).
        location = [str(part) for part in error.get("loc", ())[1:]]
        if len(location) > 1 and location[0] in ("payload", "filters"):
            location = location[1:]
        name = ".".join(location) or "body"
        return _answer(api, request, 400, f"{name}: {error.get('msg', 'Invalid.')}")

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return _answer(api, request, 401, UNAUTHENTICATED_MESSAGE)

    @api.exception_handler(HttpError)
    def refused(request, exc):
        # django-ninja wraps the parser's refusals in its own "Cannot parse request body".
        if isinstance(exc.__cause__, HttpError):
            exc = exc.__cause__
        return _answer(api, request, exc.status_code, str(exc))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return _answer(api, request, 404, str(exc) or "Not found.")

    @api.exception_handler(RateLimited)
    def limited(request, exc):
        return _answer(api, request, 429, str(exc), **{"Retry-After": str(exc.retry_after)})
