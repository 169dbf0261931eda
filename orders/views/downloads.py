import logging

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from orders import services
from orders.models import Order

logger = logging.getLogger(__name__)

INVALID_LINK = ("This download link is not valid", "Check the link.", 403)
REFUSALS = {
    "refunded": ("This purchase was refunded", "Its file is not available.", 410),
    "unpaid": ("This order is not paid", "Its file is not available.", 403),
    "gone": ("This file is no longer available", "Its creator removed it.", 410),
    "expired": (
        "This download link has expired",
        "Links work for a limited time. We can email a new one to the buyer.",
        410,
    ),
}


def _order_of_link(token):
    """The order a download link is for, and whether the link is too old to use.
    None for a forged link or a deleted order."""
    try:
        return Order.from_download_token(token), False
    except signing.SignatureExpired:
        try:
            return Order.from_download_token(token, fresh=False), True
        except Order.DoesNotExist:
            return None, True
    except (signing.BadSignature, Order.DoesNotExist):
        return None, False


def _refusal(order, expired):
    """Why this order's file can't be had through this link, or None."""
    if order.status == Order.Status.REFUNDED:
        return "refunded"
    if order.status != Order.Status.PAID:
        return "unpaid"
    if order.product is None or not order.product.file:
        return "gone"
    return "expired" if expired else None


def _download_refused(request, token, reason):
    title, message, status = REFUSALS.get(reason, INVALID_LINK)
    context = {"title": title, "message": message, "token": token, "resend": reason == "expired"}
    return render(request, "orders/download_refused.html", context, status=status)


@method_decorator(never_cache, name="dispatch")
class DownloadView(View):
    """The file of a paid order, for whoever has the signed link, while it is fresh."""

    http_method_names = ["get", "head"]

    def get(self, request, token):
        order, expired = _order_of_link(token)
        reason = "invalid" if order is None else _refusal(order, expired)
        if reason:
            return _download_refused(request, token, reason)
        product = order.product
        try:
            response = _file_response(product)
        except OSError:
            logger.warning("The file of order %s is missing", order.pk)
            return _download_refused(request, token, "gone")
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
        order, expired = _order_of_link(token)
        if order is None:
            raise PermissionDenied("This download link is not valid.")
        reason = _refusal(order, expired)
        if reason not in (None, "expired"):
            return _download_refused(request, token, reason)
        services.receipt_resend(order=order)
        messages.success(request, "We sent a new download link to the buyer's email address.")
        return redirect("products:index")
