"""What a buyer pays for a product: its price, the amount they chose for a
pay-what-you-want product, or its price less a discount code. Decided here once, for
the product page's buy box, for Buy (orders.forms.BuyForm) and for the checkout
(orders.services).

A code applies to products with a fixed price only: a pay-what-you-want buyer chooses
their price already. The price a code leaves is at least MIN_PRICE_CENTS (Stripe's
smallest charge), unless nothing is left: then the product is free for that buyer.
"""

from typing import NamedTuple

from django.utils import timezone

from orders.models import CodeRefusal, DiscountCode


class Price(NamedTuple):
    amount_cents: int
    discount_cents: int = 0
    code: DiscountCode | None = None


def code_refusal(code, product, *, now=None):
    """Why discount code `code` (a DiscountCode of the product's store, or None: no
    such code) takes nothing off `product`, or None when it applies. Whether a use is
    left is read without a lock: the checkout reserves one (discount_code_reserve)."""
    if code is None:
        return CodeRefusal.UNKNOWN
    if product.pay_what_you_want:
        return CodeRefusal.PAY_WHAT_YOU_WANT
    if code.is_expired(now):
        return CodeRefusal.EXPIRED
    if code.products.exists() and not code.products.filter(pk=product.pk).exists():
        return CodeRefusal.NOT_FOR_PRODUCT
    if code.max_uses is not None and code.uses() >= code.max_uses:
        return CodeRefusal.USED_UP
    return None


def code_find(product, text):
    """The discount code of `product`'s store spelled `text` in any case, or None."""
    return DiscountCode.objects.filter(store_id=product.store_id).named(text).first()


def code_price(product, code):
    """`product`'s price less discount code `code`, which applies to it."""
    amount = code.discount_of(product.price_cents)
    return Price(amount, product.price_cents - amount, code)


def discount_code_reserve(code_id):
    """Within the transaction that saves a checkout's order: lock discount code
    `code_id` until it commits, and return why no use of it is left (a CodeRefusal),
    or None when one is: the order then holds it. Two checkouts at once take turns at
    the lock (SQLite runs one writing transaction at a time), so the count each reads
    holds the orders committed before it."""
    code = DiscountCode.objects.select_for_update().filter(pk=code_id).first()
    if code is None:
        return CodeRefusal.UNKNOWN
    if code.is_expired(timezone.now()):
        return CodeRefusal.EXPIRED
    if code.max_uses is not None and code.uses() >= code.max_uses:
        return CodeRefusal.USED_UP
    return None
