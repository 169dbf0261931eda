"""A product's moves between its statuses (Product.Status)."""

from django.utils import timezone

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
    product.refresh_from_db(fields=["status", "updated_at"])
    return bool(moved)
