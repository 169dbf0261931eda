"""A store's products: the site's rules, through its form (products.forms.ProductForm,
prices in dollars there, in cents here) and its services (statuses, deletion)."""

from django.db import transaction
from django.http import Http404
from ninja import Field, Path, Router, Schema

from api.v2.base import TOKEN_ERRORS, errors, form_error, json_answer, json_response, store_of
from products.forms import ProductForm
from products.models import DESCRIPTION_MAX_LENGTH, MAX_PRICE_CENTS, Product
from products.services import product_delete, product_move
from yumroad_site.cache import get_or_set, store_version
from yumroad_site.forms import MAX_ID

router = Router(tags=["Products"])
Status = Product.Status
# Longer than any valid value: the form says why a shorter one is refused.
TEXT_MAX = DESCRIPTION_MAX_LENGTH + 1


class ProductOut(Schema):
    id: int
    name: str
    description: str
    price: int = Field(description="In cents: the least a buyer pays with pay what you want.")
    currency: str
    pay_what_you_want: bool
    suggested_price: int | None = Field(description="In cents; null without pay what you want.")
    published: bool
    status: str = Field(description="published, draft or archived (deleted after sales).")
    generates_license_keys: bool
    has_file: bool
    url: str
    picture_url: str
    created_at: str


class ProductAnswer(Schema):
    success: bool
    product: ProductOut


class ProductsAnswer(Schema):
    success: bool
    products: list[ProductOut]


class ProductDeleted(Schema):
    success: bool
    message: str
    archived: bool = Field(description="True when people bought it: archived, not deleted.")


class ProductIn(Schema):
    """Every field optional on an update (PUT): what is left out keeps its value."""

    name: str = Field(None, max_length=TEXT_MAX)
    description: str = Field(None, max_length=TEXT_MAX)
    price: int = Field(None, ge=0, le=MAX_PRICE_CENTS, description="In cents; 0 is free.")
    pay_what_you_want: bool = None
    suggested_price: int = Field(None, ge=0, le=MAX_PRICE_CENTS, description="In cents.")
    generates_license_keys: bool = None
    picture_url: str = Field(None, max_length=TEXT_MAX)
    published: bool = Field(None, description="On creation: false saves a draft.")


ProductId = Path(..., ge=1, le=MAX_ID)


def product_json(request, product):
    return {
        "id": product.pk,
        "name": product.name,
        "description": product.description,
        "price": product.price_cents,
        "currency": "usd",
        "pay_what_you_want": product.pay_what_you_want,
        "suggested_price": product.suggested_price_cents,
        "published": product.status == Status.PUBLISHED,
        "status": product.status,
        "generates_license_keys": product.generates_license_keys,
        "has_file": bool(product.file),
        "url": request.build_absolute_uri(product.get_absolute_url()),
        "picture_url": product.picture_url,
        "created_at": product.created_at.isoformat(),
    }


def product_of(request, product_id, *, lock=False):
    """The token's store's product `product_id`: 404 for anyone else's. `lock`: its row
    locked until the transaction ends."""
    products = Product.objects.select_for_update() if lock else Product.objects
    product = products.filter(store=store_of(request), pk=product_id).first()
    if product is None:
        raise_not_found()
    return product


def raise_not_found():
    raise Http404("No product of your store has that id.")


def _dollars(cents):
    return None if cents is None else f"{cents // 100}.{cents % 100:02d}"


def _form_data(payload, product=None):
    """The site's form's data: the product's values, replaced by what was sent."""
    sent = payload.dict(exclude_unset=True)
    data = {}
    if product is not None:
        data = {
            "name": product.name,
            "description": product.description,
            "price": _dollars(product.price_cents),
            "pay_what_you_want": product.pay_what_you_want,
            "suggested_price": _dollars(product.suggested_price_cents),
            "generates_license_keys": product.generates_license_keys,
            "picture_url": product.picture_url,
        }
    for name in ("name", "description", "picture_url"):
        if sent.get(name) is not None:
            data[name] = sent[name]
    for name in ("price", "suggested_price"):
        if sent.get(name) is not None:
            data[name] = _dollars(sent[name])
    for name in ("pay_what_you_want", "generates_license_keys"):
        if sent.get(name) is not None:
            data[name] = sent[name]
    # A checkbox is left out when off, as a browser sends it.
    data = {name: value for name, value in data.items() if value not in (False, None)}
    if product is None:
        data["status"] = Status.DRAFT if sent.get("published") is False else Status.PUBLISHED
    return data


@router.get("/products", response={200: ProductsAnswer, **errors(*TOKEN_ERRORS)})
def products_list(request):
    """The store's products, newest first, whatever their status."""
    store = store_of(request)

    def answer():
        products = Product.objects.filter(store=store).order_by("-created_at", "-pk")
        listed = [product_json(request, product) for product in products]
        answer = ProductsAnswer.model_validate({"success": True, "products": listed})
        return json_answer(request, answer.model_dump())

    # The answer as sent, kept under the store's version, which every write to its
    # products retires; per address the site is reached at, as the answer's URLs are.
    keys = (store_version(store.slug),)
    content = get_or_set(keys, answer, "api products", store.pk, request.build_absolute_uri("/"))
    return json_response(content)


@router.post("/products", response={200: ProductAnswer, **errors(*TOKEN_ERRORS)})
def product_create(request, payload: ProductIn):
    """A new product, without a file (add it on the site). Prices in cents."""
    store = store_of(request)
    form = ProductForm(_form_data(payload))
    if not form.is_valid():
        raise form_error(form)
    form.instance.store = store
    product = form.save()
    return {"success": True, "product": product_json(request, product)}


@router.get("/products/{product_id}", response={200: ProductAnswer, **errors(*TOKEN_ERRORS)})
def product_get(request, product_id: int = ProductId):
    return {"success": True, "product": product_json(request, product_of(request, product_id))}


@router.put("/products/{product_id}", response={200: ProductAnswer, **errors(*TOKEN_ERRORS)})
def product_update(request, payload: ProductIn, product_id: int = ProductId):
    """Change what is sent; the rest stays: the product is read locked, so a change made
    meanwhile (another update, a disable) is neither undone nor reverted."""
    with transaction.atomic():
        product = product_of(request, product_id, lock=True)
        form = ProductForm(_form_data(payload, product), instance=product)
        if not form.is_valid():
            raise form_error(form)
        product = form.save()
    return {"success": True, "product": product_json(request, product)}


@router.delete("/products/{product_id}", response={200: ProductDeleted, **errors(*TOKEN_ERRORS)})
def product_destroy(request, product_id: int = ProductId):
    """Deleted; or archived when people bought it (they keep their downloads)."""
    product = product_of(request, product_id)
    archived = product_delete(product=product)
    message = (
        f"Archived {product.name}: people bought it, so they keep their downloads."
        if archived
        else f"Deleted {product.name}."
    )
    return {"success": True, "message": message, "archived": archived}


def _move(request, product_id, actions):
    product = product_of(request, product_id)
    action = actions.get(product.status)
    if action is not None:
        try:
            product_move(product=product, action=action)
        except Product.DoesNotExist:
            raise_not_found()
    return {"success": True, "product": product_json(request, product)}


@router.put("/products/{product_id}/enable", response={200: ProductAnswer, **errors(*TOKEN_ERRORS)})
def product_enable(request, product_id: int = ProductId):
    """Publish it (a draft, or an archived product, restored): listed and for sale."""
    return _move(request, product_id, {Status.DRAFT: "publish", Status.ARCHIVED: "restore"})


@router.put(
    "/products/{product_id}/disable", response={200: ProductAnswer, **errors(*TOKEN_ERRORS)}
)
def product_disable(request, product_id: int = ProductId):
    """Unpublish it: not listed nor for sale; its buyers keep their downloads."""
    return _move(request, product_id, {Status.PUBLISHED: "unpublish"})
