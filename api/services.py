"""What the API and the site's pages call to change the api app's objects."""

# resource subscriptions (the hooks branch replaces these)
from api.webhooks import resource_subscription_create, resource_subscription_delete

__all__ = ["resource_subscription_create", "resource_subscription_delete"]
