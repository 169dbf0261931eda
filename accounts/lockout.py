from django.conf import settings

from accounts.models import normalize_email


def attempted_email(request, credentials):
    """The email a login attempt was for, as django-axes counts failures.

    Our login form sends `email`, the admin's sends `username`; both are normalized so
    that `Ann@Example.com` and `ann@example.com` share one count.
    """
    data = credentials or request.POST
    return normalize_email(data.get("email") or data.get("username"))


def client_address(request):
    """The client address failures are counted for.

    REMOTE_ADDR, unless the site runs behind TRUSTED_PROXY_COUNT proxies that each
    append to X-Forwarded-For: then the address the outermost proxy saw. Entries a
    client wrote itself come before those and are never read, so they can't be spoofed.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if proxies and len(hops) >= proxies and hops[-proxies]:
        return hops[-proxies]
    return request.META.get("REMOTE_ADDR")
