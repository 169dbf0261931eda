import secrets
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from stores.models import OLD_SLUGS_KEPT, RESERVED_SLUGS, Store, StoreSlug, delete_avatar_on_commit
from stores.tasks import welcome_email_send
from yumroad_site import pictures
from yumroad_site.files import uploads_removed_on_error

SLUG_ATTEMPTS = 10


def _slug_base(name):
    return slugify(name, allow_unicode=True)[:60] or "store"


def _free_slug(name, store=None):
    """The slug of `name`, numbered past the slugs other stores than `store` have, or
    had before a rename and are still in use (their old links must keep leading there)."""
    base = _slug_base(name)
    stores = Store.objects.filter(slug__startswith=base)
    old_slugs = StoreSlug.objects.in_use().filter(slug__startswith=base)
    if store is not None:
        stores, old_slugs = stores.exclude(pk=store.pk), old_slugs.exclude(store=store)
    taken = {
        *RESERVED_SLUGS,
        *stores.values_list("slug", flat=True),
        *old_slugs.values_list("slug", flat=True),
    }
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def store_create(*, owner, name):
    """Open `owner`'s store, with a URL slug made from its name.

    The slug is the name's, numbered if a store of a name that slugifies alike has
    it; when another sign-up takes it meanwhile, a random suffix follows, so that
    sign-ups racing for alike names all get one. A second store for the owner or a
    name taken in any letter case is refused by the database: the caller turns that
    IntegrityError into a message.
    """
    name = name.strip()
    slug = _free_slug(name)
    attempts_left = SLUG_ATTEMPTS
    while True:
        try:
            with transaction.atomic():
                StoreSlug.objects.idle().filter(slug=slug).delete()
                return Store.objects.create(owner=owner, name=name, slug=slug)
        except IntegrityError:
            attempts_left -= 1
            if not attempts_left or not Store.objects.filter(slug=slug).exists():
                raise
        slug = f"{_slug_base(name)}-{secrets.token_hex(3)}"


def store_open(*, owner, name):
    """Open `owner`'s store (store_create) and welcome them as a seller by email, once
    the transaction commits. IntegrityError as store_create."""
    store = store_create(owner=owner, name=name)
    transaction.on_commit(partial(welcome_email_send.enqueue, store.pk), robust=True)
    return store


def store_update(*, store):
    """Save the name, description and avatar a settings form set on `store`.

    A name that slugifies differently moves the store to a new slug; the old one is
    kept (StoreSlug) and redirects, so shared links keep working: the OLD_SLUGS_KEPT
    newest of them. The new slug may be an old one of this store's, or an idle one
    of another's. A replaced avatar is deleted once committed, a new one if the save
    fails. IntegrityError when another store took the name meanwhile; a slug taken
    meanwhile (Store.slug is unique) is chosen again.
    """
    with uploads_removed_on_error((store.avatar, pictures.avatar_delete)):
        current = _store_save(store)
    if current.avatar and current.avatar.name != store.avatar.name:
        delete_avatar_on_commit(current.avatar.storage, current.avatar.name)
    return store


def _store_save(store):
    """store_update's save, under a new slug if need be: returns the row as it was."""
    attempts_left = SLUG_ATTEMPTS
    while True:
        try:
            with transaction.atomic():
                current = Store.objects.select_for_update().get(pk=store.pk)
                if slugify(current.name, allow_unicode=True) != slugify(
                    store.name, allow_unicode=True
                ):
                    store.slug = _free_slug(store.name, store)
                    # Its own old address back again, or another store's idle one.
                    StoreSlug.objects.filter(
                        Q(store=current) | Q(pk__in=StoreSlug.objects.idle().values("pk")),
                        slug=store.slug,
                    ).delete()
                    StoreSlug.objects.filter(slug=current.slug).delete()
                    StoreSlug.objects.create(slug=current.slug, store=current)
                    beyond_cap = current.old_slugs.order_by("-created_at", "-pk")[OLD_SLUGS_KEPT:]
                    StoreSlug.objects.filter(
                        pk__in=list(beyond_cap.values_list("pk", flat=True))
                    ).delete()
                store.name = store.name.strip()
                store.save()
        except IntegrityError:
            attempts_left -= 1
            slug_taken = Store.objects.exclude(pk=store.pk).filter(slug=store.slug).exists()
            if not attempts_left or not slug_taken:
                raise
            continue
        return current
