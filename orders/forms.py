from django import forms

from yumroad_site.forms import EmailField


class BuyerEmailForm(forms.Form):
    """Where a guest's free product, or test purchase, is delivered."""

    email = EmailField(
        label="Your email",
        help_text="We send the download link here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
