from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView

from accounts.forms import LoginForm, SignupForm
from accounts.models import DUPLICATE_EMAIL_MESSAGE, User
from accounts.services import user_signup
from stores.models import DUPLICATE_NAME_MESSAGE as DUPLICATE_STORE_NAME_MESSAGE
from yumroad_site.views import SafeNextMixin


class VisitorsOnlyMixin:
    """Log in and sign up are for visitors: a logged-in user is sent to the products."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            messages.info(request, "You are already logged in")
            return redirect("products:index")
        return super().dispatch(request, *args, **kwargs)


class LoginView(VisitorsOnlyMixin, SafeNextMixin, auth_views.LoginView):
    """Django's LoginView: it follows `next` only when it is safe for this site."""

    form_class = LoginForm
    template_name = "accounts/login.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Logged in successfully.")
        return response


@method_decorator([sensitive_post_parameters("password", "confirm"), never_cache], name="dispatch")
class SignupView(VisitorsOnlyMixin, SafeNextMixin, FormView):
    form_class = SignupForm
    template_name = "accounts/signup.html"
    next_page = settings.LOGIN_REDIRECT_URL

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            # The account, the store and the login: all of them or none.
            with transaction.atomic():
                user = user_signup(
                    email=data["email"], password=data["password"], store_name=data["store_name"]
                )
                login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        except IntegrityError:
            # Another sign-up took the email or the store name after our form's checks.
            if User.objects.filter(email=form.instance.email).exists():
                form.add_error("email", DUPLICATE_EMAIL_MESSAGE)
            else:
                form.add_error("store_name", DUPLICATE_STORE_NAME_MESSAGE)
            return self.form_invalid(form)
        messages.success(self.request, "Registered successfully.")
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
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
