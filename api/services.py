"""Writes of the API app: making, revoking and using access tokens; webhooks' subscriptions
(their rules are api.webhooks')."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import router
from django.db.models import Q
from django.utils import timezone

from api.models import (
    AccessToken,
    access_token_new,
    token_digest,
)
from api.webhooks import resource_subscription_create, resource_subscription_delete
from stores.models import Store
from yumroad_site.cache import cached, current_versions, keep, member_version, store_version
from yumroad_site.retirement import member_changed

User = get_user_model()

# A token's last use is written at most this often: not a write on every request.
LAST_USED_EVERY = timedelta(minutes=1)
# Longer than any token we make: a longer text is not looked up.
TOKEN_MAX_LENGTH = 100
# What authenticating a token needs is cached at most this long (and retired at once
# when the token, its user or their store changes).
TOKEN_SECONDS = 60
USER_LEFT_OUT = ("password",)


def access_token_create(*, user, name, scope):
    """A new token of `user`: returns the AccessToken and its text, which exists only
    here (the database keeps its digest): show it once."""
    text = access_token_new()
    token = AccessToken.objects.create(user=user, name=name, scope=scope, digest=token_digest(text))
    return token, text


def access_token_revoke(*, token):
    """Revoke `token`: it authenticates no more, from the next request on (what the
    cache kept of it is retired). A revoked token keeps its first time. Returns whether
    it was revoked now."""
    now = timezone.now()
    revoked = AccessToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=now)
    if revoked:
        token.revoked_at = now
        member_changed(token.user_id)
    return bool(revoked)


def access_token_authenticate(*, text):
    """The active token whose text is `text`, with its user and the user's store loaded,
    or None: unknown, revoked, or of an inactive user. Notes its use, at most once a
    minute (a conditional update, so two requests at once write it once).

    What it needs is cached under its owner's version and its store's (retirement.py
    retires them when the token, the user or the store changes), until its use is to be
    noted again: most requests make no query."""
    if not isinstance(text, str) or not text or len(text) > TOKEN_MAX_LENGTH:
        return None
    digest = token_digest(text)
    parts = ("api token", digest)
    row = cached(*parts)
    now = timezone.now()
    if row is not None:
        token = _token_built(row)
        if not _use_due(token, now):
            return token
    token = _token_loaded(digest)
    if token is None:
        return None
    if _use_due(token, now):
        AccessToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at=None) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
    keys = _token_versions(token)
    versions = current_versions(keys)
    # Read again after the versions: a change made meanwhile retires this copy.
    token = _token_loaded(digest)
    if token is not None and _token_versions(token) == keys:
        due_in = token.last_used_at + LAST_USED_EVERY - now
        seconds = max(1, min(TOKEN_SECONDS, int(due_in.total_seconds())))
        keep(keys, versions, _token_row(token), *parts, seconds=seconds)
    return token


def _use_due(token, now):
    return token.last_used_at is None or token.last_used_at <= now - LAST_USED_EVERY


def _token_loaded(digest):
    return (
        AccessToken.objects.active()
        .select_related("user", "user__store")
        .filter(digest=digest, user__is_active=True)
        .first()
    )


def _token_versions(token):
    store = getattr(token.user, "store", None)
    return (member_version(token.user_id), *([store_version(store.slug)] if store else []))


def _fields(model, leave_out=()):
    return [field.attname for field in model._meta.concrete_fields if field.name not in leave_out]


def _token_row(token):
    """What authenticating `token` needs, as plain values: the token's, its user's (but
    the password's hash) and its store's or None."""
    store = getattr(token.user, "store", None)
    return (
        tuple(getattr(token, name) for name in _fields(AccessToken)),
        tuple(getattr(token.user, name) for name in _fields(User, USER_LEFT_OUT)),
        store and tuple(getattr(store, name) for name in _fields(Store)),
    )


def _token_built(row):
    """The token of `_token_row`, with its user and store, as loaded from the database
    (the user's password deferred)."""
    token_values, user_values, store_values = row
    db = router.db_for_read(AccessToken)
    token = AccessToken.from_db(db, _fields(AccessToken), token_values)
    user = User.from_db(db, _fields(User, USER_LEFT_OUT), user_values)
    store = store_values and Store.from_db(db, _fields(Store), store_values)
    token._state.fields_cache["user"] = user
    user._state.fields_cache["store"] = store
    if store:
        store._state.fields_cache["owner"] = user
    return token


__all__ = [
    "access_token_authenticate",
    "access_token_create",
    "access_token_revoke",
    "resource_subscription_create",
    "resource_subscription_delete",
]
