"""The dashboard's chart of net revenue by day over the last 30 UTC days: the drawing
(orders.charts), the figures it is drawn from, and how the page names them."""

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.charts import PLOT_HEIGHT, line_step, revenue_chart
from orders.models import Order, refunded_net_of
from tests.factories import OrderFactory, SellableProductFactory

DASHBOARD_URL = reverse("dashboard")
LAST = date(2026, 12, 2)


def bar_of(chart, day):
    [bar] = [bar for bar in chart.bars if bar.day == day]
    return bar


class TestTheDrawing:
    def test_has_a_bar_for_each_day_zero_days_included(self):
        chart = revenue_chart({LAST: 400}, last_day=LAST, days=30)

        assert [bar.day for bar in chart.bars] == [
            LAST - timedelta(days=back) for back in range(29, -1, -1)
        ]
        assert [bar.cents for bar in chart.bars] == [0] * 29 + [400]
        assert [bar.height for bar in chart.bars] == [0] * 29 + [PLOT_HEIGHT]

    def test_bars_are_as_tall_as_their_share_of_the_top_line(self):
        # $80.00 at most: lines every $20.00, up to $80.00.
        chart = revenue_chart(
            {LAST: 8000, LAST - timedelta(days=1): 2000, LAST - timedelta(days=2): 6000},
            last_day=LAST,
            days=30,
        )

        assert [line.cents for line in chart.lines] == [0, 2000, 4000, 6000, 8000]
        assert [line.label for line in chart.lines] == ["$0", "$20", "$40", "$60", "$80"]
        assert [bar.height for bar in chart.bars[-3:]] == [120, 40, 160]
        # Each bar stands on the zero line, and the top line is the tallest bar's top.
        assert {bar.y + bar.height for bar in chart.bars} == {chart.baseline}
        assert chart.lines[0].y == chart.baseline
        assert chart.lines[-1].y == chart.bars[-1].y

    def test_the_smallest_sale_still_shows(self):
        chart = revenue_chart(
            {LAST: 1_000_000, LAST - timedelta(days=1): 1}, last_day=LAST, days=30
        )

        assert bar_of(chart, LAST - timedelta(days=1)).height == 1

    def test_days_outside_the_range_are_left_out(self):
        chart = revenue_chart(
            {LAST + timedelta(days=1): 999, LAST - timedelta(days=30): 999, LAST: 100},
            last_day=LAST,
            days=30,
        )

        assert chart.total_cents == 100
        assert chart.total == "$1.00"

    def test_thirty_days_of_nothing_draw_no_bar_and_one_line_over_zero(self):
        chart = revenue_chart({}, last_day=LAST, days=30)

        assert chart.total == "$0.00"
        assert {bar.height for bar in chart.bars} == {0}
        assert [line.label for line in chart.lines] == ["$0", "$1"]

    def test_every_seventh_day_back_from_the_last_is_named(self):
        chart = revenue_chart({}, last_day=LAST, days=30)

        named = [bar.day.day for bar in chart.bars if bar.labelled]
        assert named == [4, 11, 18, 25, 2]

    def test_the_label_names_the_days_and_the_total(self):
        chart = revenue_chart({LAST: 123_456, LAST - timedelta(days=3): 44}, last_day=LAST, days=30)

        assert chart.label == "Net revenue of the last 30 days, 3 Nov to 2 Dec 2026: $1,235.00"

    def test_it_fits_its_box(self):
        chart = revenue_chart({LAST: 5}, last_day=LAST, days=30)

        assert chart.bars[0].x >= chart.left
        assert chart.bars[-1].x + chart.bars[-1].width <= chart.right < chart.width
        assert min(line.y for line in chart.lines) >= 0
        assert chart.day_y < chart.height

    @pytest.mark.parametrize(
        ("largest", "step"),
        [
            (0, 100),
            (1, 100),
            (400, 100),
            (401, 200),
            (800, 200),
            (801, 500),
            (2000, 500),
            (2001, 1000),
            (123_456, 50_000),
            (10**12, 5 * 10**11),
        ],
    )
    def test_lines_fall_on_one_two_or_five_whole_dollars_times_ten(self, largest, step):
        assert line_step(largest) == step


@pytest.fixture(autouse=True)
def _fee(settings):
    settings.PLATFORM_FEE_PERCENT = Decimal("10")
    settings.PLATFORM_FEE_CENTS = 50


@pytest.fixture
def owner_client(client, store):
    client.force_login(store.owner)
    return client


def today():
    return timezone.now().date()


def at_start_of(day):
    return datetime.combine(day, time.min, tzinfo=UTC)


def chart_of(response):
    return response.context["chart"]


@pytest.mark.django_db
class TestTheDashboard:
    def test_sums_the_net_after_refunds_by_utc_day_paid(self, owner_client, store):
        product = SellableProductFactory(store=store, price_cents=1200)  # net $10.30
        first_day = today() - timedelta(days=29)
        OrderFactory.create_batch(2, product=product, paid_at=at_start_of(today()))
        # The first of the 30 days from its first microsecond, the day before not at all.
        OrderFactory(product=product, paid_at=at_start_of(first_day))
        OrderFactory(product=product, paid_at=at_start_of(first_day) - timedelta(microseconds=1))
        # A refund takes its share of the net back; a whole refund takes all of it.
        partly = OrderFactory(product=product, paid_at=at_start_of(first_day) + timedelta(hours=23))
        partly.refunded_cents = 600
        partly.refunded_net_cents = refunded_net_of(
            net_cents=partly.net_cents, refunded_cents=600, amount_cents=1200
        )
        partly.save()
        OrderFactory(product=product, status=Order.Status.REFUNDED, paid_at=at_start_of(today()))
        # Neither unpaid orders nor other stores' sales count.
        OrderFactory(product=product, status=Order.Status.PENDING, paid_at=None)
        OrderFactory(product=product, status=Order.Status.FAILED, paid_at=None)
        OrderFactory(paid_at=at_start_of(today()))

        chart = chart_of(owner_client.get(DASHBOARD_URL))

        assert len(chart.bars) == 30
        assert (chart.bars[0].day, chart.bars[-1].day) == (first_day, today())
        # $10.30 and $10.30 - $5.15 on the first day, twice $10.30 today.
        assert [bar.cents for bar in chart.bars] == [1545] + [0] * 28 + [2060]
        assert chart.total_cents == 3605

    def test_names_the_total_for_eyes_and_screen_readers(self, owner_client, store):
        product = SellableProductFactory(store=store, price_cents=1200)
        OrderFactory.create_batch(3, product=product, paid_at=at_start_of(today()))

        body = owner_client.get(DASHBOARD_URL).content.decode()

        first, last = today() - timedelta(days=29), today()
        label = (
            f"Net revenue of the last 30 days, {first.day} {first:%b} to "
            f"{last.day} {last:%b %Y}: $30.90"
        )
        assert f'role="img" aria-label="{label}"' in body
        assert f"<title>{label}</title>" in body
        assert 'data-total="net-30-days">$30.90</span>' in body
        assert re.search(
            r'<rect class="revenue-chart-bar" [^>]*><title>[^<]*: \$30\.90</title>', body
        )

    def test_has_the_same_figures_in_a_table(self, owner_client, store):
        product = SellableProductFactory(store=store, price_cents=1200)
        OrderFactory(product=product, paid_at=at_start_of(today()))

        body = owner_client.get(DASHBOARD_URL).content.decode()

        table = body[body.index("<summary>The figures by day</summary>") : body.index("</details>")]
        rows = re.findall(r'<th scope="row"[^>]*>([^<]+)</th><td[^>]*>([^<]+)</td>', table)
        assert len(rows) == 31
        assert rows[0] == (f"{(today() - timedelta(days=29)):%-d %b %Y}", "$0.00")
        assert rows[-2] == (f"{today():%-d %b %Y}", "$10.30")
        assert rows[-1] == ("Total", "$10.30")

    def test_a_new_store_sees_thirty_days_of_nothing(self, owner_client, store):
        body = owner_client.get(DASHBOARD_URL).content.decode()

        assert 'data-total="net-30-days">$0.00</span>' in body
        assert "<rect" not in body
        assert body.count('<td class="text-end">$0.00</td>') == 30

    def test_is_drawn_without_style_attributes_or_scripts(self, owner_client, store):
        OrderFactory(product=SellableProductFactory(store=store), paid_at=at_start_of(today()))

        body = owner_client.get(DASHBOARD_URL).content.decode()

        svg = body[body.index("<svg") : body.index("</svg>")]
        assert " style=" not in body
        assert "<style" not in body
        assert "<script" not in svg
        assert 'viewBox="0 0 516 196"' in svg
        # Its size comes from the site's CSS: no width or height of its own.
        assert not re.search(r"<svg[^>]* (width|height)=", svg)
