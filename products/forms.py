from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from products.models import MAX_PRICE_CENTS, MIN_PRICE_CENTS, Product
from yumroad_site.validators import NAME_LENGTH_MESSAGE

MAX_PRICE = Decimal(MAX_PRICE_CENTS) / 100
MIN_PRICE = Decimal(MIN_PRICE_CENTS) / 100
PRICE_MESSAGE = f"Enter a price in dollars from 0 to {MAX_PRICE:,.0f}, like 5 or 4.99."
MIN_PRICE_MESSAGE = f"Free, or at least ${MIN_PRICE:.2f}."
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


class ProductFileInput(forms.FileInput):
    """The file a product delivers: shows the current one by name (it has no URL)."""

    template_name = "products/_file_input.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # The saved file's product (a FieldFile knows it); nothing for a new upload.
        context["current"] = getattr(value, "instance", None) if value else None
        return context


class ProductFileField(forms.FileField):
    """Any type of file, up to PRODUCT_FILE_MAX_MB; the name is the client's, kept for
    the download only, so its length does not matter here."""

    widget = ProductFileInput

    def __init__(self, **kwargs):
        kwargs["max_length"] = None
        super().__init__(**kwargs)

    def to_python(self, data):
        upload = super().to_python(data)
        max_bytes = settings.PRODUCT_FILE_MAX_MB * 1024 * 1024
        if isinstance(upload, UploadedFile) and upload.size > max_bytes:
            raise forms.ValidationError(
                f"The file must be {filesizeformat(max_bytes)} or smaller.", code="too_large"
            )
        return upload


class ProductForm(forms.ModelForm):
    price = forms.DecimalField(
        label="Price (USD)",
        min_value=0,
        max_value=MAX_PRICE,
        decimal_places=2,
        help_text=f"0 makes it free; a paid product costs at least ${MIN_PRICE:.2f}.",
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
    file = ProductFileField(
        label="File to sell",
        required=False,
        help_text=(
            f"What buyers download: any type of file, at most {settings.PRODUCT_FILE_MAX_MB} MB."
            " Until it has one, the product shows as coming soon."
        ),
    )

    class Meta:
        model = Product
        fields = ["name", "description", "price", "file", "image", "picture_url"]
        error_messages = {"name": {"max_length": NAME_LENGTH_MESSAGE}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["price"].initial = self.instance.price

    def clean_price(self):
        price = self.cleaned_data["price"]
        if 0 < price < MIN_PRICE:
            raise forms.ValidationError(MIN_PRICE_MESSAGE, code="below_minimum")
        return price

    def save(self, commit=True):
        # At most two decimal places, so this is exact.
        self.instance.price_cents = int(self.cleaned_data["price"] * 100)
        return super().save(commit)


class ProductSearchForm(forms.Form):
    q = forms.CharField(label="Search products", required=False, max_length=100)
