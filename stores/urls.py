from django.urls import path, register_converter

from stores import views
from stores.converters import StoreSlugConverter
from yumroad_site.cache import cacheable_page, store_pages

register_converter(StoreSlugConverter, "store_slug")

app_name = "stores"

urlpatterns = [
    path("", cacheable_page(views.StoreListView.as_view()), name="index"),
    path("create/", views.StoreCreateView.as_view(), name="create"),
    path("settings/", views.StoreSettingsView.as_view(), name="settings"),
    path(
        "<store_slug:slug>/",
        cacheable_page(views.StoreDetailView.as_view(), versions=store_pages),
        name="detail",
    ),
]
