from django import forms

from accounts.forms import EmailField

EMAIL_MAX_LENGTH = 254  # RFC 5321


class BuyerEmailForm(forms.Form):
    """Where a guest's free product, or test purchase, is delivered."""

    email = EmailField(
        label="Your email",
        max_length=EMAIL_MAX_LENGTH,
        help_text="We send the download link here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
