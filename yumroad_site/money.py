from decimal import Decimal

from django.conf import settings

CENT = Decimal("0.01")


def cents_to_decimal(cents):
    """Integer cents as an exact Decimal amount: 499 is Decimal("4.99")."""
    return (Decimal(cents) / 100).quantize(CENT)


def format_money(cents, currency=None):
    """An amount in cents as people read it: "$5.00" in dollars, "5.00 EUR" otherwise."""
    currency = (currency or settings.CURRENCY).lower()
    amount = f"{cents_to_decimal(cents):,}"
    return f"${amount}" if currency == "usd" else f"{amount} {currency.upper()}"
