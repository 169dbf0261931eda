"""Every change that retires cached pages goes through here.

What cached pages show (yumroad_site/cache.py): stores and products, on every copy of
the catalogue; a member's account and what they own, on the member's own copies. So:

- a save or delete of a Store or Product retires the catalogue, of a User that
  member's copies, of an Order its buyer's: the receivers below, connected by model
  label (the ground imports no app) when the site starts;
- writes that send no signal go through RetiringQuerySet, the base of the Store,
  Product and User querysets: `update()`, `bulk_create()` and `bulk_update()` retire
  what they changed. An order's moves between states are conditional updates:
  orders.services names `members_changed` for them;
- a migration may change products in bulk: the catalogue is retired after migrating.
"""

import logging
from functools import partial

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_migrate, post_save

from yumroad_site.cache import CATALOGUE_VERSION, member_version

logger = logging.getLogger(__name__)

# Models shown on every cached catalogue page.
CATALOGUE_MODELS = ("stores.Store", "products.Product")
# Models shown on a member's own copies, with the field naming the member.
MEMBER_MODELS = {"accounts.User": "pk", "orders.Order": "buyer_id"}


def _retire(version_key):
    """Retire every copy cached under `version_key` (the next read makes a new version):
    now, for this connection's next read, and again after the commit, in case someone
    cached an old page meanwhile from outside the transaction. Every process drops its
    near copy too (redis_cache.py)."""
    cache.delete_announced(version_key)
    transaction.on_commit(partial(cache.delete_announced, version_key), robust=True)


def catalogue_changed():
    """Retire every cached copy of the catalogue."""
    _retire(CATALOGUE_VERSION)


def member_changed(user_pk):
    """Retire every copy of a page cached for the member `user_pk`."""
    if user_pk is not None:
        _retire(member_version(user_pk))


def members_changed(user_pks):
    for user_pk in set(user_pks):
        member_changed(user_pk)


def _changed(model, objects):
    """Retire what a write to `objects` of `model` shows on."""
    label = model._meta.label
    if label in MEMBER_MODELS:
        members_changed(getattr(instance, MEMBER_MODELS[label]) for instance in objects)
    else:
        catalogue_changed()


class RetiringQuerySet(models.QuerySet):
    """A queryset whose writes without signals retire the cached pages they change."""

    def update(self, **kwargs):
        field = MEMBER_MODELS.get(self.model._meta.label)
        # The members whose rows change, read before the update may change who they are.
        members = list(self.values_list(field, flat=True)) if field else None
        updated = super().update(**kwargs)
        if updated:
            members_changed(members) if field else catalogue_changed()
        return updated

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        _changed(self.model, objects=created)
        return created

    def bulk_update(self, objs, *args, **kwargs):
        updated = super().bulk_update(objs, *args, **kwargs)
        _changed(self.model, objects=objs)
        return updated


def _on_write(sender, instance, **kwargs):
    _changed(sender, objects=[instance])


def _after_migrating(sender, **kwargs):
    """A cache that can't be reached doesn't stop a deployment: its copies expire
    within minutes."""
    if sender.name == "products":
        try:
            catalogue_changed()
        except Exception:
            logger.warning("Could not retire the cached catalogue after migrating.", exc_info=True)


def connect():
    """Called once, when the site starts (yumroad_site.apps)."""
    for label in (*CATALOGUE_MODELS, *MEMBER_MODELS):
        for signal in (post_save, post_delete):
            signal.connect(_on_write, sender=label, dispatch_uid=f"retirement:{label}")
    post_migrate.connect(_after_migrating, dispatch_uid="retirement:migrate")
