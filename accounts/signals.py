from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts.middleware import RENEWED_ON, today


@receiver(user_logged_in)
def session_renewed_at_login(request, **kwargs):
    """Logging in saves the session: mark it renewed today, so the next page needn't."""
    if getattr(request, "session", None) is not None:
        request.session[RENEWED_ON] = today()
