import secrets

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from stores.models import RESERVED_SLUGS, Store

SLUG_ATTEMPTS = 10


def _slug_base(name):
    return slugify(name, allow_unicode=True)[:60] or "store"


def _free_slug(name):
    base = _slug_base(name)
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
