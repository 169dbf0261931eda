"""What a viewer may do with a product: decided here once, for the product page's buy
box and for Buy (orders.views.checkout)."""

import enum

from orders import payments
from orders.models import Order


class PurchaseOption(enum.StrEnum):
    COMING_SOON = "coming_soon"  # no file to sell yet
    OWN_PRODUCT = "own_product"  # the viewer's store sells it
    OWNED = "owned"  # bought already: it is in their library
    CLAIM_FREE = "claim_free"
    BUY = "buy"
    # A paid product while checkout is off (production without a Stripe key).
    CHECKOUT_OFF = "checkout_off"


def purchase_option(product, user):
    """What `user` (a visitor too) may do with `product`, whose store is loaded. One
    query, for a member who could buy it: whether they own it already."""
    if not product.file:
        return PurchaseOption.COMING_SOON
    if product.store.is_owned_by(user):
        return PurchaseOption.OWN_PRODUCT
    if user.is_authenticated and Order.objects.owned_by(user, product).exists():
        return PurchaseOption.OWNED
    if product.is_free:
        return PurchaseOption.CLAIM_FREE
    if payments.checkout_mode() is None:
        return PurchaseOption.CHECKOUT_OFF
    return PurchaseOption.BUY
