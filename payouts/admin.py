from django.contrib import admin

from payouts.models import LedgerEntry, Payout, PayoutAccount
from yumroad_site.admin_columns import column


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money records: staff read them; they change only through payouts.services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    list_display = ["store", "stripe_account_id", "state", "updated_at"]
    list_select_related = ["store"]
    search_fields = ["stripe_account_id", "store__name"]

    state = column("state", description="state", ordering="payouts_enabled")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["pk", "store", "display_amount", "status", "transfer_id", "created_at"]
    list_select_related = ["store"]
    list_filter = ["status"]
    search_fields = ["transfer_id", "store__name"]
    date_hierarchy = "created_at"

    display_amount = column("display_amount", description="amount", ordering="amount_cents")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "store",
        "kind",
        "display_amount",
        "order",
        "payout",
        "earned_at",
    ]
    list_select_related = ["store", "order", "payout"]
    list_filter = ["kind"]
    search_fields = ["store__name"]
    date_hierarchy = "created_at"

    display_amount = column("display_amount", description="amount", ordering="amount_cents")
