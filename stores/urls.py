from django.urls import path

from stores import views

app_name = "stores"

# Whole paths (the root URLconf includes this at ""). Sign-up opens the account and its
# store together: this app's page, at the address it has always had. The stores' public
# pages list products: products/urls.py mounts them.
urlpatterns = [
    path("accounts/signup/", views.SignupView.as_view(), name="signup"),
    path("stores/create/", views.StoreCreateView.as_view(), name="create"),
    path("stores/settings/", views.StoreSettingsView.as_view(), name="settings"),
]
