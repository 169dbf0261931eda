import hashlib
from datetime import timedelta
from functools import partial

from axes.utils import reset as axes_reset
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from accounts.signals import email_confirmed
from accounts.tasks import (
    email_changed_notice_send,
    email_confirmation_send,
    password_reset_email_send,
)

# At most one reset email a minute for an address, so the form can't flood an inbox.
RESET_REQUEST_INTERVAL_SECONDS = 60
# At most one confirmation link every 10 minutes for an account, counting the last one.
CONFIRMATION_RESEND_SECONDS = 600


def user_signup(*, email, password):
    """Create an account and send it a link to confirm its email (once the transaction
    commits). IntegrityError when the email was taken meanwhile."""
    user = User.objects.create_user(email, password, email_confirmation_sent_at=timezone.now())
    _confirmation_send_on_commit(user)
    return user


def _confirmation_send_on_commit(user):
    send = partial(email_confirmation_send.enqueue, user.pk, user.email)
    transaction.on_commit(send, robust=True)


def email_confirmation_resend(*, user):
    """Send `user` a new confirmation link, unless the last one went less than
    CONFIRMATION_RESEND_SECONDS ago (a conditional update: two requests at once send
    one). Returns None when it is sent, else when the user may ask again. The new link
    retires the older ones."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=CONFIRMATION_RESEND_SECONDS)
    unconfirmed = User.objects.filter(pk=user.pk, email=user.email).exclude(
        confirmed_email=F("email")
    )
    due = Q(email_confirmation_sent_at=None) | Q(email_confirmation_sent_at__lte=cutoff)
    if unconfirmed.filter(due).update(email_confirmation_sent_at=now):
        user.email_confirmation_sent_at = now
        _confirmation_send_on_commit(user)
        return None
    sent_at = User.objects.filter(pk=user.pk).values_list("email_confirmation_sent_at", flat=True)
    return (sent_at.first() or now) + timedelta(seconds=CONFIRMATION_RESEND_SECONDS)


def user_email_confirm(*, user):
    """Confirm `user`'s email: a link sent to it was followed (User.of_confirmation_link
    said which account, as it was loaded). A conditional update on that state: two clicks
    at once confirm once, and an email changed or a link sent meanwhile confirms nothing.
    Then, in the same transaction, `email_confirmed` (the guest orders of that email join
    the account). Returns whether it confirmed."""
    with transaction.atomic():
        confirmed = (
            User.objects.filter(
                pk=user.pk,
                email=user.email,
                email_confirmation_sent_at=user.email_confirmation_sent_at,
            )
            .exclude(confirmed_email=F("email"))
            .update(confirmed_email=user.email)
        )
        if confirmed:
            user.confirmed_email = user.email
            email_confirmed.send(sender=User, user=user)
    return bool(confirmed)


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
    """Move the account to `email`, unconfirmed: send it a link to confirm it, and tell
    the old address. IntegrityError when another account took the email meanwhile
    (nothing is changed then)."""
    old = (user.email, user.confirmed_email, user.email_confirmation_sent_at)
    user.email, user.confirmed_email = email, ""
    user.email_confirmation_sent_at = timezone.now()
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "confirmed_email", "email_confirmation_sent_at"])
    except IntegrityError:
        user.email, user.confirmed_email, user.email_confirmation_sent_at = old
        raise
    transaction.on_commit(partial(email_changed_notice_send.enqueue, user.pk, old[0]), robust=True)
    _confirmation_send_on_commit(user)
