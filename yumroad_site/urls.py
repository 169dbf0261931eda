from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from orders.views import DashboardView
from stores.views import HomeView
from yumroad_site.cache import cacheable_page

urlpatterns = [
    path("", cacheable_page(HomeView.as_view()), name="home"),
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("stores.urls")),
    path("products/", include("products.urls")),
    path("", include("orders.urls")),
    # Uploaded images, in development only (static() is empty when DEBUG is off).
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]

handler404 = "yumroad_site.views.page_not_found"

admin.site.site_header = "Yumroad administration"
admin.site.site_title = "Yumroad admin"
