from django import forms

from api.models import AccessToken, ResourceName, TokenScope
from api.webhooks import URL_MAX_LENGTH
from yumroad_site.validators import validate_printable


class AccessTokenForm(forms.ModelForm):
    """A new token: a name to know it by, and what it may do."""

    scope = forms.ChoiceField(
        label="It may",
        choices=[
            (TokenScope.READ, "Read: your products, sales and codes"),
            (TokenScope.READ_WRITE, "Read and write: change them too"),
        ],
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose read or read and write."},
    )

    class Meta:
        model = AccessToken
        fields = ["name", "scope"]
        labels = {"name": "Token name"}
        help_texts = {"name": "To tell your tokens apart, such as the app that uses it."}
        error_messages = {"name": {"max_length": "Keep the name to 100 characters."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].validators.append(validate_printable)


class WebhookSubscriptionForm(forms.Form):
    """The settings page's new webhook: its shape. What the URL may be is the rule of
    api.webhooks.resource_subscription_create, which the view calls."""

    resource_name = forms.ChoiceField(label="Event", choices=ResourceName.choices)
    post_url = forms.CharField(
        label="URL",
        max_length=URL_MAX_LENGTH,
        help_text="An https address of your server; we POST each event there as JSON.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/yumroad"}),
    )
