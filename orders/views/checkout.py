import logging
import re
import secrets

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from orders import payments, services
from orders.forms import BuyerEmailForm, BuyForm
from orders.models import Order
from orders.pricing import code_find, code_price, code_refusal
from orders.purchase import PurchaseOption, purchase_option
from orders.views.downloads import ask_again
from products.models import Product
from yumroad_site.money import format_money
from yumroad_site.ratelimits import CHECKOUTS, EMAILS, limit_count
from yumroad_site.views import HttpResponseSeeOther, service_unavailable

logger = logging.getLogger(__name__)

CHECKOUT_FAILED_MESSAGE = "We couldn't start the checkout. Please try again."
CHECKOUT_STARTING_MESSAGE = "Your checkout is starting. Please try again in a moment."
CHECKOUT_BUSY_MESSAGE = "Checkout is busy, try again in a moment."
GUEST_KEY = "orders:guest_key"
GUEST_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")  # secrets.token_urlsafe(24)
CANCELLED_MESSAGE = "Checkout cancelled. You have not been charged."


def _image_url(request, product):
    return request.build_absolute_uri(product.picture_link) if product.picture_link else ""


def _guest_key(request):
    """A random key kept in a guest's session: a second Buy finds their checkout by it."""
    key = request.session.get(GUEST_KEY)
    if not (isinstance(key, str) and GUEST_KEY_SHAPE.fullmatch(key)):
        key = request.session[GUEST_KEY] = secrets.token_urlsafe(24)
    return key


def buy_box_context(product, user, *, claim_form=None, buy_form=None, code=""):
    """The product page's buy box (orders/_buy.html): what `user` may do with `product`,
    for a visitor the form that asks where a free product goes, and for a buyer the
    form of Buy (BuyForm) with discount code `code` (text from the page's address)
    applied, or why it does not apply. The product page's view, in products, which may
    not import orders, gets it through settings.PRODUCT_PAGE_CONTEXT. Raises Http404
    when `user` may not see `product`."""
    option, owned_order = purchase_option(product, user)
    if option == PurchaseOption.HIDDEN:
        raise Http404("No product here.")
    context = {
        "purchase_option": option,
        "owned_order": owned_order,
        "claim_form": None if user.is_authenticated else claim_form or BuyerEmailForm(),
    }
    if option != PurchaseOption.BUY:
        return context
    applied = None
    code = code.strip() if isinstance(code, str) else ""
    if code:
        found = code_find(product, code)
        refusal = code_refusal(found, product)
        if refusal is None:
            applied = found
            price = code_price(product, found)
            context["code_price"] = (
                format_money(price.amount_cents) if price.amount_cents else "Free"
            )
        else:
            context["code_refusal"] = str(refusal)
    context.update(
        buy_form=buy_form or BuyForm(product=product, user=user, code=applied),
        code_applied=applied.code if applied else "",
        # What the code box shows: the code as typed, cut to a sane length.
        code_typed=code[:50],
    )
    return context


def _product_page(request, product, *, status=200, claim_form=None, buy_form=None):
    """The product's page, as an answer to Buy: with the code Buy's form still holds."""
    code = buy_form.data.get("code", "") if buy_form else ""
    context = {
        "product": product,
        "object": product,
        **buy_box_context(
            product, request.user, claim_form=claim_form, buy_form=buy_form, code=code
        ),
    }
    return render(request, "products/detail.html", context, status=status)


class BuyView(View):
    """POST: buy a paid product through the checkout, or get a free one by email."""

    http_method_names = ["post"]

    def post(self, request, pk):
        product = get_object_or_404(Product.objects.select_related("store"), pk=pk)
        user = request.user if request.user.is_authenticated else None
        match purchase_option(product, request.user).option:
            case PurchaseOption.HIDDEN:
                raise Http404("No product here.")
            case PurchaseOption.COMING_SOON:
                messages.error(request, f"{product.name} is coming soon: it can't be bought yet.")
                return redirect(product)
            case PurchaseOption.OWN_PRODUCT:
                messages.error(request, "You can't buy your own product.")
                return redirect(product)
            case PurchaseOption.OWNED:
                # What buying it again would give them: its page, with their download.
                # 200: nothing is wrong, and no order or checkout is made.
                messages.info(request, f"You already own {product.name}.")
                return _product_page(request, product)
            case PurchaseOption.CLAIM_FREE:
                return self.claim_free(request, product, user)
            case PurchaseOption.CHECKOUT_OFF:
                messages.error(request, "Checkout is not available right now.")
                return redirect(product)
            case PurchaseOption.BUY:  # pragma: no branch (the last of the options)
                return self.checkout(request, product, user)

    def checkout(self, request, product, user):
        limit_count(request=request, group=CHECKOUTS)
        form = BuyForm(request.POST, product=product, user=request.user)
        if not form.is_valid():
            return _product_page(request, product, status=400, buy_form=form)
        if form.price.amount_cents == 0:
            return self.claim_free(request, product, user, form=form)
        try:
            url = services.checkout_start(
                product=product,
                buyer=user,
                guest_key="" if user else _guest_key(request),
                image_url=_image_url(request, product),
                site_url=request.build_absolute_uri("/").removesuffix("/"),
                price=form.price,
            )
        except services.CodeRefused as refused:
            return self.code_refused(request, product, form, refused.args[0])
        except services.CheckoutOpen as error:
            order = error.args[0]
            messages.info(
                request,
                f"You have a checkout of {product.name} open for {order.display_amount}: "
                f"pay it there, or start another after {order.expires_at:%H:%M} UTC, "
                "when it closes.",
            )
            return redirect(product)
        except services.CheckoutStarting:
            messages.info(request, CHECKOUT_STARTING_MESSAGE)
            return redirect(product)
        except payments.CheckoutBusy:
            return service_unavailable(request, CHECKOUT_BUSY_MESSAGE, retry_after=5)
        except payments.CheckoutError:
            messages.error(request, CHECKOUT_FAILED_MESSAGE)
            return redirect(product)
        return HttpResponseSeeOther(url)

    def code_refused(self, request, product, form, refusal):
        """The code's last use went to another buyer meanwhile: the page again, at the
        full price, saying so. Nothing was made."""
        form.code_dropped()
        form.add_error("code", f"{refusal} You can buy it at the full price.")
        return _product_page(request, product, status=400, buy_form=form)

    def claim_free(self, request, product, user, form=None):
        """A free product, or one free for this buyer (`form`, a BuyForm whose price is
        nothing: $0 paid what they want, a code that takes it all off)."""
        limit_count(request=request, group=EMAILS)
        if user:
            email = user.email
        elif form is not None:
            email = form.cleaned_data["email"]
        else:
            claim_form = BuyerEmailForm(request.POST)
            if not claim_form.is_valid():
                return _product_page(request, product, status=400, claim_form=claim_form)
            email = claim_form.cleaned_data["email"]
        try:
            order, emailed = services.order_claim_free(
                product=product, buyer=user, email=email, price=form.price if form else None
            )
        except services.ProductGone:
            raise Http404("No product here.") from None
        except services.CodeRefused as refused:
            return self.code_refused(request, product, form, refused.args[0])
        if not emailed:  # a claim again, within the interval between two emails
            messages.info(
                request,
                f"We sent the link to {product.name} to {email} a short while ago. "
                + ask_again(order),
            )
        elif user and order.buyer_id == user.pk:
            messages.success(
                request, f"{product.name} is in your library. We also emailed you the link."
            )
            return redirect("orders:library")
        else:
            messages.success(
                request, f"Check your email: we sent the link to {product.name} to {email}."
            )
        return redirect(product)


class CheckoutCancelView(View):
    """Where the checkout sends the buyer who cancelled: the product's page, saying so.
    The order stays pending until its checkout expires."""

    def get(self, request):
        session_id = request.GET.get("session_id", "")
        order = (
            Order.objects.select_related("product").filter(stripe_session_id=session_id).first()
            if payments.SESSION_ID.fullmatch(session_id)
            else None
        )
        if order is None:
            raise Http404("No checkout has that session.")
        messages.info(request, CANCELLED_MESSAGE)
        return redirect(order.product or "products:index")


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

    def get(self, request):
        if self.order.status != Order.Status.PENDING:
            return redirect(self.order.receipt_url)
        return self.render(BuyerEmailForm(initial={"email": self.order.email}))

    def post(self, request):
        if request.POST.get("action") == "cancel":
            return redirect(f"{reverse('orders:cancel')}?session_id={self.session_id}")
        form = BuyerEmailForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        services.order_mark_paid(
            session_id=self.session_id,
            payment_intent=f"pi_test_{self.order.pk}",
            email=form.cleaned_data["email"],
        )
        return redirect(self.order.receipt_url)

    def render(self, form, status=200):
        context = {"order": self.order, "form": form}
        return render(self.request, self.template_name, context, status=status)
