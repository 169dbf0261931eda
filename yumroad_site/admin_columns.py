from django.contrib import admin


def column(attribute, *, description, ordering):
    """A ModelAdmin method for `list_display` that shows each row's `attribute` (a
    property such as `display_price`) under `description`, sorted by the field `ordering`.

    `display_price = column("display_price", description="price", ordering="price_cents")`
    """

    @admin.display(description=description, ordering=ordering)
    def show(model_admin, obj):
        return getattr(obj, attribute)

    show.__name__ = attribute
    return show
