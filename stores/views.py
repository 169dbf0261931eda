from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView, UpdateView

from accounts.models import DUPLICATE_EMAIL_MESSAGE
from accounts.services import user_signup
from accounts.views import VisitorsOnlyMixin
from stores import backends
from stores.forms import SignupForm, StoreForm, StoreSettingsForm
from stores.models import DUPLICATE_NAME_MESSAGE, Store, has_store
from stores.services import store_open, store_update
from yumroad_site.cache import catalogue_get_or_set
from yumroad_site.ratelimits import EMAILS, limit_count
from yumroad_site.views import InvalidFormStatusMixin, SafeNextMixin

OPEN_STORE_FIRST_MESSAGE = "Open your store first."


def member_home(user):
    """settings.MEMBER_HOME: where logging in lands without `next`. A seller's
    dashboard; a buyer's library (LOGIN_REDIRECT_URL), never a seller's page."""
    return "dashboard" if has_store(user) else settings.LOGIN_REDIRECT_URL


def store_open_url(next_url):
    """The store-opening page, which comes back to `next_url` once the store is open."""
    return f"{reverse('stores:new')}?{urlencode({'next': next_url})}"


class StoreOwnerRequiredMixin(LoginRequiredMixin):
    """Seller pages: a visitor logs in first; a member without a store is asked to open
    one, then comes back here. Nobody without a store sees them."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not has_store(request.user):
            messages.info(request, OPEN_STORE_FIRST_MESSAGE)
            return redirect(store_open_url(request.get_full_path()))
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def store(self):
        """The logged-in owner's store."""
        return Store.objects.of(self.request.user)


class HomeView(TemplateView):
    template_name = "home.html"
    # The stores it shows (products.models.stores_featured: those with the most published
    # products) and the covers of products (products.models.landing_covers): the root
    # URLconf gives both, as this app may not import products.
    featured = covers = None

    def get_context_data(self, **kwargs):
        stores = catalogue_get_or_set(lambda: list(self.featured()), "featured")
        covers = catalogue_get_or_set(self.covers, "landing covers")
        return super().get_context_data(
            stores=stores, covers=covers, file_max_mb=settings.PRODUCT_FILE_MAX_MB, **kwargs
        )


@method_decorator([sensitive_post_parameters("password", "confirm"), never_cache], name="dispatch")
class SignupView(VisitorsOnlyMixin, SafeNextMixin, FormView):
    """A new account (accounts.services.user_signup), logged in at once; it lands on
    `next` (the store-opening page, from "Start selling"), else on the library."""

    form_class = SignupForm
    template_name = "stores/signup.html"
    next_page = settings.LOGIN_REDIRECT_URL

    def post(self, request, *args, **kwargs):
        # Every attempt counts, a refused one too: the form says whether an email has
        # an account, so addresses can't be tried in bulk.
        limit_count(request=request, group=EMAILS)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            # The account and the login: both or neither.
            with transaction.atomic():
                user = user_signup(email=data["email"], password=data["password"])
                login(self.request, user, backend=backends.PATH)
        except IntegrityError:
            # Another sign-up took the email after our form's checks.
            form.add_error("email", DUPLICATE_EMAIL_MESSAGE)
            return self.form_invalid(form)
        messages.success(self.request, "Registered successfully.")
        return super().form_valid(form)


class StoreCreateView(LoginRequiredMixin, SafeNextMixin, FormView):
    """Open a store (/stores/new/): where "Start selling" leads after signing up, and
    seller pages send a member who has none. Then `next`, else the dashboard."""

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
            self.store = store_open(owner=self.request.user, name=form.cleaned_data["name"])
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
        return reverse("dashboard")


class StoreSettingsView(StoreOwnerRequiredMixin, InvalidFormStatusMixin, UpdateView):
    """The owner's store: its name (a rename keeps the old address as a redirect), its
    description and its avatar."""

    form_class = StoreSettingsForm
    template_name = "stores/settings.html"

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
