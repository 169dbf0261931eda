from django.contrib.auth.decorators import login_required
from django.urls import include, path

from accounts import views
from yumroad_site.cache import cacheable_page

app_name = "accounts"

password_reset_patterns = [
    path("", views.PasswordResetView.as_view(), name="password_reset"),
    path("sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
]
settings_patterns = [
    path("", views.SettingsView.as_view(), name="settings"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("email/", views.EmailChangeView.as_view(), name="email_change"),
    path(
        "email/confirm/",
        views.EmailConfirmationResendView.as_view(),
        name="email_confirmation_resend",
    ),
]

urlpatterns = [
    path("login/", cacheable_page(views.LoginView.as_view()), name="login"),
    # POST only (Django's LogoutView answers GET with 405). Without `next`: after
    # logging in, a GET to the logout URL would only meet that 405.
    path(
        "logout/",
        login_required(views.LogoutView.as_view(), redirect_field_name=None),
        name="logout",
    ),
    # A forgotten password: ask for a link, hear that it is sent, follow it.
    path("password-reset/", include(password_reset_patterns)),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    # The settings page, and its forms, which post to their own addresses.
    path("settings/", include(settings_patterns)),
    # The link of a confirmation email: a page with the button that confirms.
    path("confirm-email/<str:token>/", views.EmailConfirmView.as_view(), name="email_confirm"),
]
