"""What a viewer may do with a product: decided here once, for the product page's buy
box and for Buy (orders.views.checkout)."""

import enum
from typing import NamedTuple

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


class Purchase(NamedTuple):
    option: PurchaseOption
    # OWNED: the viewer's paid order of it (their library's entry), for its download.
    owned_order: Order | None = None


def purchase_option(product, user):
    """What `user` (a visitor too) may do with `product`, whose store is loaded: a
    Purchase. One query, for a member who could buy it: their paid order of it."""
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
