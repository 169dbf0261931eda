from django.contrib import admin

from api.models import AccessToken, ResourceSubscription


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
