from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms

from accounts.models import User
from yumroad_site.forms import EmailField

INVALID_LOGIN_MESSAGE = "Invalid email or password."
BLANK_PASSWORD_MESSAGE = "Choose a password with more than spaces in it."
CURRENT_PASSWORD_MESSAGE = "Your current password was entered incorrectly."


def current_password_check(*, request, user, password):
    """Whether `password` is `user`'s, counted as a login is (django-axes): a wrong one
    is a failure for this email and client address, and after AXES_FAILURE_LIMIT of
    them even the right one is refused, the middleware answering with the lockout
    page; the right one resets the count. A stolen session can't guess the password."""
    if authenticate(request, email=user.email, password=password) is None:
        return False
    # What a successful login tells axes, without the rest of login().
    AxesProxyHandler.user_logged_in(sender=type(user), request=request, user=user)
    return True


class LoginForm(forms.Form):
    """Email and password, checked by the authentication backends (django-axes first).

    The same message for an unknown email and a wrong password, so that the form
    does not tell which emails have accounts.
    """

    email = EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        email = self.cleaned_data.get("email")
        password = self.cleaned_data.get("password")
        if email and password:
            self.user = authenticate(self.request, email=email, password=password)
            if self.user is None:
                raise forms.ValidationError(INVALID_LOGIN_MESSAGE, code="invalid_login")
        return self.cleaned_data

    def get_user(self):
        return self.user


class AdminUserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]
        field_classes = {"email": EmailField}

    def clean_password1(self):
        # The same rule as sign-up's: spaces alone are no password.
        password = self.cleaned_data.get("password1")
        if password and not password.strip():
            raise forms.ValidationError(BLANK_PASSWORD_MESSAGE, code="blank_password")
        return password


class AdminUserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"email": EmailField}


class PasswordResetRequestForm(forms.Form):
    """The email to send a reset link to, whether or not it has an account."""

    email = EmailField(
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's, with the current password checked as a login (current_password_check)."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if not current_password_check(request=self.request, user=self.user, password=old_password):
            raise forms.ValidationError(CURRENT_PASSWORD_MESSAGE, code="password_incorrect")
        return old_password


class EmailChangeForm(forms.ModelForm):
    """A new email for the account, confirmed with the current password (checked as a
    login: current_password_check)."""

    password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    class Meta:
        model = User
        fields = ["email"]
        field_classes = {"email": EmailField}
        labels = {"email": "New email"}
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)
        self.old_email = self.instance.email
        # An empty box for the new address, not the current one.
        self.initial.pop("email", None)

    def clean_email(self):
        email = self.cleaned_data["email"]
        if email == self.old_email:
            raise forms.ValidationError("That is already your email.", code="unchanged")
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not current_password_check(request=self.request, user=self.instance, password=password):
            raise forms.ValidationError(CURRENT_PASSWORD_MESSAGE, code="password_incorrect")
        return password
