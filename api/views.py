from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views import View

from accounts.views import SettingsView
from api import services
from api.forms import WebhookSubscriptionForm
from api.models import ResourceSubscription, WebhookAttempt
from stores.models import Store, has_store
from stores.views import StoreOwnerRequiredMixin

# Webhooks

# Tries the settings page's delivery log shows: the newest.
WEBHOOK_LOG_SIZE = 25


def webhooks_section(request):
    """The settings page's webhooks section (accounts.views.settings_section_add): the
    store's subscriptions, the form for a new one (with the errors or the secret of the
    one just posted, which WebhookSubscriptionCreateView leaves on the request) and
    the delivery log. A member without a store gets only a line saying so."""
    if not has_store(request.user):
        return {"store": None}
    store = Store.objects.of(request.user)
    posted = getattr(request, "webhooks_posted", {})
    return {
        "store": store,
        "form": posted.get("form") or WebhookSubscriptionForm(),
        "created": posted.get("created"),
        "subscriptions": list(ResourceSubscription.objects.for_store(store)),
        "attempts": list(WebhookAttempt.objects.for_store(store)[:WEBHOOK_LOG_SIZE]),
    }


class WebhookSubscriptionCreateView(StoreOwnerRequiredMixin, SettingsView):
    """Subscribe a URL to an event: the settings page again, with the new webhook's
    secret, shown this once (200), or with the form's errors (400)."""

    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        return redirect("accounts:settings")

    def post(self, request, *args, **kwargs):
        form = WebhookSubscriptionForm(request.POST)
        created = None
        if form.is_valid():
            try:
                created = services.resource_subscription_create(
                    store=self.store, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
        request.webhooks_posted = {
            "form": WebhookSubscriptionForm() if created else form,
            "created": created,
        }
        return self.render_to_response(self.get_context_data(), status=200 if created else 400)


class WebhookSubscriptionDeleteView(StoreOwnerRequiredMixin, View):
    """Delete one of the store's webhooks; anyone else's is a 404."""

    http_method_names = ["post"]

    def post(self, request, pk):
        subscription = get_object_or_404(ResourceSubscription.objects.for_store(self.store), pk=pk)
        services.resource_subscription_delete(subscription=subscription)
        messages.success(request, f"The webhook to {subscription.post_url} is deleted.")
        return redirect("accounts:settings")
