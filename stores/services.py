from django.db import IntegrityError, transaction
from django.utils.text import slugify

from stores.models import RESERVED_SLUGS, Store

SLUG_ATTEMPTS = 3


def _free_slug(name):
    base = slugify(name, allow_unicode=True)[:60] or "store"
    taken = {
        *RESERVED_SLUGS,
        *Store.objects.filter(slug__startswith=base).values_list("slug", flat=True),
    }
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def store_create(*, owner, name):
    """Open `owner`'s store, with a URL slug made from its name.

    A slug taken meanwhile by a store of a name that slugifies alike is chosen again.
    A second store for the owner or a name taken in any letter case is refused by the
    database: the caller turns that IntegrityError into a message.
    """
    name = name.strip()
    attempts_left = SLUG_ATTEMPTS
    while True:
        slug = _free_slug(name)
        try:
            with transaction.atomic():
                return Store.objects.create(owner=owner, name=name, slug=slug)
        except IntegrityError:
            attempts_left -= 1
            if not attempts_left or not Store.objects.filter(slug=slug).exists():
                raise
