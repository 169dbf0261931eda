from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from stores.models import DESCRIPTION_MAX_LENGTH, DUPLICATE_NAME_MESSAGE, Store
from yumroad_site.forms import PictureField
from yumroad_site.validators import NAME_LENGTH_MESSAGE, NAME_MAX_LENGTH, collapse_spaces


class StoreNameField(forms.CharField):
    """A store name, checked as the Store model checks it: 4 to 60 characters on one
    line, nothing invisible, runs of spaces made one, and no store with a name that
    looks the same."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Store name")
        kwargs.setdefault("help_text", "Buyers see it on your store page and products.")
        super().__init__(
            max_length=NAME_MAX_LENGTH, error_messages={"max_length": NAME_LENGTH_MESSAGE}, **kwargs
        )

    def clean(self, value):
        name = collapse_spaces(super().clean(value))
        try:
            # The name key's uniqueness is Store.clean's check, said once.
            Store(name=name).full_clean(exclude=["owner", "slug", "name_key"])
        except ValidationError as error:
            # The model's field and constraint errors, all about this one field.
            raise ValidationError(error.messages) from error
        return name


class StoreForm(forms.Form):
    name = StoreNameField()


class StoreSettingsForm(forms.ModelForm):
    """The store's name (checked as at sign-up), description and avatar."""

    avatar = PictureField(
        label="Avatar",
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
        help_text="A square picture looks best. JPEG, PNG, WebP or GIF, at most 5 MB.",
    )

    class Meta:
        model = Store
        fields = ["name", "description", "avatar"]
        labels = {"name": "Store name"}
        help_texts = {
            "name": "Renaming changes your store's address; the old one keeps working.",
            "description": (
                f"What your store sells, in plain text, at most {DESCRIPTION_MAX_LENGTH} "
                "characters. Line breaks are kept."
            ),
        }
        error_messages = {
            "name": {"max_length": NAME_LENGTH_MESSAGE},
            "description": {
                "max_length": f"Keep the description to {DESCRIPTION_MAX_LENGTH} characters."
            },
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def _post_clean(self):
        super()._post_clean()
        # A name taken in any letter case breaks a constraint on an expression, which
        # Django reports for the whole form: it is about the name.
        general = self._errors.pop(NON_FIELD_ERRORS, None)
        for error in general.as_data() if general else []:
            self.add_error("name" if DUPLICATE_NAME_MESSAGE in error.messages else None, error)
