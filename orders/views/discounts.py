from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import DeleteView, FormView, ListView

from orders import services
from orders.forms import DiscountCodeForm
from orders.models import DiscountCode
from products.models import Product
from stores.views import StoreOwnerRequiredMixin


class DiscountListView(StoreOwnerRequiredMixin, ListView):
    """The store's discount codes, with their uses so far."""

    template_name = "orders/discounts.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            DiscountCode.objects.for_store(self.store)
            .with_uses()
            .prefetch_related(Prefetch("products", Product.objects.order_by("name")))
        )


class _DiscountFormView(StoreOwnerRequiredMixin, FormView):
    """Make or change a discount code (services.discount_code_create or _update); the
    service's refusals (a name taken, even at the same moment) show on the form."""

    form_class = DiscountCodeForm
    template_name = "orders/discount_form.html"
    http_method_names = ["get", "post", "head", "options"]
    discount_code = None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "store": self.store, "instance": self.discount_code}

    def form_valid(self, form):
        try:
            code = self.save(form.values())
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(self.request, f"Saved the code {code.code}.")
        return redirect("orders:discounts")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class DiscountCreateView(_DiscountFormView):
    def save(self, values):
        return services.discount_code_create(store=self.store, **values)


class DiscountUpdateView(_DiscountFormView):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.discount_code = get_object_or_404(
                DiscountCode, pk=kwargs["pk"], store__owner=request.user
            )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        # A copy: a refused change must not show as saved.
        kwargs["instance"] = DiscountCode.objects.get(pk=self.discount_code.pk)
        return kwargs

    def save(self, values):
        return services.discount_code_update(discount_code=self.discount_code, **values)


class DiscountDeleteView(StoreOwnerRequiredMixin, DeleteView):
    template_name = "orders/discount_confirm_delete.html"

    def get_queryset(self):
        return DiscountCode.objects.filter(store=self.store)

    def form_valid(self, form):
        services.discount_code_delete(discount_code=self.object)
        messages.success(self.request, f"Deleted the code {self.object.code}.")
        return redirect("orders:discounts")
