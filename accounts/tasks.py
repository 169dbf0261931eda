from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from accounts.models import User
from yumroad_site.emails import email_send
from yumroad_site.tasks import retried_on_failure
from yumroad_site.validators import normalize_email


@task()
def password_reset_email_send(email, attempt=1):
    """A password reset link for the active account of `email`, if there is one.

    The link is made here, not in the request: the token never waits in the task queue.
    """
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    with retried_on_failure(password_reset_email_send, email, attempt=attempt):
        email_send(
            template="password_reset",
            subject=f"Reset your {settings.SITE_NAME} password",
            to=[user.email],
            context={
                "email": user.email,
                "reset_url": settings.SITE_URL + path,
                "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
            },
        )


@task()
def email_changed_notice_send(user_id, old_email, attempt=1):
    """Tell the old address that the account's email changed, in case it wasn't them."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    with retried_on_failure(email_changed_notice_send, user_id, old_email, attempt=attempt):
        email_send(
            template="email_changed",
            subject=f"Your {settings.SITE_NAME} email was changed",
            to=[old_email],
            context={
                "old_email": old_email,
                "new_email": user.email,
                "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
            },
        )


@task()
def email_confirmation_send(user_id, email, attempt=1):
    """A link that confirms `email` for account `user_id`; nothing when the account has
    another email by now (its change sent its own link) or has confirmed it already.

    The link is made here, not in the request: the token never waits in the task queue.
    """
    user = User.objects.filter(pk=user_id, email=email).first()
    if user is None or user.email_confirmed:
        return
    with retried_on_failure(email_confirmation_send, user_id, email, attempt=attempt):
        email_send(
            template="email_confirmation",
            subject=f"Confirm your {settings.SITE_NAME} email",
            to=[user.email],
            context={
                "email": user.email,
                "confirm_url": settings.SITE_URL + user.email_confirmation_url,
                "valid_days": max(1, settings.EMAIL_CONFIRM_MAX_AGE // 86400),
            },
        )
