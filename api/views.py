from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.decorators.http import require_POST
from ninja.openapi.docs import Swagger

from accounts.views import SettingsView
from api.forms import AccessTokenForm, WebhookSubscriptionForm
from api.models import AccessToken, ResourceSubscription, WebhookAttempt
from api.services import (
    access_token_create,
    access_token_revoke,
    resource_subscription_create,
    resource_subscription_delete,
)
from api.v2 import api as api_v2
from stores.models import Store, has_store
from stores.views import StoreOwnerRequiredMixin


def tokens_section(request):
    """The settings page's "API tokens": the form (with its errors after a refused
    POST), the token just made (in that POST's answer only), and the tokens."""
    made = getattr(request, "api_tokens", {})
    return {
        "form": made.get("form") or AccessTokenForm(),
        "made": made.get("token"),
        "made_text": made.get("text"),
        "tokens": AccessToken.objects.for_user(request.user),
        "docs_url": reverse("api:docs"),
    }


class TokenCreateView(SettingsView):
    """POST: make a token and show the settings page with its text, this once: never
    in a cookie, a message or the session. A refused form: the page again, 400."""

    http_method_names = ["post"]

    def post(self, request):
        form = AccessTokenForm(request.POST)
        status = 400
        request.api_tokens = {"form": form}
        if form.is_valid():
            token, text = access_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
            )
            request.api_tokens = {"token": token, "text": text}
            status = 200
        return self.render_to_response(self.get_context_data(), status=status)


@login_required
@require_POST
def token_revoke(request, pk):
    """Revoke one of your tokens (anyone else's: 404)."""
    token = get_object_or_404(AccessToken, pk=pk, user=request.user)
    access_token_revoke(token=token)
    messages.success(request, f"Revoked the token {token.name}: it works no more.")
    return redirect("accounts:settings")


class Docs(Swagger):
    def get_openapi_url(self, api, path_params):
        return reverse("api:api-v2:openapi-json", kwargs=path_params)


SWAGGER = Docs(settings={"persistAuthorization": False})


# Swagger UI sets style attributes and <style> elements: this page alone allows inline
# styles. Its scripts are files of this site (django-ninja's bundled Swagger UI).
@csp_update({"style-src": ["'self'", "'unsafe-inline'"]})
def docs(request):
    """The API's docs, from its schema (/api/v2/schema/): public."""
    return SWAGGER.render_page(request, api_v2)


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
                created = resource_subscription_create(store=self.store, **form.cleaned_data)
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
        resource_subscription_delete(subscription=subscription)
        messages.success(request, f"The webhook to {subscription.post_url} is deleted.")
        return redirect("accounts:settings")
