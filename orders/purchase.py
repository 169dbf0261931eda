"""What a viewer may do with a product: decided here once, for the product page's buy
box and for Buy (orders.views.checkout)."""

import enum
from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone

from orders import payments
from orders.models import Order


class PurchaseOption(enum.StrEnum):
    # A draft, or an archived product the viewer did not buy: its page and Buy are a
    # 404 to them.
    HIDDEN = "hidden"
    COMING_SOON = "coming_soon"  # no file to sell yet
    OWN_PRODUCT = "own_product"  # the viewer's store sells it
    OWNED = "owned"  # bought already: it is in their library
    CLAIM_FREE = "claim_free"
    BUY = "buy"
    # A paid product while checkout is off (production without a Stripe key).
    CHECKOUT_OFF = "checkout_off"


class Purchase(NamedTuple):
    option: PurchaseOption
    # OWNED: the viewer's paid order of it (their library's entry), for its download.
    owned_order: Order | None = None


def purchase_option(product, user):
    """What `user` (a visitor too) may do with `product`, whose store is loaded: a
    Purchase; whether they may see it at all (HIDDEN: not). One query, for a member who
    could buy it or who may have bought an archived product: their paid order of it."""
    if not product.is_listed:
        return _unlisted_option(product, user)
    if not product.file:
        return Purchase(PurchaseOption.COMING_SOON)
    if product.store.is_owned_by(user):
        return Purchase(PurchaseOption.OWN_PRODUCT)
    if user.is_authenticated and (order := Order.objects.owned_by(user, product).first()):
        return Purchase(PurchaseOption.OWNED, order)
    if product.is_free:
        return Purchase(PurchaseOption.CLAIM_FREE)
    if payments.checkout_mode() is None:
        return Purchase(PurchaseOption.CHECKOUT_OFF)
    return Purchase(PurchaseOption.BUY)


def _unlisted_option(product, user):
    """A draft is its owner's alone; an archived product is its owner's and its buyers'
    (who keep their downloads), and for sale to no one."""
    if product.store.is_owned_by(user):
        return Purchase(PurchaseOption.OWN_PRODUCT if product.file else PurchaseOption.COMING_SOON)
    if (
        product.status == product.Status.ARCHIVED
        and user.is_authenticated
        and (order := Order.objects.owned_by(user, product).first())
    ):
        return Purchase(PurchaseOption.OWNED, order)
    return Purchase(PurchaseOption.HIDDEN)


def buyers_keep(product):
    """Whether people keep `product`: it has a paid order, or a checkout open now, whose
    payment may land at any moment. Deleting it archives it instead
    (products.services.product_delete, through settings.PRODUCT_KEPT_BY_BUYERS)."""
    open_checkout = Q(status=Order.Status.PENDING, expires_at__gt=timezone.now())
    return (
        Order.objects.filter(product=product)
        .filter(Q(status=Order.Status.PAID) | open_checkout)
        .exists()
    )
