from accounts.models import normalize_email


def attempted_email(request, credentials):
    """The email a login attempt was for, as django-axes counts failures.

    Our login form sends `email`, the admin's sends `username`; both are normalized so
    that `Ann@Example.com` and `ann@example.com` share one count.
    """
    data = credentials or request.POST
    return normalize_email(data.get("email") or data.get("username"))
