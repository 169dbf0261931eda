from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import IntegrityError
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import FormView, ListView, TemplateView, UpdateView

from orders.models import Order
from products.models import Product
from stores.forms import StoreForm, StoreSettingsForm
from stores.models import DUPLICATE_NAME_MESSAGE, Store, StoreSlug
from stores.services import store_create, store_update
from yumroad_site.cache import CachedListMixin, catalogue_get_or_set
from yumroad_site.views import (
    DeferredJoinPaginator,
    InvalidFormStatusMixin,
    PaginatedMixin,
    SafeNextMixin,
)

RECENT_SALES = 5


class HomeView(TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        stores = catalogue_get_or_set(lambda: list(Store.objects.featured()), "featured")
        return super().get_context_data(stores=stores, **kwargs)


class StoreListView(CachedListMixin, PaginatedMixin, ListView):
    paginate_by = 10
    template_name = "stores/index.html"
    list_template_name = "stores/_list.html"
    queryset = Store.objects.selling().with_preview_products()


class StoreDetailView(CachedListMixin, PaginatedMixin, ListView):
    """The store's products, 9 a page."""

    paginate_by = 9
    paginator_class = DeferredJoinPaginator
    template_name = "stores/detail.html"
    list_template_name = "products/_grid.html"

    def get(self, request, *args, **kwargs):
        self.store = Store.objects.filter(slug=self.kwargs["slug"]).first()
        if self.store is None:
            # An address the store had before a rename: send the visitor on, for good.
            old = StoreSlug.objects.select_related("store").filter(slug=self.kwargs["slug"])
            old = old.first()
            if old is None:
                raise Http404("No store has this address.")
            old.visit_note()
            query = request.META.get("QUERY_STRING", "")
            url = old.store.get_absolute_url() + (f"?{query}" if query else "")
            return HttpResponsePermanentRedirect(url)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return Product.objects.for_store(self.store)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            store=self.store,
            is_owner=self.store.is_owned_by(self.request.user),
            show_store=False,
            **kwargs,
        )


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


class DashboardView(LoginRequiredMixin, PaginatedMixin, ListView):
    """A creator's home: their store's link, its products with their sales, the last
    few sales. Without a store: the invitation to open one."""

    paginate_by = 25
    template_name = "stores/dashboard.html"

    def get_queryset(self):
        self.store = Store.objects.of(self.request.user)
        if self.store is None:
            return Product.objects.none()
        return Product.objects.for_store(self.store).with_sales()

    def get_context_data(self, **kwargs):
        recent_sales = (
            Order.objects.sales_of(self.store)[:RECENT_SALES] if self.store is not None else []
        )
        return super().get_context_data(store=self.store, recent_sales=recent_sales, **kwargs)


class StoreSettingsView(LoginRequiredMixin, InvalidFormStatusMixin, UpdateView):
    """The owner's store: its name (a rename keeps the old address as a redirect), its
    description and its avatar."""

    form_class = StoreSettingsForm
    template_name = "stores/settings.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and Store.objects.of(request.user) is None:
            messages.info(request, "Open your store first; then you can change its settings.")
            return redirect(f"{reverse('stores:create')}?next={reverse('stores:settings')}")
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        return Store.objects.get(owner=self.request.user)

    def form_valid(self, form):
        try:
            self.object = store_update(store=form.instance)
        except IntegrityError:
            # Another store took the name after the form's check.
            form.add_error("name", DUPLICATE_NAME_MESSAGE)
            return self.form_invalid(form)
        messages.success(self.request, "Saved your store's settings.")
        return redirect("stores:settings")

    def get_context_data(self, **kwargs):
        # The store as saved: the form's instance holds what was typed.
        saved = Store.objects.get(pk=self.object.pk)
        return super().get_context_data(saved_store=saved, **kwargs)
