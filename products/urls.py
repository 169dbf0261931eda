from django.urls import path

from products import views
from yumroad_site.cache import cacheable_page

app_name = "products"

urlpatterns = [
    path("", cacheable_page(views.ProductListView.as_view()), name="index"),
    path("create/", views.ProductCreateView.as_view(), name="create"),
    path("<int:pk>/", cacheable_page(views.ProductDetailView.as_view()), name="detail"),
    path("<int:pk>/edit/", views.ProductUpdateView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.ProductDeleteView.as_view(), name="delete"),
]
