import secrets

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from products.models import delete_file_on_commit
from stores.models import RESERVED_SLUGS, Store, StoreSlug

SLUG_ATTEMPTS = 10


def _slug_base(name):
    return slugify(name, allow_unicode=True)[:60] or "store"


def _free_slug(name, store=None):
    """The slug of `name`, numbered past the slugs other stores than `store` have, or
    had before a rename (their old links must keep leading there)."""
    base = _slug_base(name)
    stores = Store.objects.filter(slug__startswith=base)
    old_slugs = StoreSlug.objects.filter(slug__startswith=base)
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
                return Store.objects.create(owner=owner, name=name, slug=slug)
        except IntegrityError:
            attempts_left -= 1
            if not attempts_left or not Store.objects.filter(slug=slug).exists():
                raise
        slug = f"{_slug_base(name)}-{secrets.token_hex(3)}"


def store_update(*, store):
    """Save the name, description and avatar a settings form set on `store`.

    A name that slugifies differently moves the store to a new slug; the old one is
    kept (StoreSlug) and redirects, so shared links never break. A replaced avatar is
    deleted once committed. IntegrityError when another store took the name meanwhile;
    a slug taken meanwhile is chosen again.
    """
    attempts_left = SLUG_ATTEMPTS
    while True:
        try:
            with transaction.atomic():
                current = Store.objects.select_for_update().get(pk=store.pk)
                if slugify(current.name, allow_unicode=True) != slugify(
                    store.name, allow_unicode=True
                ):
                    store.slug = _free_slug(store.name, store)
                    StoreSlug.objects.filter(slug=store.slug).delete()  # its own, back again
                    StoreSlug.objects.update_or_create(
                        slug=current.slug, defaults={"store": current}
                    )
                store.name = store.name.strip()
                store.save()
        except IntegrityError:
            attempts_left -= 1
            slug_taken = Store.objects.exclude(pk=store.pk).filter(slug=store.slug).exists()
            if not attempts_left or not slug_taken:
                raise
            continue
        if current.avatar and current.avatar.name != store.avatar.name:
            delete_file_on_commit(current.avatar.storage, current.avatar.name)
        return store
