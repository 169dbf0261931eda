from django.core.exceptions import BadRequest

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


def refuse_null_characters(get_response):
    """A 400 for a NUL character in a query or form parameter (names included), in a
    header or in a cookie (a quoted cookie may spell one "\\000").

    No one types one, and PostgreSQL refuses it in any text: a search or a filter
    that passed it on (the admin's, an app's), a session looked up by its cookie, or a
    failed login's record of the user agent, would fail with a 500. gunicorn refuses
    it in headers; other servers may not. It runs before the session is read.
    """

    def middleware(request):
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
