"""A product's offer codes, in Gumroad's words: the store's discount codes
(orders.services.discount_code_create and _update, with their rules) that apply to the
product. A code made here applies to that product alone, unless `universal`."""

from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from ninja import Field, Path, Router, Schema

from api.v2.base import TOKEN_ERRORS, errors, field_error, validation_error
from api.v2.products import ProductId, product_of
from orders import services
from orders.models import CODE_MAX_LENGTH, MAX_USES, DiscountCode
from products.models import MAX_PRICE_CENTS
from yumroad_site.forms import MAX_ID

router = Router(tags=["Offer codes"])
# The services' names, as the API calls them.
NAMES = {
    "code": "name",
    "percent_off": "amount_off",
    "amount_off_cents": "amount_off",
    "max_uses": "max_purchase_count",
    "products": "universal",
    "expires_at": "expires_at",
}


class OfferCodeOut(Schema):
    id: int
    name: str
    amount_off: int = Field(description="Cents, or a percent: see offer_type.")
    offer_type: Literal["cents", "percent"]
    max_purchase_count: int | None
    universal: bool = Field(description="True: it applies to every product of the store.")
    times_used: int
    expires_at: str | None


class OfferCodeAnswer(Schema):
    success: bool
    offer_code: OfferCodeOut


class OfferCodesAnswer(Schema):
    success: bool
    offer_codes: list[OfferCodeOut]


class OfferCodeIn(Schema):
    """Every field optional on an update (PUT): what is left out keeps its value."""

    name: str = Field(None, max_length=CODE_MAX_LENGTH + 1)
    amount_off: int = Field(None, ge=1, le=MAX_PRICE_CENTS, description="Cents, or a percent.")
    offer_type: Literal["cents", "percent"] = Field(None, description="cents by default.")
    max_purchase_count: int | None = Field(
        None, ge=1, le=MAX_USES, description="null (JSON) on an update: no limit any more."
    )
    universal: bool = Field(None, description="On creation: false by default.")


CodeId = Path(..., ge=1, le=MAX_ID)
CODE_NOT_FOUND = "No offer code of this product has that id."


def offer_code_json(code, *, universal=None):
    if universal is None:
        universal = not code.products.exists()
    return {
        "id": code.pk,
        "name": code.code,
        "amount_off": code.percent_off if code.percent_off is not None else code.amount_off_cents,
        "offer_type": "percent" if code.percent_off is not None else "cents",
        "max_purchase_count": code.max_uses,
        "universal": universal,
        "times_used": code.uses_now if hasattr(code, "uses_now") else code.uses(),
        "expires_at": code.expires_at and code.expires_at.isoformat(),
    }


def _codes_of(product):
    """The store's codes that apply to `product`: universal ones, and its own."""
    return (
        DiscountCode.objects.for_store(product.store_id)
        .filter(Q(products=None) | Q(products=product))
        .distinct()
    )


def _code_of(product, code_id):
    code = _codes_of(product).filter(pk=code_id).first()
    if code is None:
        raise Http404(CODE_NOT_FOUND)
    return code


def _changes(payload, code=None):
    sent = payload.dict(exclude_unset=True)
    unlimited = "max_purchase_count" in sent and sent["max_purchase_count"] is None
    sent = {name: value for name, value in sent.items() if value is not None}
    changes = {}
    if "name" in sent:
        changes["code"] = sent["name"]
    offer_type = sent.get("offer_type")
    if "amount_off" in sent or offer_type:
        if "amount_off" not in sent:
            raise field_error("amount_off", "Send the amount off with its offer_type.")
        if offer_type is None:
            offer_type = "percent" if code and code.percent_off is not None else "cents"
        field = "percent_off" if offer_type == "percent" else "amount_off_cents"
        changes[field] = sent["amount_off"]
    if "max_purchase_count" in sent or unlimited:
        changes["max_uses"] = sent.get("max_purchase_count")
    return changes, sent.get("universal")


@router.get(
    "/products/{product_id}/offer_codes",
    response={200: OfferCodesAnswer, **errors(*TOKEN_ERRORS)},
)
def offer_codes_list(request, product_id: int = ProductId):
    product = product_of(request, product_id)
    codes = _codes_of(product).with_uses().prefetch_related("products")
    return {
        "success": True,
        "offer_codes": [offer_code_json(c, universal=not c.products.all()) for c in codes],
    }


@router.post(
    "/products/{product_id}/offer_codes",
    response={200: OfferCodeAnswer, **errors(*TOKEN_ERRORS)},
)
def offer_code_create(request, payload: OfferCodeIn, product_id: int = ProductId):
    """name and amount_off are needed; offer_type is cents unless said."""
    product = product_of(request, product_id)
    changes, universal = _changes(payload)
    if "code" not in changes:
        raise field_error("name", "This field is required.")
    if "percent_off" not in changes and "amount_off_cents" not in changes:
        raise field_error("amount_off", "This field is required.")
    try:
        code = services.discount_code_create(
            store=product.store, products=[] if universal else [product], **changes
        )
    except ValidationError as error:
        raise validation_error(error, NAMES) from None
    return {"success": True, "offer_code": offer_code_json(code, universal=bool(universal))}


@router.get(
    "/products/{product_id}/offer_codes/{code_id}",
    response={200: OfferCodeAnswer, **errors(*TOKEN_ERRORS)},
)
def offer_code_get(request, product_id: int = ProductId, code_id: int = CodeId):
    code = _code_of(product_of(request, product_id), code_id)
    return {"success": True, "offer_code": offer_code_json(code)}


@router.put(
    "/products/{product_id}/offer_codes/{code_id}",
    response={200: OfferCodeAnswer, **errors(*TOKEN_ERRORS)},
)
def offer_code_update(
    request, payload: OfferCodeIn, product_id: int = ProductId, code_id: int = CodeId
):
    """Change what is sent; universal=false limits it to this product. The code is read
    locked: a change made meanwhile by another update is not reverted."""
    product = product_of(request, product_id)
    with transaction.atomic():
        code = _code_of(product, code_id)
        code = DiscountCode.objects.select_for_update().filter(pk=code.pk).first()
        if code is None:  # deleted meanwhile
            raise Http404(CODE_NOT_FOUND)
        changes, universal = _changes(payload, code)
        products = None if universal is None else ([] if universal else [product])
        try:
            code = services.discount_code_update(discount_code=code, products=products, **changes)
        except ValidationError as error:
            raise validation_error(error, NAMES) from None
    return {"success": True, "offer_code": offer_code_json(code)}


@router.delete(
    "/products/{product_id}/offer_codes/{code_id}",
    response={200: OfferCodeAnswer, **errors(*TOKEN_ERRORS)},
)
def offer_code_delete(request, product_id: int = ProductId, code_id: int = CodeId):
    """Orders made with it keep its name and their discount."""
    code = _code_of(product_of(request, product_id), code_id)
    answer = offer_code_json(code)
    services.discount_code_delete(discount_code=code)
    return {"success": True, "offer_code": answer}
