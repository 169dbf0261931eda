"""A store's sales: the orders the sales page shows (Order.objects.sales_of), filtered
by its form (orders.forms.SalesFilterForm), newest first, ten a page behind a cursor."""

from datetime import datetime

from django.core import signing
from django.db.models import Q
from django.http import Http404
from ninja import Field, Path, Query, Router, Schema

from api.v2.base import TOKEN_ERRORS, errors, field_error, form_error, store_of
from orders.forms import SalesFilterForm
from orders.models import Order
from yumroad_site.forms import MAX_ID

router = Router(tags=["Sales"])
PAGE_SIZE = 10
PAGE_KEY_SALT = "api.v2.sales.page_key"
BAD_PAGE_KEY = "Pass back the next_page_key of the previous page, unchanged."
# The filter form's names, as the API calls them.
FILTER_NAMES = {"from": "after", "to": "before", "product": "product_id"}


class SaleOut(Schema):
    id: int
    product_id: int | None
    product_name: str
    email: str
    price: int = Field(description="What the buyer paid, in cents, after the discount.")
    currency: str
    created_at: str = Field(description="When it was paid.")
    status: str
    refunded: bool
    refunded_cents: int
    disputed: bool
    discount_code: str = Field(description="The code used, as typed; empty without one.")
    discount_cents: int
    license_key: str | None
    license_uses: int | None
    license_disabled: bool | None


class SalesAnswer(Schema):
    success: bool
    sales: list[SaleOut]
    next_page_key: str | None = Field(description="Pass it back as page_key; null on the last.")


class SaleAnswer(Schema):
    success: bool
    sale: SaleOut


# The filters' longest query, percent-encoded (up to 12 bytes a character), stays under
# gunicorn's request line of 8 KB: the days and the page key are ASCII.
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
PAGE_KEY = r"^[A-Za-z0-9_:.-]*$"  # django.core.signing's, from next_page_key


class SalesFilter(Schema):
    after: str = Field(None, max_length=10, pattern=DAY, description="YYYY-MM-DD, inclusive, UTC.")
    before: str = Field(None, max_length=10, pattern=DAY, description="YYYY-MM-DD, inclusive, UTC.")
    product_id: int = Field(None, ge=1, le=MAX_ID)
    email: str = Field(None, max_length=254)
    page_key: str = Field(None, max_length=200, pattern=PAGE_KEY)


def sale_json(order):
    license = getattr(order, "license", None)
    return {
        "id": order.pk,
        "product_id": order.product_id,
        "product_name": order.product_name,
        "email": order.email,
        "price": order.amount_cents,
        "currency": order.currency,
        "created_at": order.paid_at.isoformat(),
        "status": order.sale_status,
        "refunded": order.status == Order.Status.REFUNDED,
        "refunded_cents": order.refunded_cents,
        "disputed": order.dispute_status != Order.Dispute.NONE,
        "discount_code": order.discount_code_name,
        "discount_cents": order.discount_cents,
        "license_key": license and license.key,
        "license_uses": license and license.uses,
        "license_disabled": license and license.is_disabled,
    }


def _page_key(store, order):
    return signing.dumps([store.pk, order.paid_at.isoformat(), order.pk], salt=PAGE_KEY_SALT)


def _after_key(store, text):
    """Sales strictly after (older than) the last sale of the page `text` ended."""
    try:
        store_id, paid_at, pk = signing.loads(text, salt=PAGE_KEY_SALT)
        paid_at = datetime.fromisoformat(paid_at)
    except (signing.BadSignature, TypeError, ValueError):
        raise field_error("page_key", BAD_PAGE_KEY) from None
    if store_id != store.pk:
        raise field_error("page_key", BAD_PAGE_KEY)
    return Q(paid_at__lt=paid_at) | Q(paid_at=paid_at, pk__lt=pk)


@router.get("/sales", response={200: SalesAnswer, **errors(*TOKEN_ERRORS)})
def sales_list(request, filters: Query[SalesFilter]):
    """Newest first, 10 a page. Sales made between two pages cause no duplicate nor
    gap: the key marks the last sale given."""
    store = store_of(request)
    form = SalesFilterForm(
        {"from": filters.after or "", "to": filters.before or "", "product": filters.product_id},
        store=store,
    )
    if not form.is_valid():
        if form.non_field_errors():  # the days in the wrong order, in the form's words
            raise field_error("after", "Must be on or before the day of `before`.")
        raise form_error(form, FILTER_NAMES)
    sales = form.filtered(Order.objects.sales_of(store)).select_related("license")
    if filters.email:
        sales = sales.of_email(filters.email)
    if filters.page_key:
        sales = sales.filter(_after_key(store, filters.page_key))
    page = list(sales[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    return {
        "success": True,
        "sales": [sale_json(order) for order in page],
        "next_page_key": _page_key(store, page[-1]) if more else None,
    }


@router.get("/sales/{sale_id}", response={200: SaleAnswer, **errors(*TOKEN_ERRORS)})
def sale_get(request, sale_id: int = Path(..., ge=1, le=MAX_ID)):
    sale = (
        Order.objects.sales_of(store_of(request))
        .select_related("license")
        .filter(pk=sale_id)
        .first()
    )
    if sale is None:
        raise Http404("No sale of your store has that id.")
    return {"success": True, "sale": sale_json(sale)}
