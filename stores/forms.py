from django import forms
from django.core.exceptions import ValidationError

from stores.models import Store
from yumroad_site.validators import NAME_LENGTH_MESSAGE, NAME_MAX_LENGTH


class StoreNameField(forms.CharField):
    """A store name, checked as the Store model checks it: 4 to 60 characters on one
    line, and no store with the same name in any letter case."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Store name")
        kwargs.setdefault("help_text", "Buyers see it on your store page and products.")
        super().__init__(
            max_length=NAME_MAX_LENGTH, error_messages={"max_length": NAME_LENGTH_MESSAGE}, **kwargs
        )

    def clean(self, value):
        name = super().clean(value)
        try:
            # The name key's uniqueness is Store.clean's check, said once.
            Store(name=name).full_clean(exclude=["owner", "slug", "name_key"])
        except ValidationError as error:
            # The model's field and constraint errors, all about this one field.
            raise ValidationError(error.messages) from error
        return name


class StoreForm(forms.Form):
    name = StoreNameField()
