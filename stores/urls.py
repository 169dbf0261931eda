from django.urls import path

from stores import views

app_name = "stores"

# Whole paths (the root URLconf includes this at ""). Sign-up, at the address and name
# it has always had, leads sellers on to opening their store at /stores/new/ ("create"
# stays a reserved address too). The stores' public pages list products:
# products/urls.py mounts them.
urlpatterns = [
    path("accounts/signup/", views.SignupView.as_view(), name="signup"),
    path("stores/new/", views.StoreCreateView.as_view(), name="new"),
    path("stores/settings/", views.StoreSettingsView.as_view(), name="settings"),
]
