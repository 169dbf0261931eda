from django.db import transaction
from django.utils.text import slugify

from stores.models import Store

# Addresses under /stores/ that are pages, not stores.
RESERVED_SLUGS = {"create"}


def _free_slug(name):
    base = slugify(name, allow_unicode=True)[:60] or "store"
    taken = RESERVED_SLUGS | set(
        Store.objects.filter(slug__startswith=base).values_list("slug", flat=True)
    )
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def store_create(*, owner, name):
    """Open `owner`'s store, with a URL slug made from its name.

    The database refuses a second store for the owner, a name taken in any letter
    case and a slug taken meanwhile: the caller turns IntegrityError into a message.
    """
    name = name.strip()
    with transaction.atomic():
        return Store.objects.create(owner=owner, name=name, slug=_free_slug(name))
