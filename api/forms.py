from django import forms

from api.models import ResourceName
from api.webhooks import URL_MAX_LENGTH


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
