from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.middleware import RENEWED_ON, today
from accounts.models import User
from yumroad_site.cache import member_changed


@receiver(user_logged_in)
def session_renewed_at_login(request, **kwargs):
    """Logging in saves the session: mark it renewed today, so the next page needn't."""
    if getattr(request, "session", None) is not None:
        request.session[RENEWED_ON] = today()


@receiver([post_save, post_delete], sender=User)
def retire_members_pages(instance, **kwargs):
    """A member's pages show their email: a change to the account retires their copies."""
    member_changed(instance.pk)
