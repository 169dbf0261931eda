from urllib.parse import urlencode

from django import forms

from products.models import Product
from yumroad_site.forms import EmailField
from yumroad_site.money import cents_to_decimal, format_money

AMOUNT_MESSAGE = "Enter an amount in dollars above 0, like 5 or 4.99."
STALE_MESSAGE = (
    "This order's refunds changed since this page was shown. Check the amount and confirm again."
)


class BuyerEmailForm(forms.Form):
    """Where a guest's free product, or test purchase, is delivered."""

    email = EmailField(
        label="Your email",
        help_text="We send the download link here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class RefundForm(forms.Form):
    """How much of `order` the seller refunds, in dollars: at most what remains.
    `refunded_before` is the order's refunded total the form was shown with: the
    refund's idempotency key comes from it, so the same confirmation sent twice refunds
    once. A form whose base the order has left behind is refused, unless the refund it
    asks for is the one made meanwhile (`made_already`): its second sending."""

    amount = forms.DecimalField(
        label="Amount to refund (USD)",
        max_digits=12,
        decimal_places=2,
        error_messages={
            "required": AMOUNT_MESSAGE,
            "invalid": AMOUNT_MESSAGE,
            "max_digits": AMOUNT_MESSAGE,
            "max_whole_digits": AMOUNT_MESSAGE,
            "max_decimal_places": "Enter the amount to the cent, like 4.99.",
        },
    )
    # Read in clean(): whatever it holds, a base that is not the order's is stale.
    refunded_before = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, order, **kwargs):
        self.order = order
        remaining = order.amount_cents - order.refunded_cents
        initial = {"amount": cents_to_decimal(remaining), "refunded_before": order.refunded_cents}
        super().__init__(*args, initial=initial, **kwargs)
        self.made_already = False

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        # Decimal reads "1e3" as 1000; no one writes an amount so.
        if "e" in self.data.get(self.add_prefix("amount"), "").lower() or amount <= 0:
            raise forms.ValidationError(AMOUNT_MESSAGE)
        return int(amount * 100)

    def clean(self):
        cleaned = super().clean()
        before, amount = cleaned.get("refunded_before", ""), cleaned.get("amount")
        shaped = before.isascii() and before.isdigit() and len(before) < 12
        before = cleaned["refunded_before"] = int(before) if shaped else None
        if (
            amount is not None
            and before is not None
            and before < self.order.refunded_cents == before + amount
        ):
            self.made_already = True  # this confirmation was booked: its second sending
            return cleaned
        if before != self.order.refunded_cents:
            # Shown again, the form asks from the order's total now.
            self.data = self.data.copy()
            self.data[self.add_prefix("refunded_before")] = self.order.refunded_cents
            raise forms.ValidationError(STALE_MESSAGE, code="stale")
        remaining = self.order.refundable_cents
        if amount is not None and amount > remaining:
            raise forms.ValidationError(
                {"amount": f"You can refund at most {format_money(remaining)} of this order."}
            )
        return cleaned


class SaleDayField(forms.DateField):
    """A day as YYYY-MM-DD, the one form a date input sends."""

    input_formats = ["%Y-%m-%d"]
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SalesFilterForm(forms.Form):
    """The sales page's and its CSV's filter, from the query string: the UTC days paid
    from and to, both included, and one of the store's own products. Each is optional."""

    product = forms.TypedChoiceField(label="Product", coerce=int, empty_value=None, required=False)

    def __init__(self, data, *, store):
        super().__init__(data)
        # "from" is a Python keyword: that field can't be declared in the class.
        self.fields = {
            "from": SaleDayField(label="From", required=False),
            "to": SaleDayField(label="To", required=False),
            **self.fields,
        }
        products = Product.objects.filter(store=store).order_by("name", "pk")
        self.fields["product"].choices = [
            ("", "All products"),
            *products.values_list("pk", "name"),
        ]

    def clean(self):
        data = super().clean()
        first, last = data.get("from"), data.get("to")
        if first and last and first > last:
            raise forms.ValidationError("The “From” day must be on or before the “To” day.")
        return data

    def filtered(self, orders):
        """`orders` narrowed to what the (valid) form asks for."""
        data = self.cleaned_data
        orders = orders.paid_within(first=data["from"], last=data["to"])
        if data["product"] is not None:
            orders = orders.filter(product_id=data["product"])
        return orders

    def query(self):
        """The (valid) filter as a query string, for links that keep it: "" when none."""
        data = self.cleaned_data
        return urlencode({name: str(value) for name, value in data.items() if value is not None})
