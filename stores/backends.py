from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UserWithStoreBackend(ModelBackend):
    """Django's ModelBackend, but the logged-in user of each request comes with their
    store (or the fact that they have none) in the same query: every page's navigation
    asks (stores.models.has_store), and seller pages check it."""

    def get_user(self, user_id):
        user = get_user_model()._default_manager.select_related("store").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


# Where it is listed in AUTHENTICATION_BACKENDS, for login() with several listed.
PATH = f"{UserWithStoreBackend.__module__}.{UserWithStoreBackend.__qualname__}"
