import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.module_loading import import_string
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from accounts.forms import (
    EmailChangeForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
)
from accounts.models import DUPLICATE_EMAIL_MESSAGE, ConfirmationRefusal, User
from accounts.services import (
    email_confirmation_resend,
    password_reset_complete,
    password_reset_request,
    user_email_change,
    user_email_confirm,
)
from yumroad_site.ratelimits import EMAILS, limit_count
from yumroad_site.views import InvalidFormStatusMixin, SafeNextMixin


class VisitorsOnlyMixin:
    """Log in and sign up are for visitors: a logged-in user is sent to the products."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            messages.info(request, "You are already logged in.")
            return redirect("products:index")
        return super().dispatch(request, *args, **kwargs)


def member_home_url(user):
    """Where `user` lands after logging in without `next`. Sellers and buyers have
    different homes, and the accounts app can't tell them apart: the function
    settings.MEMBER_HOME names, in an app above, does."""
    return resolve_url(import_string(settings.MEMBER_HOME)(user))


class SiteNameMixin:
    """Django's log-in and log-out views name the site after the request's host
    (`site_name`, without django.contrib.sites): this site's name is SITE_NAME, as on
    every other page (yumroad_site.context_processors)."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "site_name": settings.SITE_NAME}


class LoginView(SiteNameMixin, VisitorsOnlyMixin, SafeNextMixin, auth_views.LoginView):
    """Django's LoginView: it follows `next` only when it is safe for this site."""

    form_class = LoginForm
    template_name = "accounts/login.html"

    def get_default_redirect_url(self):
        return member_home_url(self.request.user)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Logged in successfully.")
        return response


class LogoutView(SiteNameMixin, auth_views.LogoutView):
    template_name = "accounts/logout.html"

    def http_method_not_allowed(self, request, *args, **kwargs):
        # Only a POST logs out (a link or an image on another site can't); a person who
        # opened the address gets the button, with the 405 status.
        response = render(request, self.template_name, status=405)
        response["Allow"] = "POST"
        return response

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out.")
        return response


class PasswordResetView(InvalidFormStatusMixin, auth_views.PasswordResetView):
    """Ask for a reset link by email. Every valid address gets the same next page."""

    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request, *args, **kwargs):
        # Every request counts, whether or not its address has an account: a count of
        # only those would tell which do.
        limit_count(request=request, group=EMAILS)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        password_reset_request(email=form.cleaned_data["email"])
        return redirect(self.success_url)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            valid_minutes=settings.PASSWORD_RESET_TIMEOUT // 60, **kwargs
        )


class PasswordResetConfirmView(InvalidFormStatusMixin, auth_views.PasswordResetConfirmView):
    """The link from the email: Django checks its token (once, PASSWORD_RESET_TIMEOUT)."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            valid_minutes=settings.PASSWORD_RESET_TIMEOUT // 60, **kwargs
        )

    def form_valid(self, form):
        response = super().form_valid(form)
        password_reset_complete(user=form.user)
        messages.success(self.request, "Your password is reset. Log in with the new one.")
        return response


# Sections the apps above this one add to the settings page (the API's tokens and
# webhooks), each a template and a function of the request that gives its context;
# added in their AppConfig.ready() by settings_section_add().
_settings_sections = []


def settings_section_add(template_name, context):
    _settings_sections.append((template_name, context))


def _settings_forms(context, request):
    """The settings page's forms: those not in `context` yet, empty; and the sections
    of the apps above, each with the context its function gives."""
    context.setdefault("password_form", PasswordChangeForm(request.user))
    context.setdefault("email_form", EmailChangeForm(instance=request.user))
    context["settings_sections"] = [
        (template_name, section(request)) for template_name, section in _settings_sections
    ]
    return context


def _minutes_until(moment):
    return max(1, math.ceil((moment - timezone.now()).total_seconds() / 60))


class SettingsView(LoginRequiredMixin, TemplateView):
    """The account's settings: its password and its email, each a form of its own."""

    template_name = "accounts/settings.html"

    def get_context_data(self, **kwargs):
        return _settings_forms(super().get_context_data(**kwargs), self.request)


class SettingsFormMixin(LoginRequiredMixin, InvalidFormStatusMixin):
    """A form of the settings page: it posts here and comes back to that page."""

    template_name = "accounts/settings.html"
    success_url = reverse_lazy("accounts:settings")
    form_context_name = None

    def get(self, request, *args, **kwargs):
        return redirect(self.success_url)

    def get_form_kwargs(self):
        # The current password is checked as a login is: per client address.
        return {**super().get_form_kwargs(), "request": self.request}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context[self.form_context_name] = context["form"]
        return _settings_forms(context, self.request)


@method_decorator(sensitive_post_parameters(), name="dispatch")
class PasswordChangeView(SettingsFormMixin, auth_views.PasswordChangeView):
    """Django's: the current password first; this session stays logged in (its hash is
    updated), every other session of the account ends."""

    form_class = PasswordChangeForm
    form_context_name = "password_form"

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request, "Your password is changed. Your other sessions are logged out."
        )
        return response


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class EmailChangeView(SettingsFormMixin, FormView):
    form_class = EmailChangeForm
    form_context_name = "email_form"

    def get_form_kwargs(self):
        # A copy of the user: an invalid form must not change the one the page shows.
        return {**super().get_form_kwargs(), "instance": User.objects.get(pk=self.request.user.pk)}

    def form_valid(self, form):
        try:
            user_email_change(user=self.request.user, email=form.cleaned_data["email"])
        except IntegrityError:
            # Another account took the email after the form's check.
            form.add_error("email", DUPLICATE_EMAIL_MESSAGE)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Your email is now {self.request.user.email}. We told your old address, and "
            "sent a link to the new one: open it to confirm your address.",
        )
        return super().form_valid(form)


class EmailConfirmationResendView(LoginRequiredMixin, View):
    """The settings page's Resend: a new confirmation link, at most one every
    CONFIRMATION_RESEND_SECONDS (counting the last one sent)."""

    http_method_names = ["get", "post"]

    def get(self, request):
        return redirect("accounts:settings")

    def post(self, request):
        user = request.user
        if user.email_confirmed:
            messages.info(request, "Your email is confirmed already.")
            return redirect("accounts:settings")
        again_at = email_confirmation_resend(user=user)
        if again_at is None:
            messages.success(request, f"We sent a new link to {user.email}: open it to confirm.")
        else:
            minutes = _minutes_until(again_at)
            messages.info(
                request,
                f"We sent a link a few minutes ago. You can ask again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}.",
            )
        return redirect("accounts:settings")


# What each refusal shows: a title, a message and the status.
CONFIRMATION_REFUSALS = {
    ConfirmationRefusal.FORGED: (
        "This link is not valid",
        "Check that you opened the whole link from the email.",
        404,
    ),
    ConfirmationRefusal.USED: (
        "This link has already been used",
        "The email address it was for is confirmed.",
        410,
    ),
    ConfirmationRefusal.REPLACED: (
        "This link is no longer valid",
        "The account's email changed, or a newer link was sent since: use the newest one.",
        410,
    ),
    ConfirmationRefusal.EXPIRED: (
        "This link has expired",
        "Confirmation links work for a limited time. Ask for a new one in your settings.",
        410,
    ),
    ConfirmationRefusal.OTHER_ACCOUNT: (
        "This link is for another account",
        "Log out, then log in to the account it was sent for to confirm its email.",
        403,
    ),
}


@method_decorator(never_cache, name="dispatch")
class EmailConfirmView(View):
    """A link from a confirmation email. Opening it shows a button, and only the button
    (a POST) confirms: mail scanners that open links must not. It logs no one in, and
    confirms only for the account itself, logged in: confirming gives the account the
    guest orders of that email, so whoever opened an account with someone else's
    address must not get them when its owner, who holds no password for it, clicks."""

    template_name = "accounts/email_confirm.html"

    def dispatch(self, request, token):
        self.account, refusal = User.of_confirmation_link(token)
        if refusal:
            return self.refused(refusal)
        if not request.user.is_authenticated:
            messages.info(request, "Log in to confirm your email.")
            return redirect_to_login(request.get_full_path())
        if request.user.pk != self.account.pk:
            return self.refused(ConfirmationRefusal.OTHER_ACCOUNT)
        return super().dispatch(request, token)

    def refused(self, refusal):
        title, message, status = CONFIRMATION_REFUSALS[refusal]
        context = {
            "title": title,
            "message": message,
            "resend": refusal == ConfirmationRefusal.EXPIRED,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, token):
        return render(request, self.template_name, {"email": self.account.email})

    def post(self, request, token):
        if not user_email_confirm(user=self.account):
            # Another click, an email change or a new link came first.
            _, refusal = User.of_confirmation_link(token)
            return self.refused(refusal or ConfirmationRefusal.USED)
        messages.success(
            request,
            f"Thank you: {self.account.email} is confirmed. Anything you bought with it as a "
            "guest is now in your library.",
        )
        return redirect(settings.LOGIN_REDIRECT_URL)
