from django.urls import path

from stores import views

app_name = "stores"

urlpatterns = [
    path("", views.StoreListView.as_view(), name="index"),
    path("create/", views.StoreCreateView.as_view(), name="create"),
    # Slugs keep the letters of any script, so not the <slug:> converter's ASCII.
    path("<str:slug>/", views.StoreDetailView.as_view(), name="detail"),
]
