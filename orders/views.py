import csv
import logging
import re
import secrets

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import (
    FileResponse,
    Http404,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import ListView

from orders import payments, services
from orders.forms import BuyerEmailForm
from orders.models import Order, with_sales
from products.models import Product
from stores.models import Store
from yumroad_site.money import cents_to_decimal, format_money
from yumroad_site.ratelimits import CHECKOUTS, EMAILS, limit_count
from yumroad_site.views import PaginatedMixin, service_unavailable

logger = logging.getLogger(__name__)

CHECKOUT_FAILED_MESSAGE = "We couldn't start the checkout. Please try again."
CHECKOUT_STARTING_MESSAGE = "Your checkout is starting. Please try again in a moment."
CHECKOUT_BUSY_MESSAGE = "Checkout is busy, try again in a moment."
GUEST_KEY = "orders:guest_key"
GUEST_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")  # secrets.token_urlsafe(24)
# The sales the dashboard shows; the sales page has them all.
RECENT_SALES = 5
CANCELLED_MESSAGE = (
    "There was an error while attempting to purchase this product. Please try again."
)


class HttpResponseSeeOther(HttpResponseRedirect):
    """After a POST, the browser follows with a GET (Stripe's checkout page, say)."""

    status_code = 303


def _return_url(request, name):
    # Stripe puts the session id where the placeholder is.
    return request.build_absolute_uri(reverse(name)) + "?session_id={CHECKOUT_SESSION_ID}"


def _image_url(request, product):
    return request.build_absolute_uri(product.picture_link) if product.picture_link else ""


def _guest_key(request):
    """A random key kept in a guest's session: a second Buy finds their checkout by it."""
    key = request.session.get(GUEST_KEY)
    if not (isinstance(key, str) and GUEST_KEY_SHAPE.fullmatch(key)):
        key = request.session[GUEST_KEY] = secrets.token_urlsafe(24)
    return key


class BuyView(View):
    """POST: buy a paid product through the checkout, or get a free one by email."""

    http_method_names = ["post"]

    def post(self, request, pk):
        product = get_object_or_404(Product.objects.select_related("store"), pk=pk)
        user = request.user if request.user.is_authenticated else None
        if not product.file:
            messages.error(request, f"{product.name} is coming soon: it can't be bought yet.")
            return redirect(product)
        if user and user.pk == product.store.owner_id:
            messages.error(request, "You can't buy your own product.")
            return redirect(product)
        if user and Order.objects.owned_by(user, product).exists():
            messages.info(request, f"You already own {product.name}: it is in your library.")
            return redirect("orders:library")
        if product.is_free:
            return self.claim_free(request, product, user)
        if payments.checkout_mode() is None:
            messages.error(request, "Checkout is not available right now.")
            return redirect(product)
        limit_count(request=request, group=CHECKOUTS)
        try:
            url = services.checkout_start(
                product=product,
                buyer=user,
                guest_key="" if user else _guest_key(request),
                image_url=_image_url(request, product),
                success_url=_return_url(request, "orders:success"),
                cancel_url=_return_url(request, "orders:cancel"),
            )
        except services.CheckoutStarting:
            messages.info(request, CHECKOUT_STARTING_MESSAGE)
            return redirect(product)
        except payments.CheckoutBusy:
            return service_unavailable(request, CHECKOUT_BUSY_MESSAGE, retry_after=5)
        except payments.CheckoutError:
            messages.error(request, CHECKOUT_FAILED_MESSAGE)
            return redirect(product)
        return HttpResponseSeeOther(url)

    def claim_free(self, request, product, user):
        limit_count(request=request, group=EMAILS)
        if user:
            email = user.email
        else:
            form = BuyerEmailForm(request.POST)
            if not form.is_valid():
                context = {"product": product, "object": product, "claim_form": form}
                return render(request, "products/detail.html", context, status=400)
            email = form.cleaned_data["email"]
        order, _ = services.order_claim_free(product=product, buyer=user, email=email)
        if user and order.buyer_id == user.pk:
            messages.success(
                request, f"{product.name} is in your library. We also emailed you the link."
            )
            return redirect("orders:library")
        messages.success(
            request, f"Check your email: we sent the link to {product.name} to {email}."
        )
        return redirect(product)


class CheckoutReturnView(View):
    """Where the checkout sends the buyer back: a message on the product's page. The
    order's status is the webhook's business, not this page's."""

    level = None
    message = None

    def get(self, request):
        session_id = request.GET.get("session_id", "")
        order = (
            Order.objects.select_related("product").filter(stripe_session_id=session_id).first()
            if payments.SESSION_ID.fullmatch(session_id)
            else None
        )
        if order is None:
            raise Http404("No checkout has that session.")
        messages.add_message(request, self.level, self.get_message(order))
        return redirect(order.product or "products:index")


class CheckoutSuccessView(CheckoutReturnView):
    level = messages.SUCCESS

    def get_message(self, order):
        return f"Thanks for purchasing {order.product_name}. You will receive an email shortly."


class CheckoutCancelView(CheckoutReturnView):
    level = messages.ERROR

    def get_message(self, order):
        return CANCELLED_MESSAGE


class TestCheckoutView(View):
    """The local stand-in for Stripe's checkout page (DEBUG on, no Stripe key): Pay runs
    the same fulfilment as Stripe's webhook, and no money moves."""

    template_name = "orders/test_checkout.html"

    def dispatch(self, request, session_id):
        is_test = payments.checkout_mode() == payments.TEST
        if not is_test or not payments.SESSION_ID.fullmatch(session_id):
            raise Http404("There is no test checkout.")
        self.order = get_object_or_404(
            Order.objects.select_related("product"), stripe_session_id=session_id
        )
        self.session_id = session_id
        return super().dispatch(request)

    def return_to(self, name):
        return redirect(f"{reverse(name)}?session_id={self.session_id}")

    def get(self, request):
        if self.order.status != Order.Status.PENDING:
            return self.return_to("orders:success")
        return self.render(BuyerEmailForm(initial={"email": self.order.email}))

    def post(self, request):
        if request.POST.get("action") == "cancel":
            return self.return_to("orders:cancel")
        form = BuyerEmailForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        services.order_mark_paid(
            session_id=self.session_id,
            payment_intent=f"pi_test_{self.order.pk}",
            email=form.cleaned_data["email"],
        )
        return self.return_to("orders:success")

    def render(self, form, status=200):
        context = {"order": self.order, "form": form}
        return render(self.request, self.template_name, context, status=status)


@method_decorator(csrf_exempt, name="dispatch")
class StripeWebhookView(View):
    """Stripe's events about checkouts and refunds. 400 for anything Stripe did not sign,
    a checkout that is not ours or does not match its order, or a malformed event
    (nothing written); 200 for the rest."""

    http_method_names = ["post"]

    def post(self, request):
        try:
            event = payments.webhook_event(request.body, request.headers.get("Stripe-Signature"))
        except payments.InvalidWebhook as error:
            logger.warning("Refused a Stripe webhook: %s", error)
            return HttpResponseBadRequest("Invalid webhook.")
        try:
            outcome = services.stripe_event_handle(event=event)
        except services.RefusedEvent as error:
            logger.warning("Refused Stripe event %r: %s", event["id"], error)
            return HttpResponseBadRequest(error.answer, content_type="text/plain")
        return JsonResponse({"status": outcome})


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


class LibraryView(LoginRequiredMixin, PaginatedMixin, ListView):
    """What the logged-in user bought, with fresh download links."""

    paginate_by = 20
    template_name = "orders/library.html"

    def get_queryset(self):
        return Order.objects.library_of(self.request.user)


class DashboardView(LoginRequiredMixin, PaginatedMixin, ListView):
    """A creator's home: their store's link, its products with their sales, the last
    few sales. Without a store: the invitation to open one."""

    paginate_by = 25
    template_name = "orders/dashboard.html"

    def get_queryset(self):
        self.store = Store.objects.of(self.request.user)
        if self.store is None:
            return Product.objects.none()
        return with_sales(Product.objects.for_store(self.store))

    def get_context_data(self, **kwargs):
        recent_sales = (
            Order.objects.sales_of(self.store)[:RECENT_SALES] if self.store is not None else []
        )
        return super().get_context_data(store=self.store, recent_sales=recent_sales, **kwargs)


class StoreOwnerMixin(LoginRequiredMixin):
    """Sales are for the logged-in owner of a store; anyone else gets the 403 page."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.store = Store.objects.of(request.user)
            if self.store is None:
                raise PermissionDenied("Sales are for store owners.")
        return super().dispatch(request, *args, **kwargs)


class SalesView(StoreOwnerMixin, PaginatedMixin, ListView):
    paginate_by = 25
    template_name = "orders/sales.html"

    def get_queryset(self):
        return Order.objects.sales_of(self.store)

    def get_context_data(self, **kwargs):
        totals = Order.objects.filter(store=self.store).totals()
        return super().get_context_data(
            store=self.store,
            totals=totals,
            revenue=format_money(totals["revenue_cents"]),
            refunded=format_money(totals["refunded_cents"]),
            **kwargs,
        )


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value):
    # A spreadsheet would run a cell that starts like a formula.
    value = str(value)
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class SalesExportView(StoreOwnerMixin, View):
    """The sales page's rows as CSV, streamed, however many there are."""

    def get(self, request):
        writer = csv.writer(_Echo())
        header = ["date", "order", "product", "buyer email", "amount", "currency", "status"]

        def rows():
            yield writer.writerow(header)
            for order in Order.objects.sales_of(self.store).iterator(chunk_size=500):
                yield writer.writerow(
                    [
                        order.paid_at.isoformat(),
                        order.number,
                        _csv_cell(order.product_name),
                        _csv_cell(order.email),
                        cents_to_decimal(order.amount_cents),
                        order.currency.upper(),
                        order.status,
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="yumroad-sales.csv"'
        return response
