from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import models

from products.forms import ProductFileField
from products.models import Product
from products.services import product_delete
from yumroad_site.admin_columns import column
from yumroad_site.forms import PictureField, PictureInput


class ProductChangeList(ChangeList):
    def get_filters(self, request):
        # A date past what Python's datetime holds (?created_at__year=99999999999, or
        # the year after 9999) is a bad filter, as a bad day or month already is.
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "display_price", "status", "store", "creator", "created_at"]
    list_select_related = ["store__owner"]
    list_filter = ["status", "created_at", "store"]
    search_fields = ["name"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["store"]
    readonly_fields = ["file_name", "file_type", "file_size", "created_at", "updated_at"]
    # The site's rules for pictures (web links over http(s), uploads checked by Pillow)
    # and for the file sold (its size; shown by name above, since it has no URL).
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.ImageField: {
            "form_class": PictureField,
            "widget": PictureInput(alt="The current picture"),
        },
        models.FileField: {"form_class": ProductFileField, "widget": forms.FileInput},
    }

    def get_changelist(self, request, **kwargs):
        return ProductChangeList

    # Staff delete as creators do (products.services.product_delete): a product people
    # bought is archived, its file kept for their downloads.
    def delete_model(self, request, obj):
        self.delete_queryset(request, [obj])

    def delete_queryset(self, request, queryset):
        archived = [product.name for product in queryset if product_delete(product=product)]
        if archived:
            names = ", ".join(archived)
            self.message_user(
                request,
                f"Archived, not deleted, as people bought them: {names}.",
                messages.WARNING,
            )

    def get_queryset(self, request):
        # The list never shows descriptions; a product's page loads its own.
        return super().get_queryset(request).defer("description")

    display_price = column("display_price", description="price", ordering="price_cents")
    creator = column("creator", description="creator", ordering="store__owner__email")
