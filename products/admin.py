from django.contrib import admin
from django.db import models

from products.forms import ProductImageField
from products.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "display_price", "store", "creator", "created_at"]
    list_select_related = ["store__owner"]
    list_filter = ["created_at", "store"]
    search_fields = ["name"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["store"]
    readonly_fields = ["created_at", "updated_at"]
    # The site's rules for pictures: web links over http(s), uploads checked by Pillow.
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.ImageField: {"form_class": ProductImageField},
    }

    def get_queryset(self, request):
        # The list never shows descriptions; a product's page loads its own.
        return super().get_queryset(request).defer("description")

    @admin.display(description="price", ordering="price_cents")
    def display_price(self, product):
        return product.display_price

    @admin.display(description="creator", ordering="store__owner__email")
    def creator(self, product):
        return product.creator
