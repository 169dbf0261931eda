from django.contrib.auth import SESSION_KEY
from django.utils import timezone

# The day a session last renewed its expiry.
RENEWED_ON = "renewed_on"


def today():
    return timezone.now().date().isoformat()


class SessionRenewalMiddleware:
    """Logged-in sessions end after SESSION_IDLE_DAYS without a visit.

    Each save of a session sets its expiry SESSION_COOKIE_AGE ahead (in the database
    and on the cookie). Saving it on every request (SESSION_SAVE_EVERY_REQUEST) would
    write on every page; this saves it on the first request of each day only, so a
    session lasts SESSION_IDLE_DAYS after the last visit, give or take that day.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Visitors without a session have nothing to renew (and no query is made).
        if (
            session is not None
            and session.session_key
            and session.get(SESSION_KEY)
            and session.get(RENEWED_ON) != today()
        ):
            session[RENEWED_ON] = today()
        return response
