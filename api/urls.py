from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
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
