from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import FormView, ListView, TemplateView

from products.models import Product
from stores.forms import StoreForm
from stores.models import DUPLICATE_NAME_MESSAGE, Store
from stores.services import store_create
from yumroad_site.cache import PAGE_SECONDS, CachedListMixin, catalogue_key
from yumroad_site.views import PaginatedMixin, SafeNextMixin


class HomeView(TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        stores = cache.get_or_set(
            catalogue_key("featured"), lambda: list(Store.objects.featured()), PAGE_SECONDS
        )
        return super().get_context_data(stores=stores, **kwargs)


class StoreListView(CachedListMixin, PaginatedMixin, ListView):
    paginate_by = 10
    template_name = "stores/index.html"
    list_template_name = "stores/_list.html"
    queryset = Store.objects.with_preview_products()


class StoreDetailView(CachedListMixin, PaginatedMixin, ListView):
    """The store's products, 9 a page."""

    paginate_by = 9
    template_name = "stores/detail.html"
    list_template_name = "products/_grid.html"

    def get_queryset(self):
        self.store = get_object_or_404(Store, slug=self.kwargs["slug"])
        return Product.objects.for_store(self.store)

    def get_context_data(self, **kwargs):
        return super().get_context_data(store=self.store, show_store=False, **kwargs)


class StoreCreateView(LoginRequiredMixin, SafeNextMixin, FormView):
    """Open a store: for users who have none yet, such as those made in the admin."""

    form_class = StoreForm
    template_name = "stores/form.html"

    def dispatch(self, request, *args, **kwargs):
        store = Store.objects.of(request.user)
        if store:
            return self.already_open(store)
        return super().dispatch(request, *args, **kwargs)

    def already_open(self, store):
        messages.info(self.request, "You already have a store.")
        return redirect(store)

    def form_valid(self, form):
        try:
            self.store = store_create(owner=self.request.user, name=form.cleaned_data["name"])
        except IntegrityError:
            # Opened meanwhile: this user's store (from another tab), or another with this name.
            store = Store.objects.of(self.request.user)
            if store:
                return self.already_open(store)
            form.add_error("name", DUPLICATE_NAME_MESSAGE)
            return self.form_invalid(form)
        messages.success(self.request, f"Your store {self.store.name} is open.")
        return super().form_valid(form)

    def get_default_redirect_url(self):
        return self.store.get_absolute_url()
