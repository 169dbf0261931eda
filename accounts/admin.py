from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.forms import AdminUserChangeForm, AdminUserCreationForm
from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = AdminUserCreationForm
    form = AdminUserChangeForm
    list_display = ["email", "email_confirmed", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email"]
    ordering = ["email"]
    # Plain lists: the two-box filter's search icons carry a name screen readers refuse.
    filter_horizontal = []
    # Set by logging in and by signing up (their split date and time boxes have no
    # label), and by following a confirmation link.
    readonly_fields = ["last_login", "date_joined", "confirmed_email", "email_confirmation_sent_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
        # Only following a link sent to the address confirms it (it gives the account
        # the guest orders of that email): staff can see it, not set it.
        ("Email confirmation", {"fields": ["confirmed_email", "email_confirmation_sent_at"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "usable_password", "password1", "password2"],
            },
        ),
    ]

    @admin.display(description="email confirmed", boolean=True)
    def email_confirmed(self, user):
        return user.email_confirmed
