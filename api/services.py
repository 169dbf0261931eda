"""Writes of the API app: making and revoking access tokens, and using one."""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from api.models import (
    AccessToken,
    ResourceSubscription,
    access_token_new,
    subscription_secret_new,
    token_digest,
)

# A token's last use is written at most this often: not a write on every request.
LAST_USED_EVERY = timedelta(minutes=1)
# Longer than any token we make: a longer text is not looked up.
TOKEN_MAX_LENGTH = 100


def access_token_create(*, user, name, scope):
    """A new token of `user`: returns the AccessToken and its text, which exists only
    here (the database keeps its digest): show it once."""
    text = access_token_new()
    token = AccessToken.objects.create(user=user, name=name, scope=scope, digest=token_digest(text))
    return token, text


def access_token_revoke(*, token):
    """Revoke `token`: it authenticates no more. A revoked token keeps its first time.
    Returns whether it was revoked now."""
    now = timezone.now()
    revoked = AccessToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=now)
    if revoked:
        token.revoked_at = now
    return bool(revoked)


def access_token_authenticate(*, text):
    """The active token whose text is `text`, with its user and the user's store loaded,
    or None: unknown, revoked, or of an inactive user. Notes its use, at most once a
    minute (a conditional update, so two requests at once write it once)."""
    if not isinstance(text, str) or not text or len(text) > TOKEN_MAX_LENGTH:
        return None
    token = (
        AccessToken.objects.active()
        .select_related("user", "user__store")
        .filter(digest=token_digest(text), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_EVERY:
        AccessToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at=None) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


# resource subscriptions (the hooks branch replaces these)


def resource_subscription_create(*, store, resource_name, post_url):
    """Subscribe `post_url` to `store`'s `resource_name` events, with a new secret.
    Raises ValidationError keyed by field."""
    subscription = ResourceSubscription(
        store=store,
        resource_name=resource_name,
        post_url=post_url,
        secret=subscription_secret_new(),
    )
    subscription.full_clean()
    if (
        not getattr(settings, "SELLER_WEBHOOKS_ALLOW_PRIVATE", False)
        and urlsplit(subscription.post_url).scheme != "https"
    ):
        raise ValidationError({"post_url": ["The URL must start with https://."]})
    subscription.save()
    return subscription


def resource_subscription_delete(*, subscription):
    subscription.delete()
