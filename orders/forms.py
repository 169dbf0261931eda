from urllib.parse import urlencode

from django import forms

from orders.models import CODE_MAX_LENGTH, DiscountCode
from orders.pricing import Price, code_find, code_price, code_refusal
from products.models import MAX_PRICE_CENTS, MIN_PRICE_CENTS, Product
from yumroad_site.forms import CentsField, EmailField, ModelChoicesField
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


MAX_AMOUNT = cents_to_decimal(MAX_PRICE_CENTS)
PAY_MESSAGE = f"Enter what you pay in dollars, up to {MAX_AMOUNT:,.0f}, like 5 or 4.99."
FREE_EMAIL_MESSAGE = "Enter your email: we send the download link there."


class BuyForm(forms.Form):
    """Buy: what the buyer pays for a pay-what-you-want product (`amount`), the
    discount code they applied (`code`), and for a guest whose price comes to nothing,
    where the link goes (`email`). Cleaned, `price` is what they pay (pricing.Price). A
    code that no longer applies (used up meanwhile, expired) is refused and dropped:
    the form shown again buys at full price."""

    amount = CentsField(
        label="Name a fair price (USD)",
        max_value=MAX_AMOUNT,
        message=PAY_MESSAGE,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    code = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    email = EmailField(
        label="Your email",
        required=False,
        help_text="If you pay nothing: we send the download link here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, data=None, *, product, user, code=None):
        self.product = product
        initial = {"code": code.code if code else ""}
        super().__init__(data, initial=initial)
        if data is not None:
            # Whether a guest must say where the link goes depends on the code sent.
            found = code_find(product, self.data.get(self.add_prefix("code"), ""))
            code = found if code_refusal(found, product) is None else None
        if product.pay_what_you_want:
            self.fields["amount"].initial = product.suggested_price
            self.fields["amount"].help_text = (
                f"At least {format_money(product.price_cents)}."
                if product.price_cents
                else f"Any amount: $0, or at least {format_money(MIN_PRICE_CENTS)}."
            )
        else:
            del self.fields["amount"]
        free_possible = (product.pay_what_you_want and not product.price_cents) or (
            code is not None and code_price(product, code).amount_cents == 0
        )
        if user.is_authenticated or not free_possible:
            del self.fields["email"]
        self.price = None

    def clean_amount(self):
        cents = self.cleaned_data["amount"]
        if 0 < cents < MIN_PRICE_CENTS:
            raise forms.ValidationError(
                f"Pay $0 or at least {format_money(MIN_PRICE_CENTS)}."
                if not self.product.price_cents
                else f"Pay at least {format_money(self.product.price_cents)}."
            )
        if cents < self.product.price_cents:
            raise forms.ValidationError(f"Pay at least {format_money(self.product.price_cents)}.")
        return cents

    def clean_code(self):
        text = self.cleaned_data["code"].strip()
        if not text:
            return None
        code = code_find(self.product, text)
        refusal = code_refusal(code, self.product)
        if refusal is not None:
            self.code_dropped()
            raise forms.ValidationError(f"{refusal} You can buy it at the full price.")
        return code

    def code_dropped(self):
        """Shown again, the form buys without the code."""
        self.data = self.data.copy()
        self.data[self.add_prefix("code")] = ""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned.get("code"):
            self.price = code_price(self.product, cleaned["code"])
        else:
            self.price = Price(cleaned.get("amount", self.product.price_cents))
        if self.price.amount_cents == 0 and "email" in self.fields and not cleaned.get("email"):
            self.add_error("email", FREE_EMAIL_MESSAGE)
        return cleaned


def _code_product_label(product):
    if product.pay_what_you_want:
        return f"{product.name} (pay what you want: codes do not apply)"
    return product.name


class DiscountCodeForm(forms.ModelForm):
    """A store's discount code on the site: the amount off in dollars. The rules are
    the model's and orders.services.discount_code_create's, which saves it."""

    amount_off = CentsField(
        label="Amount off (USD)",
        required=False,
        max_value=MAX_AMOUNT,
        message=f"Enter an amount in dollars up to {MAX_AMOUNT:,.0f}, like 5 or 4.99.",
    )
    expires_at = forms.DateTimeField(
        label="Expires (UTC)",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Optional: after this moment the code no longer applies.",
    )

    class Meta:
        model = DiscountCode
        fields = ["code", "percent_off", "amount_off", "products", "max_uses", "expires_at"]
        field_classes = {"products": ModelChoicesField}
        widgets = {"products": forms.CheckboxSelectMultiple}
        help_texts = {
            "percent_off": "From 1 to 100; or an amount off below.",
            "products": "None chosen: it applies to every product of your store.",
            "max_uses": "Optional: how many orders may use it.",
        }

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.store = store
        self.fields["code"].max_length = CODE_MAX_LENGTH
        products = Product.objects.filter(store=store).order_by("name")
        self.fields["products"].queryset = products
        self.fields["products"].label_from_instance = _code_product_label
        if not products.exists():
            self.fields[
                "products"
            ].help_text = "Your store has no products yet: the code applies to every product."
        self.fields["percent_off"].widget.attrs.update(min=1, max=100)
        if self.instance.amount_off_cents is not None:
            self.fields["amount_off"].initial = cents_to_decimal(self.instance.amount_off_cents)

    def clean_amount_off(self):
        cents = self.cleaned_data["amount_off"]
        if cents == 0:
            raise forms.ValidationError("Take at least $0.01 off, or leave it empty.")
        return cents

    def clean(self):
        cleaned = super().clean()
        percent, cents = cleaned.get("percent_off"), cleaned.get("amount_off")
        if (
            "percent_off" in cleaned
            and "amount_off" in cleaned
            and (percent is None) == (cents is None)
        ):
            raise forms.ValidationError("Take a percent or an amount off: one of them, not both.")
        self.instance.amount_off_cents = cents
        return cleaned

    def values(self):
        """The (valid) form as orders.services.discount_code_create's arguments."""
        data = self.cleaned_data
        return {
            "code": data["code"],
            "percent_off": data["percent_off"],
            "amount_off_cents": data["amount_off"],
            "products": list(data["products"]),
            "max_uses": data["max_uses"],
            "expires_at": data["expires_at"],
        }


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
