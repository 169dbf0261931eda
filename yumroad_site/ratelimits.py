"""What one client address may make the site do, counted by django-ratelimit in the
default cache, per client address as the login throttle sees it
(yumroad_site.clients.client_address). Over a limit, the view raises LimitReached and
RATELIMIT_VIEW answers 429.

- CHECKOUTS: checkouts started, CHECKOUT_RATE_PER_MINUTE a minute.
- EMAILS: requests that make the site email someone (free claims, sign-up attempts,
  password reset requests, together), EMAILS_PER_CLIENT_PER_HOUR an hour.
"""

from django.conf import settings
from django_ratelimit.core import get_usage
from django_ratelimit.exceptions import Ratelimited

from yumroad_site.clients import client_address

CHECKOUTS = "checkouts"
EMAILS = "emails"

LIMITS = {
    CHECKOUTS: (
        lambda: f"{settings.CHECKOUT_RATE_PER_MINUTE}/m",
        "Too many checkouts were started from your address in the last minute.",
    ),
    EMAILS: (
        lambda: f"{settings.EMAILS_PER_CLIENT_PER_HOUR}/h",
        "Too many requests that send emails (sign-ups, password resets, free products) "
        "came from your address in the last hour.",
    ),
}


class LimitReached(Ratelimited):
    """Over a limit: the 429 page shows the message and when to come back."""

    def __init__(self, message, retry_after):
        super().__init__(message)
        self.retry_after = retry_after


def _client(group, request):
    # A request without a usable address (a Unix socket, say) shares one count, as
    # the login throttle does.
    return client_address(request) or ""


def limit_count(*, request, group):
    """Count `request` in `group`'s limit for its client address. Raises LimitReached
    once the client is over it (that request is counted too, and refused)."""
    rate, message = LIMITS[group]
    usage = get_usage(request, group=group, key=_client, rate=rate(), increment=True)
    if usage and usage["should_limit"]:
        raise LimitReached(message, retry_after=max(1, usage["time_left"]))
