from django.contrib.auth.decorators import login_required
from django.urls import path

from accounts import views
from yumroad_site.cache import cacheable_page

app_name = "accounts"

urlpatterns = [
    path("login/", cacheable_page(views.LoginView.as_view()), name="login"),
    # POST only (Django's LogoutView answers GET with 405). Without `next`: after
    # logging in, a GET to the logout URL would only meet that 405.
    path(
        "logout/",
        login_required(views.LogoutView.as_view(), redirect_field_name=None),
        name="logout",
    ),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("settings/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("settings/email/", views.EmailChangeView.as_view(), name="email_change"),
]
