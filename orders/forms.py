from urllib.parse import urlencode

from django import forms

from products.models import Product
from yumroad_site.forms import EmailField


class BuyerEmailForm(forms.Form):
    """Where a guest's free product, or test purchase, is delivered."""

    email = EmailField(
        label="Your email",
        help_text="We send the download link here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


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
