import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect
from django.utils.module_loading import import_string
from django.views import View
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

from products.forms import ProductForm, ProductSearchForm
from products.models import Product, stores_selling
from products.services import product_delete, product_is_kept, product_move
from stores.models import Store, StoreSlug
from stores.views import StoreOwnerRequiredMixin
from yumroad_site.cache import CachedListMixin
from yumroad_site.views import DeferredJoinPaginator, PaginatedMixin, SafeNextMixin

SUBMITTED_MESSAGE = "This form was sent already. Reload the page to add a product."
STATUS_WORDS = {
    Product.Status.PUBLISHED: "published",
    Product.Status.DRAFT: "a draft",
    Product.Status.ARCHIVED: "archived",
}


class ProductListView(CachedListMixin, PaginatedMixin, ListView):
    """Every product, newest first; with `q`, those that match it, best first."""

    paginate_by = 12
    paginator_class = DeferredJoinPaginator
    template_name = "products/index.html"
    list_template_name = "products/_grid.html"

    def get(self, request, *args, **kwargs):
        self.search_form = ProductSearchForm(request.GET)
        self.q = self.search_form.cleaned_data["q"] if self.search_form.is_valid() else ""
        response = super().get(request, *args, **kwargs)
        if self.search_form.errors:
            response.status_code = 400
        return response

    def get_queryset(self):
        products = Product.objects.listed().for_listing()
        if self.search_form.errors:
            return products.none()
        return products.search(self.q) if self.q else products

    def get_context_data(self, **kwargs):
        return super().get_context_data(q=self.q, search_form=self.search_form, **kwargs)


class ProductDetailView(DetailView):
    """A product's page. Who may see a draft or an archived product is the buy box's
    rule (a 404 for anyone else), and such a page is never cached: each viewer sees it
    differently. Its owner may see it as a buyer would (`?as=buyer`). `?code=` applies
    a discount code (a page with a query is never cached either: cacheable_page)."""

    queryset = Product.objects.select_related("store")
    template_name = "products/detail.html"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if not self.object.is_listed:
            response.cacheable = False
        return response

    def get_context_data(self, **kwargs):
        # The buy box belongs to the app that sells products, which this one may not
        # import: settings.PRODUCT_PAGE_CONTEXT names its function.
        buy_box_context = import_string(settings.PRODUCT_PAGE_CONTEXT)
        user = self.request.user
        is_owner = self.object.store.is_owned_by(user)
        # A discount code from the address (?code=): such a page is never cached.
        code = self.request.GET.get("code", "")
        if is_owner and self.request.GET.get("as") == "buyer":
            # As a visitor sees it; a draft as they will once it is published.
            shown = copy.copy(self.object)
            shown.status = Product.Status.PUBLISHED
            kwargs.update(object=shown, product=shown, as_buyer=True)
            return super().get_context_data(
                status_now=self.object.status,
                **buy_box_context(shown, AnonymousUser(), code=code),
                **kwargs,
            )
        return super().get_context_data(
            is_owner=is_owner, **buy_box_context(self.object, user, code=code), **kwargs
        )


class ProductCreateView(StoreOwnerRequiredMixin, SuccessMessageMixin, CreateView):
    form_class = ProductForm
    template_name = "products/form.html"

    def get_success_message(self, cleaned_data):
        if self.object.status == Product.Status.DRAFT:
            return (
                f"Saved {self.object.name} as a draft: only you can see it. Publish it "
                "from its page or your dashboard when it is ready."
            )
        if self.object.file:
            return f"{self.object.name} is ready to sell."
        return f"Saved {self.object.name}. Add the file to sell to put it on sale."

    def dispatch(self, request, *args, **kwargs):
        # Products are sold from a store (StoreOwnerRequiredMixin opens it first).
        if request.user.is_authenticated:
            self.store = Store.objects.of(request.user)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        submission = form.cleaned_data["submission"]
        if submission:
            made = Product.objects.filter(submission=submission).first()
            if made:
                return self.submitted_again(form, made)
        form.instance.store = self.store
        form.instance.submission = submission
        try:
            return super().form_valid(form)
        except IntegrityError:
            # The same form, sent twice at once: the other request saved it first.
            made = submission and Product.objects.filter(submission=submission).first()
            if not made:
                raise
            return self.submitted_again(form, made)

    def submitted_again(self, form, made):
        """A form sent again (a retry after a dropped connection): the product it made
        already, as if this request had made it; a stranger's token is refused."""
        if made.store_id != self.store.pk:
            form.add_error(None, SUBMITTED_MESSAGE)
            return self.form_invalid(form)
        self.object = made
        messages.success(self.request, self.get_success_message(form.cleaned_data))
        return redirect(made)


class OwnerOnlyMixin(StoreOwnerRequiredMixin):
    """Changing a product is for its store's owner; a member without a store opens one
    first, and anyone else gets the 403 page."""

    queryset = Product.objects.select_related("store")

    def get_object(self, queryset=None):
        product = super().get_object(queryset)
        if not product.store.is_owned_by(self.request.user):
            raise PermissionDenied("Only the creator of this product can change it.")
        return product


class ProductUpdateView(OwnerOnlyMixin, SuccessMessageMixin, UpdateView):
    form_class = ProductForm
    template_name = "products/form.html"
    success_message = "Saved your changes to %(name)s."


class ProductDeleteView(OwnerOnlyMixin, DeleteView):
    """Deletes a product; one that people bought is archived instead, and the page says
    so before (products.services.product_delete)."""

    template_name = "products/confirm_delete.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(kept=product_is_kept(product=self.object), **kwargs)

    def form_valid(self, form):
        product = self.object
        if product_delete(product=product):
            messages.success(
                self.request,
                f"Archived {product.name}: it is no longer listed or for sale, and people "
                "who bought it keep their downloads.",
            )
            return redirect("dashboard")
        messages.success(self.request, f"Deleted {product.name}.")
        return redirect(product.store)


class ProductStatusView(LoginRequiredMixin, SafeNextMixin, View):
    """POST: Publish a draft, Unpublish a published product (back to draft), Restore an
    archived one (published again): for the product's owner (anyone else gets a 404),
    then back to `next` (a page of this site) or the dashboard."""

    http_method_names = ["post"]
    action = None  # a key of products.services.MOVES

    def post(self, request, pk):
        product = get_object_or_404(
            Product.objects.select_related("store"), pk=pk, store__owner=request.user
        )
        try:
            moved = product_move(product=product, action=self.action)
        except Product.DoesNotExist:
            raise Http404("Deleted meanwhile.") from None
        if moved:
            messages.success(request, self.moved_message(product))
        else:
            messages.info(
                request,
                f"Nothing changed: {product.name} is {STATUS_WORDS[product.status]}.",
            )
        return redirect(self.next_url() or "dashboard")

    def moved_message(self, product):
        if product.status == Product.Status.DRAFT:
            return f"{product.name} is a draft again: only you can see it."
        verb = "Restored" if self.action == "restore" else "Published"
        if product.file:
            return f"{verb} {product.name}: it is listed and for sale."
        return f"{verb} {product.name}. It shows as coming soon until it has a file to sell."

    def next_url(self):
        url = self.get_redirect_url()
        return url if url.startswith("/") else ""


class StoreListView(CachedListMixin, PaginatedMixin, ListView):
    """The stores that sell something, 10 a page, each with its newest products."""

    paginate_by = 10
    template_name = "stores/index.html"
    list_template_name = "stores/_list.html"

    def get_queryset(self):
        return stores_selling()


class StoreDetailView(CachedListMixin, PaginatedMixin, ListView):
    """A store's page: its products, 9 a page. An address the store had before a
    rename redirects to its address now."""

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
        return Product.objects.listed().for_store(self.store)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            store=self.store,
            is_owner=self.store.is_owned_by(self.request.user),
            show_store=False,
            **kwargs,
        )
