"""Form fields more than one app uses."""

import re

from django import forms

from yumroad_site import pictures
from yumroad_site.validators import EMAIL_MAX_LENGTH, normalize_email

# Digits with an optional point and digits after it: nothing else is an amount here.
DOLLARS = re.compile(r"[0-9]{1,12}(?:\.[0-9]+)?|\.[0-9]+")
EMAIL_LENGTH_MESSAGE = f"An email address has at most {EMAIL_MAX_LENGTH} characters."
# The largest id a database holds: a signed 64-bit integer.
MAX_ID = 2**63 - 1


class EmailField(forms.EmailField):
    """An email as we store it, normalized before the checks: lower-casing can make an
    address longer ("İ" becomes two characters), so the length is checked after it.
    At most EMAIL_MAX_LENGTH characters on every form, login included."""

    def __init__(self, **kwargs):
        kwargs["max_length"] = min(kwargs.get("max_length") or EMAIL_MAX_LENGTH, EMAIL_MAX_LENGTH)
        super().__init__(**kwargs)
        self.error_messages["max_length"] = EMAIL_LENGTH_MESSAGE

    def to_python(self, value):
        return normalize_email(super().to_python(value))


class PictureField(forms.ImageField):
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


class PictureInput(forms.ClearableFileInput):
    """A picture's upload that shows the stored picture as a thumbnail with the box that
    removes it, where Django shows its storage path (templates/bootstrap5/layout/
    field_file.html draws it). The form sets `thumbnail_url` to a small size of the
    picture when it has one; otherwise the picture itself is shown, scaled down."""

    clear_checkbox_label = "Remove"
    thumbnail_url = ""
    # Where crispy forms don't draw it (the admin).
    template_name = "yumroad_site/picture_input.html"

    def __init__(self, attrs=None, *, alt):
        attrs = {"accept": "image/jpeg,image/png,image/webp,image/gif", **(attrs or {})}
        super().__init__(attrs)
        self.alt = alt

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if context["widget"]["is_initial"]:
            context["widget"]["thumbnail"] = {
                "url": self.thumbnail_url or value.url,
                "alt": self.alt,
            }
        return context


class CentsField(forms.DecimalField):
    """An amount in dollars, to the cent, cleaned to integer cents. Every message is
    `message`, but for the cent's: a number Decimal reads and no one writes (1e3, NaN)
    is refused as garbage is."""

    def __init__(self, *, message, max_value, **kwargs):
        super().__init__(min_value=0, max_value=max_value, decimal_places=2, **kwargs)
        for code in ("required", "invalid", "min_value", "max_value", "max_digits"):
            self.error_messages[code] = message
        self.error_messages["max_whole_digits"] = message
        self.error_messages["max_decimal_places"] = "Enter the amount to the cent, like 4.99."

    def to_python(self, value):
        text = value.strip() if isinstance(value, str) else ""
        if text and not DOLLARS.fullmatch(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else int(amount * 100)


class ModelChoicesField(forms.ModelMultipleChoiceField):
    """Objects chosen by id, as ModelMultipleChoiceField; an id beyond what a database
    holds is refused as any unknown choice, before SQLite fails to compare it."""

    def clean(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            try:
                number = int(str(pk))
            except ValueError:
                continue  # Django's own check says it is no id
            if not -MAX_ID - 1 <= number <= MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super().clean(value)
