from django.urls import path

from api import views
from api.v2 import api as api_v2

app_name = "api"

urlpatterns = [
    path("api/v2/", api_v2.urls),
    path("api/v2/docs/", views.docs, name="docs"),
    path("accounts/settings/tokens/", views.TokenCreateView.as_view(), name="token_create"),
    path(
        "accounts/settings/tokens/<int:pk>/revoke/",
        views.token_revoke,
        name="token_revoke",
    ),
    # Webhooks: the settings page's forms.
    path(
        "accounts/settings/webhooks/",
        views.WebhookSubscriptionCreateView.as_view(),
        name="subscription_create",
    ),
    path(
        "accounts/settings/webhooks/<int:pk>/delete/",
        views.WebhookSubscriptionDeleteView.as_view(),
        name="subscription_delete",
    ),
]
