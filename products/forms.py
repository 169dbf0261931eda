from decimal import Decimal

from django import forms
from django.core.files.uploadedfile import UploadedFile

from products.models import MAX_PRICE_CENTS, Product
from yumroad_site.validators import NAME_LENGTH_MESSAGE

MAX_PRICE = Decimal(MAX_PRICE_CENTS) / 100
PRICE_MESSAGE = f"Enter a price in dollars from 0 to {MAX_PRICE:,.0f}, like 5 or 4.99."
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_IMAGE_BYTES = 5 * 1024 * 1024


class ProductImageField(forms.ImageField):
    """An upload that Pillow reads as a JPEG, PNG, WebP or GIF of at most 5 MB."""

    default_error_messages = {
        "invalid_image": "Upload a JPEG, PNG, WebP or GIF image.",
        "too_large": "The image must be 5 MB or smaller.",
    }

    def to_python(self, data):
        # The size first, so that an oversized upload is never decoded.
        if isinstance(data, UploadedFile) and data.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        upload = super().to_python(data)
        if isinstance(upload, UploadedFile) and upload.image.format not in IMAGE_FORMATS:
            raise forms.ValidationError(self.error_messages["invalid_image"], code="invalid_image")
        return upload


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
        help_text="JPEG, PNG, WebP or GIF, at most 5 MB.",
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
        error_messages = {"name": {"max_length": NAME_LENGTH_MESSAGE}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["price"].initial = self.instance.price

    def save(self, commit=True):
        # At most two decimal places, so this is exact.
        self.instance.price_cents = int(self.cleaned_data["price"] * 100)
        return super().save(commit)
