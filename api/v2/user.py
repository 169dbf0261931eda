from ninja import Router, Schema

from api.v2.base import TOKEN_ERRORS, errors

router = Router(tags=["User"])


class StoreOut(Schema):
    id: int
    name: str
    url: str


class UserOut(Schema):
    email: str
    store: StoreOut | None


class UserAnswer(Schema):
    success: bool
    user: UserOut


def store_json(request, store):
    return {
        "id": store.pk,
        "name": store.name,
        "url": request.build_absolute_uri(store.get_absolute_url()),
    }


@router.get("/user", response={200: UserAnswer, **errors(*TOKEN_ERRORS)})
def user_get(request):
    """The token's owner: their email, and their store (null before they open one)."""
    user = request.auth.user
    store = getattr(user, "store", None)
    return {
        "success": True,
        "user": {"email": user.email, "store": store and store_json(request, store)},
    }
