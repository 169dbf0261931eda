import logging
import math

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from orders import services
from orders.models import DownloadRefusal, Order

logger = logging.getLogger(__name__)

# What each refusal shows: a title, a message and the status.
REFUSALS = {
    DownloadRefusal.FORGED: ("This download link is not valid", "Check the link.", 403),
    DownloadRefusal.REFUNDED: ("This purchase was refunded", "Its file is not available.", 410),
    DownloadRefusal.UNDER_REVIEW: (
        "This purchase is under review",
        "The payment is disputed. Its file is available again if the dispute is resolved.",
        403,
    ),
    DownloadRefusal.CHARGED_BACK: (
        "This payment was returned",
        "The buyer's bank returned the payment. Its file is not available.",
        410,
    ),
    DownloadRefusal.UNPAID: ("This order is not paid", "Its file is not available.", 403),
    DownloadRefusal.REMOVED: ("This file is no longer available", "Its creator removed it.", 410),
    DownloadRefusal.EXPIRED: (
        "This download link has expired",
        "Links work for a limited time. We can email a new one to the buyer.",
        410,
    ),
}


def ask_again(order):
    """When the buyer of `order` may have its link emailed again (services.receipt_resend)."""
    minutes = max(1, math.ceil(services.receipt_resend_wait(order=order) / 60))
    return f"You can ask again in {minutes} minute{'s' if minutes > 1 else ''}."


def _download_refused(request, token, refusal):
    title, message, status = REFUSALS[refusal]
    resend = refusal == DownloadRefusal.EXPIRED
    context = {"title": title, "message": message, "token": token, "resend": resend}
    return render(request, "orders/download_refused.html", context, status=status)


@method_decorator(never_cache, name="dispatch")
class DownloadView(View):
    """The file of a paid order, for whoever has the signed link, while it is fresh."""

    http_method_names = ["get", "head"]

    def get(self, request, token):
        order, refusal = Order.of_download_link(token)
        if refusal:
            return _download_refused(request, token, refusal)
        try:
            response = _file_response(order.product)
        except OSError:
            logger.warning("The file of order %s is missing", order.pk)
            return _download_refused(request, token, DownloadRefusal.REMOVED)
        if request.method == "GET":  # a HEAD (a link checker, say) gets no file
            Order.objects.filter(pk=order.pk).update(download_count=F("download_count") + 1)
        return response


def _file_response(product):
    """The product's file: from object storage, a redirect to an address signed for a
    short time; from disk, the file streamed. Raises OSError when it is missing."""
    file = product.file
    url = file.storage.download_url(
        file.name, file_name=product.file_name, content_type=product.file_type
    )
    if url:
        return HttpResponseRedirect(url)
    return FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=product.file_name,
        content_type=product.file_type,
    )


class DownloadResendView(View):
    """An expired link's order: email its buyer a fresh one (a few minutes apart)."""

    http_method_names = ["post"]

    def post(self, request, token):
        order, _ = Order.of_download_link(token)
        if order is None:
            raise PermissionDenied("This download link is not valid.")
        refusal = order.download_refusal()  # a link's age is what a new one mends
        if refusal:
            return _download_refused(request, token, refusal)
        if services.receipt_resend(order=order):
            messages.success(request, "We sent a new download link to the buyer's email address.")
        else:
            messages.info(
                request, "We sent the buyer a link a short while ago. " + ask_again(order)
            )
        return redirect("products:index")
