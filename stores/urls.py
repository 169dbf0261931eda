from django.urls import path, register_converter

from stores import views
from stores.converters import StoreSlugConverter
from yumroad_site.cache import cacheable_page

register_converter(StoreSlugConverter, "store_slug")

app_name = "stores"

# Whole paths (the root URLconf includes this at ""). Sign-up opens the account and its
# store together: this app's page, at the address it has always had.
urlpatterns = [
    path("accounts/signup/", views.SignupView.as_view(), name="signup"),
    path("stores/", cacheable_page(views.StoreListView.as_view()), name="index"),
    path("stores/create/", views.StoreCreateView.as_view(), name="create"),
    path("stores/settings/", views.StoreSettingsView.as_view(), name="settings"),
    path(
        "stores/<store_slug:slug>/",
        cacheable_page(views.StoreDetailView.as_view()),
        name="detail",
    ),
]
