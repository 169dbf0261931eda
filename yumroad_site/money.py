from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")


def cents_to_decimal(cents):
    """Integer cents as an exact Decimal amount: 499 is Decimal("4.99")."""
    return (Decimal(cents) / 100).quantize(CENT)


def format_money(cents, currency=None):
    """An amount in cents as people read it: "$5.00" in dollars, "5.00 EUR" otherwise;
    below zero "-$4.00"."""
    currency = (currency or settings.CURRENCY).lower()
    sign = "-" if cents < 0 else ""
    amount = f"{cents_to_decimal(abs(cents)):,}"
    return f"{sign}${amount}" if currency == "usd" else f"{sign}{amount} {currency.upper()}"


def round_half_up(amount):
    """A Decimal number of cents as whole cents, halves rounded up: 12.5 is 13."""
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))
