from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from orders import payments, services
from orders.forms import RefundForm
from orders.models import Order
from stores.views import StoreOwnerRequiredMixin
from yumroad_site.money import format_money
from yumroad_site.views import HttpResponseSeeOther

BUSY_MESSAGE = "Stripe is busy, try again in a moment. Nothing was refunded."
IN_PROGRESS_MESSAGE = (
    "Another refund of this order is being made. Reload this page in a moment to see it."
)


class RefundView(StoreOwnerRequiredMixin, View):
    """The seller refunds all or part of a paid order of their store (services.
    order_refund_make). Anyone else's order, an unpaid, free, fully refunded or disputed
    one: 404."""

    template_name = "orders/refund.html"

    def get(self, request, pk):
        order = self._order(pk)
        if not order.refundable_cents:
            raise Http404("This order can't be refunded.")
        return self._render(RefundForm(order=order))

    def post(self, request, pk):
        order = self._order(pk)
        form = RefundForm(request.POST, order=order)
        valid = form.is_valid()
        if valid and form.made_already:  # this confirmation's second sending
            return self._done(order, form.cleaned_data["amount"])
        if not order.refundable_cents:
            raise Http404("This order can't be refunded.")
        if not valid:
            return self._render(form, status=400)
        try:
            services.order_refund_make(
                order=order,
                amount_cents=form.cleaned_data["amount"],
                refunded_before=form.cleaned_data["refunded_before"],
            )
        except services.RefundInProgress as error:
            if error.same:  # this confirmation, sent again while the first is made
                return self._done(order, form.cleaned_data["amount"])
            return self._render(form, status=409, error=IN_PROGRESS_MESSAGE)
        except payments.CheckoutBusy:
            response = self._render(form, status=503, error=BUSY_MESSAGE)
            response["Retry-After"] = "5"
            return response
        except payments.RefundError as error:
            return self._render(form, status=502, error=str(error))
        return self._done(order, form.cleaned_data["amount"])

    def _order(self, pk):
        """The paid order `pk` of the seller's store, refunded or not; else 404."""
        orders = Order.objects.sales_of(self.store).filter(amount_cents__gt=0)
        return get_object_or_404(orders, pk=pk)

    def _render(self, form, *, status=200, error=None):
        context = {"order": form.order, "form": form, "error": error}
        return render(self.request, self.template_name, context, status=status)

    def _done(self, order, amount_cents):
        messages.success(
            self.request,
            f"Refunded {format_money(amount_cents, order.currency)} of order {order.number}.",
        )
        return HttpResponseSeeOther(reverse("orders:sales"))
