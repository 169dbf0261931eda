"""A product's moves between its statuses (Product.Status), and its deletion, which
archives it when people bought it."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from products.models import Product

Status = Product.Status
# Each move: the status it starts from, and the one it ends in.
MOVES = {
    "publish": (Status.DRAFT, Status.PUBLISHED),
    "unpublish": (Status.PUBLISHED, Status.DRAFT),
    "restore": (Status.ARCHIVED, Status.PUBLISHED),
}


def product_move(*, product, action):
    """Move `product` as `action` (a key of MOVES) says, if it is in the status the move
    starts from; `product.status` is then the one it has. Returns whether it moved: a
    second press of the same button changes nothing. The update retires the cached
    pages that showed it, or should now (yumroad_site/retirement.py)."""
    start, end = MOVES[action]
    moved = Product.objects.filter(pk=product.pk, status=start).update(
        status=end, updated_at=timezone.now()
    )
    now = Product.objects.filter(pk=product.pk).values("status", "updated_at").first()
    if now is None:
        raise Product.DoesNotExist("Deleted meanwhile.")
    product.status, product.updated_at = now["status"], now["updated_at"]
    return bool(moved)


def product_is_kept(*, product):
    """Whether people bought `product`, or are paying for it now: the orders app says
    (settings.PRODUCT_KEPT_BY_BUYERS), as this one may not import it."""
    return import_string(settings.PRODUCT_KEPT_BY_BUYERS)(product)


def product_delete(*, product):
    """Delete `product`; or, when people bought it or are paying for it now, archive it:
    no longer listed nor for sale, its file kept for their downloads. Returns whether
    it was archived.

    The product's row is locked while this is decided. An order can't be made for it
    meanwhile (on PostgreSQL, inserting one waits for the lock: its foreign key; SQLite
    runs one writing transaction at a time), so a deleted product never gets a paid
    order; a checkout open when it was decided keeps it, and the webhook fulfils its
    payment as usual.
    """
    with transaction.atomic():
        locked = Product.objects.select_for_update().filter(pk=product.pk).first()
        if locked is None:
            return False
        if product_is_kept(product=locked):
            Product.objects.filter(pk=locked.pk).update(
                status=Status.ARCHIVED, updated_at=timezone.now()
            )
            product.status = Status.ARCHIVED
            return True
        locked.delete()
        return False
