import hashlib
from functools import partial

from axes.utils import reset as axes_reset
from django.core.cache import cache
from django.db import IntegrityError, transaction

from accounts.tasks import email_changed_notice_send, password_reset_email_send

# At most one reset email a minute for an address, so the form can't flood an inbox.
RESET_REQUEST_INTERVAL_SECONDS = 60


def password_reset_request(*, email):
    """Queue a reset link for `email`. The task looks the account up, so the request
    does the same work, and says the same, whether or not the address has one."""
    key = "accounts:reset:" + hashlib.sha256(email.encode()).hexdigest()
    if cache.add(key, True, RESET_REQUEST_INTERVAL_SECONDS):
        transaction.on_commit(partial(password_reset_email_send.enqueue, email), robust=True)


def password_reset_complete(*, user):
    """After a reset by email: the failed logins counted for that email are forgotten,
    so its owner can log in at once even while locked out."""
    axes_reset(username=user.email)


def user_email_change(*, user, email):
    """Move the account to `email` and tell the old address. IntegrityError when
    another account took the email meanwhile (nothing is changed then)."""
    old_email = user.email
    user.email = email
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError:
        user.email = old_email
        raise
    transaction.on_commit(
        partial(email_changed_notice_send.enqueue, user.pk, old_email), robust=True
    )
