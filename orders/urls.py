from django.urls import path

from orders.views import checkout, discounts, downloads, pages, receipt, refunds, webhook

app_name = "orders"

urlpatterns = [
    path("products/<int:pk>/buy/", checkout.BuyView.as_view(), name="buy"),
    path("checkout/cancel/", checkout.CheckoutCancelView.as_view(), name="cancel"),
    path(
        "checkout/test/<str:session_id>/",
        checkout.TestCheckoutView.as_view(),
        name="test_checkout",
    ),
    path("orders/<str:key>/", receipt.ReceiptView.as_view(), name="receipt"),
    path("webhooks/stripe/", webhook.StripeWebhookView.as_view(), name="stripe_webhook"),
    path("downloads/<str:token>/", downloads.DownloadView.as_view(), name="download"),
    path("downloads/<str:token>/resend/", downloads.DownloadResendView.as_view(), name="resend"),
    path("library/", pages.LibraryView.as_view(), name="library"),
    path("sales/", pages.SalesView.as_view(), name="sales"),
    path("sales/export.csv", pages.SalesExportView.as_view(), name="sales_export"),
    path("sales/<int:pk>/refund/", refunds.RefundView.as_view(), name="refund"),
    path("discounts/", discounts.DiscountListView.as_view(), name="discounts"),
    path("discounts/new/", discounts.DiscountCreateView.as_view(), name="discount_create"),
    path("discounts/<int:pk>/edit/", discounts.DiscountUpdateView.as_view(), name="discount_edit"),
    path(
        "discounts/<int:pk>/delete/",
        discounts.DiscountDeleteView.as_view(),
        name="discount_delete",
    ),
]
