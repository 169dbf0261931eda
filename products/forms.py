from decimal import Decimal

from django import forms

from products.models import MAX_PRICE_CENTS, NAME_LENGTH_MESSAGE, Product

MAX_PRICE = Decimal(MAX_PRICE_CENTS) / 100
PRICE_MESSAGE = f"Enter a price in dollars from 0 to {MAX_PRICE:,.0f}, like 5 or 4.99."


class ProductForm(forms.ModelForm):
    price = forms.DecimalField(
        label="Price (USD)",
        min_value=0,
        max_value=MAX_PRICE,
        decimal_places=2,
        help_text="0 makes it free.",
        error_messages={
            "required": PRICE_MESSAGE,
            "invalid": PRICE_MESSAGE,
            "min_value": PRICE_MESSAGE,
            "max_value": PRICE_MESSAGE,
            "max_decimal_places": "Enter the price to the cent, like 4.99.",
        },
    )
    picture_url = forms.URLField(
        label="Picture URL",
        required=False,
        assume_scheme="https",
        help_text="Optional: the address of an image on the web.",
    )

    class Meta:
        model = Product
        fields = ["name", "description", "price", "picture_url"]
        error_messages = {"name": {"max_length": NAME_LENGTH_MESSAGE}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["price"].initial = self.instance.price

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("price") is not None:
            # At most two decimal places, so this is exact.
            self.instance.price_cents = int(cleaned_data["price"] * 100)
        return cleaned_data
