from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from orders.views.pages import DashboardView
from products.models import landing_covers, stores_featured
from stores.views import HomeView
from yumroad_site.cache import cacheable_page

# The one module that may import every app (.importlinter). Here by name: the home page
# (a stores view, given the products app's stores_featured and landing_covers) and the
# dashboard (an orders view: a store's products with their sales). Each app's urls.py
# but accounts' writes its paths whole, so a page is found in the urls.py of its app:
# stores/urls.py has sign-up and the owner's store pages; products/urls.py the product
# pages and the stores' public pages; orders/urls.py buying (/products/<id>/buy/),
# checkout, the receipt page, the Stripe webhook, downloads, the library and sales;
# payouts/urls.py the store's balance and payouts, and its Stripe Connect account.
urlpatterns = [
    path(
        "",
        cacheable_page(HomeView.as_view(featured=stores_featured, covers=landing_covers)),
        name="home",
    ),
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    # The legal pages, every footer links them: a template each, which the operator may
    # replace (TEMPLATE_OVERRIDES_DIR).
    *(
        path(
            f"{page}/",
            cacheable_page(TemplateView.as_view(template_name=f"legal/{page}.html")),
            name=page,
        )
        for page in ("terms", "privacy", "refunds")
    ),
    # First of the apps': the API's requests, many and light, are resolved before the
    # site's patterns are tried.
    path("", include("api.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("stores.urls")),
    path("", include("products.urls")),
    path("", include("orders.urls")),
    path("", include("payouts.urls")),
    # Uploaded images, in development only (static() is empty when DEBUG is off).
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]

handler400 = "yumroad_site.views.bad_request"
handler404 = "yumroad_site.views.page_not_found"
handler500 = "yumroad_site.views.server_error"

admin.site.site_header = f"{settings.SITE_NAME} administration"
admin.site.site_title = f"{settings.SITE_NAME} admin"
