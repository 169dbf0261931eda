"""Signed links that expire but still say, once expired, what they were for: a download
link or an email confirmation link answers "expired" rather than "forged"."""

from django.core import signing


def signed_link_load(token, *, salt, max_age):
    """The value signed into `token` and whether it is older than `max_age` seconds.
    Raises signing.BadSignature when Yumroad did not sign it (with `salt`)."""
    try:
        return signing.loads(token, salt=salt, max_age=max_age), False
    except signing.SignatureExpired:
        return signing.loads(token, salt=salt), True
