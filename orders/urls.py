from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("products/<int:pk>/buy/", views.BuyView.as_view(), name="buy"),
    path("checkout/success/", views.CheckoutSuccessView.as_view(), name="success"),
    path("checkout/cancel/", views.CheckoutCancelView.as_view(), name="cancel"),
    path("checkout/test/<str:session_id>/", views.TestCheckoutView.as_view(), name="test_checkout"),
    path("webhooks/stripe/", views.StripeWebhookView.as_view(), name="stripe_webhook"),
    path("downloads/<str:token>/", views.DownloadView.as_view(), name="download"),
    path("downloads/<str:token>/resend/", views.DownloadResendView.as_view(), name="resend"),
    path("library/", views.LibraryView.as_view(), name="library"),
    path("sales/", views.SalesView.as_view(), name="sales"),
    path("sales/export.csv", views.SalesExportView.as_view(), name="sales_export"),
]
