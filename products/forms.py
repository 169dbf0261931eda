import uuid
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from products.models import DESCRIPTION_MAX_LENGTH, MAX_PRICE_CENTS, MIN_PRICE_CENTS, Product
from yumroad_site.forms import CentsField, PictureField, PictureInput
from yumroad_site.validators import NAME_LENGTH_MESSAGE

MAX_PRICE = Decimal(MAX_PRICE_CENTS) / 100
MIN_PRICE = Decimal(MIN_PRICE_CENTS) / 100
PRICE_MESSAGE = f"Enter a price in dollars from 0 to {MAX_PRICE:,.0f}, like 5 or 4.99."
MIN_PRICE_MESSAGE = f"Free, or at least ${MIN_PRICE:.2f}."
SUGGESTED_MESSAGE = f"Enter a suggested price in dollars up to {MAX_PRICE:,.0f}, like 10."
SUGGESTED_LOW_MESSAGE = "Suggest at least the price that buyers must pay."
RELOAD_MESSAGE = "This form is out of date. Reload the page to add a product."
STATUS_MESSAGE = "Choose to publish it now or to save it as a draft."
DESCRIPTION_LENGTH_MESSAGE = (
    f"Keep the description to {DESCRIPTION_MAX_LENGTH:,} characters (it has %(show_value)s)."
)


class ProductFileField(forms.FileField):
    """Any type of file, up to PRODUCT_FILE_MAX_MB; the name is the client's, kept for
    the download only, so its length does not matter here."""

    # A plain input: the saved file has no URL to link to (see ProductForm's help text).
    widget = forms.FileInput

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


DROPPABLE = [("image", "picture"), ("file", "file to sell")]


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
    pay_what_you_want = forms.BooleanField(
        label="Pay what you want",
        required=False,
        help_text="Buyers choose what they pay: the price above is the least they may pay.",
    )
    suggested_price = CentsField(
        label="Suggested price (USD)",
        required=False,
        max_value=MAX_PRICE,
        message=SUGGESTED_MESSAGE,
        help_text="For pay what you want: the amount the buy box offers first.",
    )
    image = PictureField(
        required=False,
        widget=PictureInput(alt="The current picture"),
        help_text="JPEG, PNG, WebP or GIF, at most 5 MB and 40 megapixels.",
    )
    picture_url = forms.URLField(
        label="Picture URL",
        required=False,
        assume_scheme="https",
        help_text="Or the address of an image on the web. An uploaded image comes first.",
    )
    file = ProductFileField(label="File to sell", required=False)
    # A new product's form only: see Product.submission.
    submission = forms.CharField(required=False, widget=forms.HiddenInput)
    # A new product's form only: later, the dashboard's and its page's buttons move it.
    status = forms.ChoiceField(
        label="When you save it",
        choices=[
            (Product.Status.PUBLISHED, "Publish it: listed, and for sale once it has a file"),
            (Product.Status.DRAFT, "Save it as a draft: only you can see it"),
        ],
        initial=Product.Status.PUBLISHED,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": STATUS_MESSAGE},
    )

    class Meta:
        model = Product
        fields = [
            "name",
            "description",
            "price",
            "pay_what_you_want",
            "suggested_price",
            "file",
            "generates_license_keys",
            "image",
            "picture_url",
            "status",
        ]
        help_texts = {
            "generates_license_keys": "Each buyer gets a unique key on their receipt and in "
            "their library; your software checks it through the API.",
        }
        error_messages = {
            "name": {"max_length": NAME_LENGTH_MESSAGE},
            "description": {"max_length": DESCRIPTION_LENGTH_MESSAGE},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["price"].initial = self.instance.price
            if self.instance.suggested_price_cents is not None:
                self.fields["suggested_price"].initial = self.instance.suggested_price
            del self.fields["submission"], self.fields["status"]
            if self.instance.picture_sizes:
                self.fields["image"].widget.thumbnail_url = self.instance.picture_sizes[0][0]
        else:
            self.fields["submission"].initial = uuid.uuid4()
        rules = (
            f"What buyers download: any type of file, at most {settings.PRODUCT_FILE_MAX_MB} MB."
        )
        if self.instance.file:
            self.fields["file"].help_text = format_html(
                'Now selling <strong class="text-break">{}</strong> ({}). '
                "Choose a file to replace it. {}",
                self.instance.file_name,
                filesizeformat(self.instance.file_size),
                rules,
            )
        else:
            self.fields[
                "file"
            ].help_text = f"{rules} Until it has one, the product shows as coming soon."

    def clean_submission(self):
        # A hidden field's own errors don't show: the form says it.
        value = self.cleaned_data["submission"]
        try:
            return uuid.UUID(value) if value else None
        except ValueError:
            self.add_error(None, RELOAD_MESSAGE)
            return None

    def clean_status(self):
        # Sent without it (a script, an older page): published, as products were.
        return self.cleaned_data["status"] or Product.Status.PUBLISHED

    def clean_price(self):
        price = self.cleaned_data["price"]
        # Decimal reads "1e3" as 1000; no one writes a price so.
        if "e" in self.data.get(self.add_prefix("price"), "").lower():
            raise forms.ValidationError(PRICE_MESSAGE, code="invalid")
        if 0 < price < MIN_PRICE:
            raise forms.ValidationError(MIN_PRICE_MESSAGE, code="below_minimum")
        return price

    def clean_suggested_price(self):
        cents = self.cleaned_data["suggested_price"]
        if cents is not None and 0 < cents < MIN_PRICE_CENTS:
            raise forms.ValidationError(MIN_PRICE_MESSAGE, code="below_minimum")
        return cents

    def clean(self):
        cleaned = super().clean()
        price, suggested = cleaned.get("price"), cleaned.get("suggested_price")
        if not cleaned.get("pay_what_you_want"):
            cleaned["suggested_price"] = None
        elif price is not None and suggested is not None and suggested < price * 100:
            self.add_error("suggested_price", SUGGESTED_LOW_MESSAGE)
        # On the instance before the model's constraints are checked (_post_clean).
        if price is not None:
            self.instance.price_cents = int(price * 100)
        self.instance.suggested_price_cents = cleaned.get("suggested_price")
        return cleaned

    @property
    def dropped_files(self):
        """What was sent with a form that has errors: a browser can't keep files, so
        the form must ask for them again. Names of the fields, as people read them."""
        if not (self.is_bound and self.errors):
            return []
        return [label for name, label in DROPPABLE if self.files.get(name)]


class ProductSearchForm(forms.Form):
    q = forms.CharField(label="Search products", required=False, max_length=100)
