"""License keys: verified by the creator's software (no token, limited per client
address), enabled, disabled and given back a use by their seller (orders.licenses)."""

from django.conf import settings
from django.http import Http404
from ninja import Field, Router, Schema

from api.ratelimits import rate_check
from api.v2.base import TOKEN_AUTH, TOKEN_ERRORS, errors, json_answer, json_response, store_of
from api.v2.sales import SaleOut, sale_json
from orders.licenses import (
    LicenseNotFound,
    license_decrement_uses,
    license_disable,
    license_enable,
    license_verify,
)
from yumroad_site.clients import client_address
from yumroad_site.forms import MAX_ID

router = Router(tags=["Licenses"])
VERIFY_RATE_MESSAGE = "Too many license verifications came from your address in the last minute."


class LicenseIn(Schema):
    product_id: int = Field(..., ge=1, le=MAX_ID)
    license_key: str = Field(..., max_length=100)


class VerifyIn(LicenseIn):
    increment_uses_count: bool = Field(True, description="False checks without counting a use.")


class LicenseAnswer(Schema):
    success: bool
    uses: int = Field(description="Verifications counted, this one included.")
    purchase: SaleOut


def _answer(request, license):
    """The answer as sent: built here in LicenseAnswer's shape (the tests hold it to the
    schema), as verify is the API's busiest request and validating it again cost a
    sixth of its time."""
    order = license.order
    order.license = license
    answer = {"success": True, "uses": license.uses, "purchase": sale_json(order)}
    return json_response(json_answer(request, answer))


def _found(change, request, **kwargs):
    try:
        return _answer(request, change(**kwargs))
    except LicenseNotFound as error:
        raise Http404(str(error)) from None


@router.post("/licenses/verify", auth=None, response={200: LicenseAnswer, **errors(400, 404, 429)})
def license_verify_view(request, payload: VerifyIn):
    """No token needed. Counts a use unless increment_uses_count is false. An unknown
    key, another product's, or a disabled one: 404."""
    rate_check(
        request=request,
        key=f"verify:{client_address(request) or ''}",
        per_minute=settings.LICENSE_VERIFY_RATE_PER_MINUTE,
        message=VERIFY_RATE_MESSAGE,
    )
    return _found(
        license_verify,
        request,
        product_id=payload.product_id,
        license_key=payload.license_key,
        increment_uses_count=payload.increment_uses_count,
    )


def _seller(change, request, payload):
    return _found(
        change,
        request,
        store=store_of(request),
        product_id=payload.product_id,
        license_key=payload.license_key,
    )


SELLER = {"auth": TOKEN_AUTH, "response": {200: LicenseAnswer, **errors(*TOKEN_ERRORS)}}


@router.put("/licenses/enable", **SELLER)
def license_enable_view(request, payload: LicenseIn):
    """Your own key verifies again."""
    return _seller(license_enable, request, payload)


@router.put("/licenses/disable", **SELLER)
def license_disable_view(request, payload: LicenseIn):
    """Your own key verifies no more."""
    return _seller(license_disable, request, payload)


@router.put("/licenses/decrement_uses_count", **SELLER)
def license_decrement_view(request, payload: LicenseIn):
    """One use less on your own key, never below 0."""
    return _seller(license_decrement_uses, request, payload)
