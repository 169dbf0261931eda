from django.utils.functional import SimpleLazyObject

from stores.models import has_store


def store_owner(request):
    """`owns_store`: whether the logged-in user has a store, for the navigation. Lazy:
    a page that doesn't ask doesn't load the user. A page made before the
    authentication middleware ran (a 400 for a NUL character) has no user: False."""

    def owns_store():
        user = getattr(request, "user", None)
        return user is not None and has_store(user)

    return {"owns_store": SimpleLazyObject(owns_store)}
