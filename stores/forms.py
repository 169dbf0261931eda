from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from accounts.forms import BLANK_PASSWORD_MESSAGE
from accounts.models import User
from stores.models import DESCRIPTION_MAX_LENGTH, DUPLICATE_NAME_MESSAGE, Store
from yumroad_site.forms import EmailField, PictureField, PictureInput
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


class SignupForm(forms.ModelForm):
    """An account: the email and the password twice. A store comes after, if wanted."""

    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    confirm = forms.CharField(
        label="Confirm password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = ["email", "password", "confirm"]

    class Meta:
        model = User
        fields = ["email"]
        field_classes = {"email": EmailField}
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})}

    def clean_password(self):
        # The manager refuses such a password with a ValueError; say so here first.
        password = self.cleaned_data["password"]
        if not password.strip():
            raise forms.ValidationError(BLANK_PASSWORD_MESSAGE, code="blank_password")
        return password

    def clean(self):
        cleaned_data = super().clean()
        password = cleaned_data.get("password")
        if password and password != cleaned_data.get("confirm"):
            self.add_error("confirm", "Passwords must match.")
        return cleaned_data

    def _post_clean(self):
        # The model normalizes the email here; the similarity check then compares
        # the password with that email.
        super()._post_clean()
        password = self.cleaned_data.get("password")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except forms.ValidationError as error:
                self.add_error("password", error)


class StoreForm(forms.Form):
    name = StoreNameField()


class StoreSettingsForm(forms.ModelForm):
    """The store's name (checked as at sign-up), description and avatar."""

    avatar = PictureField(
        label="Avatar",
        required=False,
        widget=PictureInput(alt="Your store's current avatar"),
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.avatar_sizes:
            self.fields["avatar"].widget.thumbnail_url = self.instance.avatar_sizes[-1][0]

    def _post_clean(self):
        super()._post_clean()
        # A name taken in any letter case breaks a constraint on an expression, which
        # Django reports for the whole form: it is about the name.
        general = self._errors.pop(NON_FIELD_ERRORS, None)
        for error in general.as_data() if general else []:
            self.add_error("name" if DUPLICATE_NAME_MESSAGE in error.messages else None, error)
