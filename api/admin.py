from django.contrib import admin

from api.models import AccessToken, ResourceSubscription, WebhookAttempt, WebhookDelivery


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    """Staff see who holds tokens and may revoke one (set its revoked time); a token's
    text is never stored, so there is nothing else to see."""

    list_display = ["name", "user", "scope", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__email"]
    readonly_fields = ["user", "name", "scope", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False


@admin.register(ResourceSubscription)
class ResourceSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["store", "resource_name", "post_url", "created_at"]
    list_select_related = ["store"]
    search_fields = ["post_url", "store__name"]
    readonly_fields = ["store", "resource_name", "post_url", "created_at"]

    def has_add_permission(self, request):
        return False


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "tried_at", "status_code", "error", "duration_ms", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Staff see each event sent to a seller's server and its tries; the worker alone
    changes them (api.webhooks)."""

    list_display = ["event_id", "subscription", "state", "tries", "next_try_at", "created_at"]
    list_filter = ["state", "resource_name"]
    list_select_related = ["subscription"]
    search_fields = ["event_id", "subscription__post_url", "subscription__store__name"]
    inlines = [WebhookAttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
