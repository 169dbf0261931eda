from django.contrib import admin
from django.db import models

from products.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "display_price", "creator", "created_at"]
    list_select_related = ["creator"]
    list_filter = ["created_at"]
    search_fields = ["name"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["creator"]
    readonly_fields = ["created_at", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="price", ordering="price_cents")
    def display_price(self, product):
        return product.display_price
