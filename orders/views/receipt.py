from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from orders import services
from orders.models import RECEIPT_KEY, Order
from orders.views.downloads import REFUSALS

# How often a receipt whose payment is processing loads itself again, in seconds.
REFRESH_SECONDS = 5


@method_decorator(never_cache, name="dispatch")
class ReceiptView(View):
    """An order's receipt, for whoever has its address, as Gumroad's are: the checkout
    returns the buyer here and the receipt email links here. The key is random, so a
    guessed address finds nothing (404). Until the webhook has come, each view asks
    Stripe once (services.checkout_check); once paid, never again.

    never_cache: no cache, shared or private, keeps it (nor the page cache: it is not a
    cacheable_page). The site's Referrer-Policy, same-origin, keeps its address from the
    other sites its page links to or loads from."""

    http_method_names = ["get", "head"]

    def get(self, request, key):
        if not RECEIPT_KEY.fullmatch(key):  # no key has another shape: no query for it
            raise Http404("No receipt has that address.")
        orders = Order.objects.select_related("product", "store", "license")
        order = get_object_or_404(orders, receipt_key=key)
        if order.status == Order.Status.PENDING:
            services.checkout_check(order=order)
            # Paid by it, or by the webhook meanwhile: what moved with the status, and
            # the license key made with it.
            order = orders.get(pk=order.pk)
        paid = order.status == Order.Status.PAID
        refusal = order.download_refusal()
        context = {
            "order": order,
            "download_url": order.download_url if refusal is None else None,
            "refusal": REFUSALS[refusal] if refusal else None,
            "bought_before": Order.objects.paid_before(order).first() if paid else None,
            "refresh_seconds": REFRESH_SECONDS if order.status == Order.Status.PENDING else None,
        }
        response = render(request, "orders/receipt.html", context)
        response["X-Robots-Tag"] = "noindex"
        return response
