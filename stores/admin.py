from django.contrib import admin
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.html import format_html

from stores.models import Store, StoreSlug
from yumroad_site.admin_columns import column
from yumroad_site.forms import PictureField, PictureInput


class OldSlugInline(admin.TabularInline):
    """The addresses a store had before renames; each redirects to its address now."""

    model = StoreSlug
    verbose_name = "old address"
    verbose_name_plural = "old addresses (they redirect here)"
    fields = ["slug", "created_at", "last_used_on"]
    readonly_fields = ["created_at", "last_used_on"]
    extra = 0


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "owner_link", "product_count", "created_at"]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__email"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at"]
    inlines = [OldSlugInline]
    # An avatar is re-encoded as the settings page does it.
    formfield_overrides = {
        models.ImageField: {
            "form_class": PictureField,
            "widget": PictureInput(alt="The store's current avatar"),
        }
    }

    def get_queryset(self, request):
        # Counting groups the rows, which drops the model's ordering: order them again.
        return super().get_queryset(request).with_product_count().order_by(Lower("name"))

    @admin.display(description="owner", ordering="owner__email")
    def owner_link(self, store):
        url = reverse("admin:accounts_user_change", args=[store.owner_id])
        return format_html('<a href="{}">{}</a>', url, store.owner.email)

    product_count = column("product_count", description="products", ordering="product_count")
