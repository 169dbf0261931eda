from django.urls import path, register_converter

from products import views
from stores.converters import StoreSlugConverter
from yumroad_site.cache import cacheable_page, store_pages

register_converter(StoreSlugConverter, "store_slug")

app_name = "products"

# Whole paths (the root URLconf includes this at ""): the stores' public pages list
# products, so they are this app's too. Buying a product, /products/<id>/buy/, is the
# orders app's page: orders/urls.py mounts it (orders:buy).
urlpatterns = [
    path("products/", cacheable_page(views.ProductListView.as_view()), name="index"),
    path("products/create/", views.ProductCreateView.as_view(), name="create"),
    path("products/<int:pk>/", cacheable_page(views.ProductDetailView.as_view()), name="detail"),
    path("products/<int:pk>/edit/", views.ProductUpdateView.as_view(), name="edit"),
    path("products/<int:pk>/delete/", views.ProductDeleteView.as_view(), name="delete"),
    path(
        "products/<int:pk>/publish/",
        views.ProductStatusView.as_view(action="publish"),
        name="publish",
    ),
    path(
        "products/<int:pk>/unpublish/",
        views.ProductStatusView.as_view(action="unpublish"),
        name="unpublish",
    ),
    path(
        "products/<int:pk>/restore/",
        views.ProductStatusView.as_view(action="restore"),
        name="restore",
    ),
    path("stores/", cacheable_page(views.StoreListView.as_view()), name="stores"),
    path(
        "stores/<store_slug:slug>/",
        cacheable_page(views.StoreDetailView.as_view(), versions=store_pages),
        name="store",
    ),
]
