from decimal import Decimal

from django import forms

from products import pictures
from products.models import DESCRIPTION_MAX_LENGTH, MAX_PRICE_CENTS, Product
from yumroad_site.validators import NAME_LENGTH_MESSAGE

MAX_PRICE = Decimal(MAX_PRICE_CENTS) / 100
PRICE_MESSAGE = f"Enter a price in dollars from 0 to {MAX_PRICE:,.0f}, like 5 or 4.99."
DESCRIPTION_LENGTH_MESSAGE = (
    f"Keep the description to {DESCRIPTION_MAX_LENGTH:,} characters (it has %(show_value)s)."
)


class ProductImageField(forms.ImageField):
    """A JPEG, PNG, WebP or GIF of at most 5 MB and 40 megapixels, cleaned to the
    picture we store: re-encoded without its metadata, under a generated name."""

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        pictures.picture_check(upload)
        try:
            return pictures.picture_encode(upload)
        except Exception as error:
            # Pillow raises many kinds of errors for a broken or hostile file.
            raise forms.ValidationError(pictures.INVALID_MESSAGE, code="invalid_image") from error


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
    image = ProductImageField(
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
        help_text="JPEG, PNG, WebP or GIF, at most 5 MB and 40 megapixels.",
    )
    picture_url = forms.URLField(
        label="Picture URL",
        required=False,
        assume_scheme="https",
        help_text="Or the address of an image on the web. An uploaded image comes first.",
    )

    class Meta:
        model = Product
        fields = ["name", "description", "price", "image", "picture_url"]
        error_messages = {
            "name": {"max_length": NAME_LENGTH_MESSAGE},
            "description": {"max_length": DESCRIPTION_LENGTH_MESSAGE},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["price"].initial = self.instance.price

    @property
    def picture_dropped(self):
        """Whether a picture was sent with a form that has errors: a browser can't keep
        it, so the form must ask for it again."""
        return bool(self.is_bound and self.errors and self.files.get("image"))

    def save(self, commit=True):
        # At most two decimal places, so this is exact.
        self.instance.price_cents = int(self.cleaned_data["price"] * 100)
        return super().save(commit)
