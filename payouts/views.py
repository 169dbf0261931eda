from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import ListView

from orders.payments import CheckoutBusy
from payouts import payments, services
from payouts.models import Payout, PayoutAccount, account_state
from stores.views import StoreOwnerRequiredMixin
from yumroad_site.money import format_money
from yumroad_site.views import HttpResponseSeeOther, PaginatedMixin, service_unavailable

STRIPE_FAILED_MESSAGE = "We couldn't reach Stripe. Please try again."
STRIPE_BUSY_MESSAGE = "Stripe is busy, try again in a moment."
SET_UP_MESSAGE = "Your payouts account is set up."


def _site_url(request):
    return request.build_absolute_uri("/").removesuffix("/")


class PayoutsView(StoreOwnerRequiredMixin, PaginatedMixin, ListView):
    """The store's money: pending, available and paid out, its payout account's state,
    and its payouts, newest first."""

    paginate_by = 20
    template_name = "payouts/index.html"

    def get_queryset(self):
        return Payout.objects.for_store(self.store)

    def get_context_data(self, **kwargs):
        balance = services.store_balance(store=self.store)
        account = PayoutAccount.objects.filter(store=self.store).first()
        return super().get_context_data(
            store=self.store,
            account=account,
            account_state=account_state(account),
            in_debt=balance["pending_cents"] < 0 or balance["available_cents"] < 0,
            pending=format_money(balance["pending_cents"]),
            available=format_money(balance["available_cents"]),
            paid_out=format_money(balance["paid_out_cents"]),
            next_available_at=balance["next_available_at"],
            minimum=format_money(settings.PAYOUT_MINIMUM_CENTS),
            hold_days=settings.PAYOUT_HOLD_DAYS,
            **kwargs,
        )


class AccountMixin(StoreOwnerRequiredMixin):
    """The store's payout account's pages. Stripe refusing or down sends back to
    /payouts/ with a message; all of this process's Stripe permits taken, a 503."""

    def account(self):
        """The store's payout account; without one, a 404 (nothing to return to)."""
        account = PayoutAccount.objects.filter(store=self.store).first()
        if account is None:
            raise Http404("This store has no payouts account.")
        return account

    def stripe_call(self, call):
        try:
            return call()
        except payments.ConnectError:
            messages.error(self.request, STRIPE_FAILED_MESSAGE)
        except CheckoutBusy:
            return service_unavailable(self.request, STRIPE_BUSY_MESSAGE, retry_after=5)
        return redirect("payouts:index")


class ConnectView(AccountMixin, View):
    """POST "Set up payouts": the store's Express account (made once, however many
    clicks), then Stripe's onboarding."""

    http_method_names = ["post"]

    def post(self, request):
        def connect():
            url = services.account_connect(
                store=self.store, email=request.user.email, site_url=_site_url(request)
            )
            return HttpResponseSeeOther(url)

        return self.stripe_call(connect)


class ConnectReturnView(AccountMixin, View):
    """Where Stripe's onboarding returns: the account's flags as Stripe has them now."""

    def get(self, request):
        account = self.account()

        def refresh():
            services.account_refresh(account=account)
            account.refresh_from_db()
            if account.details_submitted:
                messages.success(request, SET_UP_MESSAGE)
            return redirect("payouts:index")

        return self.stripe_call(refresh)


class ConnectRefreshView(AccountMixin, View):
    """Where an expired onboarding link leads: a new one."""

    def get(self, request):
        account = self.account()
        return self.stripe_call(
            lambda: redirect(
                services.account_link_new(account=account, site_url=_site_url(request))
            )
        )


class DashboardLinkView(AccountMixin, View):
    """POST "Open Stripe dashboard": a one-time login link to the account's Express
    dashboard, once its details are submitted."""

    http_method_names = ["post"]

    def post(self, request):
        account = self.account()
        if not account.details_submitted:
            raise Http404("The account is not set up yet.")
        return self.stripe_call(
            lambda: HttpResponseSeeOther(services.account_dashboard_link(account=account))
        )


class TestModeMixin(AccountMixin):
    """The local stand-ins for Stripe's pages: only with DEBUG on and no Stripe key."""

    def dispatch(self, request, *args, **kwargs):
        if payments.mode() != payments.TEST:
            raise Http404("There is no test payouts account.")
        return super().dispatch(request, *args, **kwargs)


class TestOnboardingView(TestModeMixin, View):
    """The local stand-in for Stripe's onboarding (DEBUG on, no Stripe key): "Finish
    setup" turns the account's flags on, and no money ever moves."""

    template_name = "payouts/test_onboarding.html"

    def get(self, request):
        context = {"account": self.account(), "store": self.store}
        return render(request, self.template_name, context)

    def post(self, request):
        services.account_test_finish(account=self.account())
        messages.success(request, SET_UP_MESSAGE)
        return redirect("payouts:index")


class TestDashboardView(TestModeMixin, View):
    """The local stand-in for the account's Express dashboard: its state, nothing to
    do."""

    http_method_names = ["get"]
    template_name = "payouts/test_dashboard.html"

    def get(self, request):
        context = {"account": self.account(), "store": self.store}
        return render(request, self.template_name, context)
