from django.urls import path, register_converter

from stores import views
from stores.converters import StoreSlugConverter
from yumroad_site.cache import cache_page_for_visitors

register_converter(StoreSlugConverter, "store_slug")

app_name = "stores"

urlpatterns = [
    path("", cache_page_for_visitors(views.StoreListView.as_view()), name="index"),
    path("create/", views.StoreCreateView.as_view(), name="create"),
    path("settings/", views.StoreSettingsView.as_view(), name="settings"),
    path(
        "<store_slug:slug>/",
        cache_page_for_visitors(views.StoreDetailView.as_view()),
        name="detail",
    ),
]
