from django.contrib.auth.signals import user_logged_in
from django.dispatch import Signal, receiver

from accounts.middleware import RENEWED_ON, today

# Sent with `user` when their email is confirmed, inside the transaction that confirms
# it: the apps above accounts act on it (orders attaches the guest orders of that
# email), and a receiver that fails undoes the confirmation.
email_confirmed = Signal()


@receiver(user_logged_in)
def session_renewed_at_login(request, **kwargs):
    """Logging in saves the session: mark it renewed today, so the next page needn't."""
    if getattr(request, "session", None) is not None:
        request.session[RENEWED_ON] = today()
