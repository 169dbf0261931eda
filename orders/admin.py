from django.contrib import admin

from orders.models import DiscountCode, EarlyRefund, License, Order, StripeEvent
from yumroad_site.admin_columns import column


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "product_name",
        "store",
        "email",
        "display_amount",
        "status",
        "dispute_status",
        "created_at",
    ]
    list_select_related = ["store"]
    list_filter = ["status", "dispute_status", "store"]
    search_fields = ["email", "stripe_session_id"]
    date_hierarchy = "created_at"
    raw_id_fields = ["buyer"]
    autocomplete_fields = ["store"]
    # What the payment was is Stripe's record: staff can't rewrite it here, nor which
    # product it bought (its license key verifies under that product). The status
    # moves only through orders.services (with paid_at and the emails that go with it);
    # so do the fee and net fixed at payment, the refunds and the dispute, which the
    # payouts ledger follows.
    readonly_fields = [
        "status",
        "product",
        "product_name",
        "amount_cents",
        "currency",
        "discount_code",
        "discount_code_name",
        "discount_cents",
        "fee_cents",
        "net_cents",
        "refunded_cents",
        "refunded_net_cents",
        "dispute_status",
        "stripe_session_id",
        "payment_intent_id",
        "checkout_url",
        "expires_at",
        "guest_key",
        "download_count",
        "created_at",
        "paid_at",
        "updated_at",
    ]

    number = column("number", description="order", ordering="pk")
    display_amount = column("display_amount", description="amount", ordering="amount_cents")


@admin.register(DiscountCode)
class DiscountCodeAdmin(admin.ModelAdmin):
    """Stores' discount codes. Their owners make and change them at /discounts/
    (orders.services.discount_code_create), which checks a name in any case is the
    store's once; here, the database's constraints do."""

    list_display = ["code", "store", "percent_off", "amount_off_cents", "max_uses", "expires_at"]
    list_select_related = ["store"]
    search_fields = ["code"]
    autocomplete_fields = ["store"]
    raw_id_fields = ["products"]


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "received_at"]
    search_fields = ["event_id"]
    readonly_fields = ["event_id", "type", "received_at"]


@admin.register(EarlyRefund)
class EarlyRefundAdmin(admin.ModelAdmin):
    """Full refunds that no order holds yet: a payment still to come, or not ours."""

    list_display = ["payment_intent_id", "received_at"]
    search_fields = ["payment_intent_id"]
    readonly_fields = ["payment_intent_id", "received_at"]


@admin.register(License)
class LicenseAdmin(admin.ModelAdmin):
    """License keys, found by key for support. They are made, disabled and counted
    through orders.licenses (the payment, a refund or dispute, the seller's API)."""

    list_display = ["key", "order", "uses", "disabled_at", "created_at"]
    list_select_related = ["order"]
    search_fields = ["key"]
    readonly_fields = ["key", "order", "uses", "disabled_at", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A buyer's key ends through its seller's disable, a refund or a lost dispute,
        # which the API's verification sees at once (orders.licenses).
        return False
