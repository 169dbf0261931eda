from django import forms

from stores.models import DUPLICATE_NAME_MESSAGE, Store
from yumroad_site.validators import (
    NAME_LENGTH_MESSAGE,
    NAME_MAX_LENGTH,
    NAME_MIN_LENGTH,
    validate_printable,
)


class StoreNameField(forms.CharField):
    """A store name of 4 to 60 characters that no store has yet, in any letter case."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Store name")
        kwargs.setdefault("help_text", "Buyers see it on your store page and products.")
        super().__init__(
            min_length=NAME_MIN_LENGTH,
            max_length=NAME_MAX_LENGTH,
            error_messages={"min_length": NAME_LENGTH_MESSAGE, "max_length": NAME_LENGTH_MESSAGE},
            validators=[validate_printable],
            **kwargs,
        )

    def validate(self, value):
        super().validate(value)
        if value and Store.objects.name_taken(value):
            raise forms.ValidationError(DUPLICATE_NAME_MESSAGE, code="unique")


class StoreForm(forms.Form):
    name = StoreNameField()
