from yumroad_site.validators import EMAIL_MAX_LENGTH, normalize_email


def attempted_email(request, credentials):
    """The email a login attempt was for, as django-axes counts failures.

    Our login form sends `email`, the admin's sends `username`; both are normalized so
    that `Ann@Example.com` and `ann@example.com` share one count. Lower-casing can make
    an address longer ("İ" becomes two characters), and the admin's form checks the
    length before it: cut to what an email can be, so it fits axes' column.
    """
    data = credentials or request.POST
    return normalize_email(data.get("email") or data.get("username"))[:EMAIL_MAX_LENGTH]
