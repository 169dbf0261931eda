"""Writes of the API app: making, revoking and using access tokens; webhooks' subscriptions
(their rules are api.webhooks')."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from api.models import AccessToken, access_token_new, token_digest
from api.webhooks import resource_subscription_create, resource_subscription_delete

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


__all__ = [
    "access_token_authenticate",
    "access_token_create",
    "access_token_revoke",
    "resource_subscription_create",
    "resource_subscription_delete",
]
