import csv
from datetime import timedelta

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.views import View
from django.views.generic import ListView

from orders.charts import revenue_chart
from orders.forms import SalesFilterForm
from orders.models import Order, with_sales
from products.models import Product
from stores.views import StoreOwnerRequiredMixin
from yumroad_site.money import cents_to_decimal
from yumroad_site.views import PaginatedMixin

# The sales the dashboard shows; the sales page has them all.
RECENT_SALES = 5
# The drafts and archived products the dashboard shows (newest first), together.
UNLISTED_SHOWN = 100
# The days of the dashboard's revenue chart, today included.
CHART_DAYS = 30


class LibraryView(LoginRequiredMixin, PaginatedMixin, ListView):
    """What the logged-in user bought, with fresh download links."""

    paginate_by = 20
    template_name = "orders/library.html"

    def get_queryset(self):
        return Order.objects.library_of(self.request.user)


class DashboardView(StoreOwnerRequiredMixin, PaginatedMixin, ListView):
    """A creator's home: their store's link, its published products with their sales,
    its drafts and archived products apart, the last few sales. A member without a
    store opens one first (StoreOwnerRequiredMixin), then comes back here."""

    paginate_by = 25
    template_name = "orders/dashboard.html"

    def get_queryset(self):
        return with_sales(Product.objects.listed().for_store(self.store))

    def get_context_data(self, **kwargs):
        recent_sales = Order.objects.sales_of(self.store)[:RECENT_SALES]
        unlisted = with_sales(Product.objects.unlisted().for_store(self.store))
        unlisted = list(unlisted[:UNLISTED_SHOWN])
        today = timezone.now().date()  # now() is in UTC
        first = today - timedelta(days=CHART_DAYS - 1)
        net_by_day = (
            Order.objects.sales_of(self.store).paid_within(first=first, last=today).net_by_day()
        )
        return super().get_context_data(
            store=self.store,
            recent_sales=recent_sales,
            chart=revenue_chart(net_by_day, last_day=today, days=CHART_DAYS),
            drafts=[p for p in unlisted if p.status == Product.Status.DRAFT],
            archived=[p for p in unlisted if p.status == Product.Status.ARCHIVED],
            unlisted_cut=len(unlisted) == UNLISTED_SHOWN,
            **kwargs,
        )


class SalesView(StoreOwnerRequiredMixin, PaginatedMixin, ListView):
    """The store's sales with their totals, filtered by the days paid and the product;
    a filter that makes no sense answers 400 and says why."""

    paginate_by = 25
    template_name = "orders/sales.html"

    def get(self, request, *args, **kwargs):
        self.filter_form = SalesFilterForm(request.GET, store=self.store)
        response = super().get(request, *args, **kwargs)
        if not self.filter_form.is_valid():
            response.status_code = 400
        return response

    def get_queryset(self):
        if not self.filter_form.is_valid():
            return Order.objects.none()
        sales = Order.objects.sales_of(self.store).select_related("license")
        return self.filter_form.filtered(sales)

    def get_context_data(self, **kwargs):
        valid = self.filter_form.is_valid()
        totals = self.object_list.totals() if valid else None
        return super().get_context_data(
            store=self.store,
            filter_form=self.filter_form,
            filter_query=self.filter_form.query() if valid else "",
            totals=totals,
            **kwargs,
        )


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value):
    # A spreadsheet would run a cell that starts like a formula.
    value = str(value)
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class SalesExportView(StoreOwnerRequiredMixin, View):
    """The sales page's rows as CSV, streamed, however many there are, with the same
    filter; money in units with two decimals."""

    def get(self, request):
        form = SalesFilterForm(request.GET, store=self.store)
        if not form.is_valid():
            return HttpResponseBadRequest(
                f"This filter of sales is not valid:\n{form.errors.as_text()}\n",
                content_type="text/plain; charset=utf-8",
            )
        sales = form.filtered(Order.objects.sales_of(self.store))
        writer = csv.writer(_Echo())
        header = [
            "date",
            "order",
            "product",
            "buyer email",
            "amount",
            "currency",
            "status",
            "fee",
            "net",
            "refunded",
            "dispute",
            "discount code",
            "discount",
        ]

        def rows():
            yield writer.writerow(header)
            for order in sales.iterator(chunk_size=500):
                yield writer.writerow(
                    [
                        order.paid_at.isoformat(),
                        order.number,
                        _csv_cell(order.product_name),
                        _csv_cell(order.email),
                        cents_to_decimal(order.amount_cents),
                        order.currency.upper(),
                        order.status,
                        cents_to_decimal(order.fee_cents),
                        cents_to_decimal(order.net_cents),
                        cents_to_decimal(order.refunded_cents),
                        order.dispute_status,
                        order.discount_code_name,
                        cents_to_decimal(order.discount_cents),
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="yumroad-sales.csv"'
        return response
