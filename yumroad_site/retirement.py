"""Every change that retires cached pages goes through here.

What cached pages show (yumroad_site/cache.py): stores and products, on every copy of
the catalogue, and a store's own pages show that store and its products; a member's
account and what they own, on the member's own copies. So:

- a save or delete of a Store or Product retires the catalogue and that store's pages
  (at its address before a rename too), and of a Store its owner's copies too (the
  navigation shows sellers their links), of a User that member's copies, of an Order
  its buyer's, of an AccessToken its owner's (the API keeps what authenticating a token
  needs under its owner's version): the receivers below, connected by model label (the
  ground imports no app) when the site starts, and of a Product or an Order what is
  kept of the product's license keys (for verifying one, under its product version);
- writes that send no signal go through RetiringQuerySet, the base of the Store,
  Product and User querysets: `update()` (which `bulk_update()` calls) and
  `bulk_create()` retire what they changed. An order's moves between states are conditional updates:
  orders.services names `members_changed` and `products_changed` for them, and
  orders.licenses `products_changed` for a license key's;
- a migration may change products in bulk: the catalogue and every store's pages are
  retired after migrating.
"""

import logging
from functools import partial

from django.apps import apps
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_init, post_migrate, post_save

from yumroad_site.cache import CATALOGUE_VERSION, member_version, product_version, store_version

logger = logging.getLogger(__name__)

# Models shown on every cached catalogue page.
CATALOGUE_MODELS = ("stores.Store", "products.Product")
# Models shown on a member's own copies (or, for tokens, kept under their version),
# with the field naming the member.
MEMBER_MODELS = {"accounts.User": "pk", "orders.Order": "buyer_id", "api.AccessToken": "user_id"}


def _retire(version_key):
    """Retire every copy cached under `version_key` (the next read makes a new version):
    now, for this connection's next read, and again after the commit, in case someone
    cached an old page meanwhile from outside the transaction. Every process drops its
    near copy too (redis_cache.py)."""
    cache.delete_announced(version_key)
    transaction.on_commit(partial(cache.delete_announced, version_key), robust=True)


def catalogue_changed(*, stores=()):
    """Retire every cached copy of the catalogue, and the pages of the stores at the
    addresses `stores`."""
    _retire(CATALOGUE_VERSION)
    for slug in set(stores):
        _retire(store_version(slug))


def _store_slugs(model, objects):
    """The addresses of the stores whose pages show `objects`, stores or products: a
    store's present one, and the one it was loaded with (before a rename)."""
    if model._meta.label == "stores.Store":
        return {slug for store in objects for slug in (store.slug, _loaded_slug(store)) if slug}
    store_ids = {product.store_id for product in objects}
    stores = apps.get_model("stores.Store")._base_manager.filter(pk__in=store_ids)
    return set(stores.values_list("slug", flat=True))


def _loaded_slug(store):
    return getattr(store, "_retirement_slug", None)


def _slug_loaded(sender, instance, **kwargs):
    # Not the attribute: a deferred slug would cost a query.
    instance._retirement_slug = instance.__dict__.get("slug")


def member_changed(user_pk):
    """Retire every copy of a page cached for the member `user_pk`."""
    if user_pk is not None:
        _retire(member_version(user_pk))


def members_changed(user_pks):
    for user_pk in set(user_pks):
        member_changed(user_pk)


def products_changed(product_pks):
    """Retire what is kept of the products `product_pks`, their orders and license keys
    (for verifying a key)."""
    for product_pk in set(product_pks) - {None}:
        _retire(product_version(product_pk))


def _changed(model, objects, *, created=False):
    """Retire what a write to `objects` of `model` shows on (`created`: they are new)."""
    label = model._meta.label
    if label in MEMBER_MODELS:
        members_changed(getattr(instance, MEMBER_MODELS[label]) for instance in objects)
        if label == "orders.Order" and not created:  # a new order changes no key's
            products_changed(order.product_id for order in objects)
    else:
        catalogue_changed(stores=_store_slugs(model, objects))
        if label == "products.Product":
            products_changed(product.pk for product in objects)
        if label == "stores.Store":
            members_changed(store.owner_id for store in objects)


class RetiringQuerySet(models.QuerySet):
    """A queryset whose writes without signals retire the cached pages they change."""

    def update(self, **kwargs):
        label = self.model._meta.label
        # Whose rows change, read before the update may change who they are.
        if label in MEMBER_MODELS:
            members = list(self.values_list(MEMBER_MODELS[label], flat=True))
        else:
            slug = "slug" if label == "stores.Store" else "store__slug"
            # A new address had no page to retire: a deleted store's went with it, and
            # an old address redirects.
            stores = set(self.values_list(slug, flat=True))
        updated = super().update(**kwargs)
        if updated:
            if label in MEMBER_MODELS:
                members_changed(members)
            else:
                catalogue_changed(stores=stores)
        return updated

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        _changed(self.model, objects=created, created=True)
        return created


def _on_write(sender, instance, created=False, **kwargs):
    _changed(sender, objects=[instance], created=created)


def _after_migrating(sender, **kwargs):
    """A cache that can't be reached doesn't stop a deployment: its copies expire
    within minutes."""
    if sender.name == "products":
        try:
            catalogue_changed(
                stores=apps.get_model("stores.Store").objects.values_list("slug", flat=True)
            )
        except Exception:
            logger.warning("Could not retire the cached catalogue after migrating.", exc_info=True)


def connect():
    """Called once, when the site starts (yumroad_site.apps)."""
    for label in (*CATALOGUE_MODELS, *MEMBER_MODELS):
        for signal in (post_save, post_delete):
            signal.connect(_on_write, sender=label, dispatch_uid=f"retirement:{label}")
    post_init.connect(_slug_loaded, sender="stores.Store", dispatch_uid="retirement:slug")
    post_migrate.connect(_after_migrating, dispatch_uid="retirement:migrate")
