"""The dashboard's chart of net revenue by day: the bars and the axis' lines of an SVG
drawn on the server (templates/orders/_revenue_chart.html), in its own units."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.dateformat import format as date_format

from yumroad_site.money import format_money

# Room for the money axis on the left and the days under the bars.
LEFT, TOP, BOTTOM, RIGHT = 72, 10, 26, 24
SLOT = 14  # a day's width: its bar and the gap after it
BAR = 10
PLOT_HEIGHT = 160
# The most lines across the plot above zero.
LINES = 4
# Every this many days, counted back from the last, a day is named under its bar.
DAY_LABEL_EVERY = 7


@dataclass(frozen=True)
class Bar:
    day: date
    cents: int
    x: int
    y: int
    height: int
    labelled: bool  # whether the day's name shows under it

    width = BAR

    @property
    def money(self):
        return format_money(self.cents)

    @property
    def middle(self):
        return self.x + BAR // 2


@dataclass(frozen=True)
class Line:
    cents: int
    y: int

    @property
    def label(self):
        # Lines fall on whole dollars (or the currency's units): no cents to show.
        return format_money(self.cents).replace(".00", "")


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    lines: list[Line]

    left = LEFT  # where the plot starts, right of the money axis
    baseline = TOP + PLOT_HEIGHT  # the zero line
    height = TOP + PLOT_HEIGHT + BOTTOM

    @property
    def right(self):
        return LEFT + len(self.bars) * SLOT

    @property
    def width(self):
        return self.right + RIGHT

    @property
    def money_x(self):
        """Where the money axis' labels end."""
        return LEFT - 6

    @property
    def day_y(self):
        """Where the days' names stand, under the bars."""
        return self.baseline + 19

    @property
    def total_cents(self):
        return sum(bar.cents for bar in self.bars)

    @property
    def total(self):
        return format_money(self.total_cents)

    @property
    def label(self):
        """What the chart shows, in words: its days and their total."""
        first, last = self.bars[0].day, self.bars[-1].day
        return (
            f"Net revenue of the last {len(self.bars)} days, {date_format(first, 'j M')} "
            f"to {date_format(last, 'j M Y')}: {self.total}"
        )


def line_step(largest):
    """The cents between two lines of the axis: 1, 2 or 5 times a power of ten of whole
    dollars, the smallest with which LINES lines reach `largest`."""
    power = 100
    while True:
        for factor in (1, 2, 5):
            if factor * power * LINES >= largest:
                return factor * power
        power *= 10


def revenue_chart(cents_by_day, *, last_day, days):
    """The chart of `days` days ending with `last_day`: each day's bar as tall as its
    cents in `cents_by_day` ({date: cents}, none below zero; a day missing is zero, a
    day outside the range left out), over lines at round amounts from zero up."""
    day_list = [last_day - timedelta(days=back) for back in range(days - 1, -1, -1)]
    amounts = [cents_by_day.get(day, 0) for day in day_list]
    step = line_step(max(amounts))
    top = step * max(1, -(-max(amounts) // step))

    def height_of(cents):
        return round(cents * PLOT_HEIGHT / top)

    bars = []
    for index, (day, cents) in enumerate(zip(day_list, amounts, strict=True)):
        # The smallest sale still shows.
        height = max(height_of(cents), 1) if cents else 0
        bars.append(
            Bar(
                day=day,
                cents=cents,
                x=LEFT + index * SLOT + (SLOT - BAR) // 2,
                y=TOP + PLOT_HEIGHT - height,
                height=height,
                labelled=(days - 1 - index) % DAY_LABEL_EVERY == 0,
            )
        )
    lines = [
        Line(cents=cents, y=TOP + PLOT_HEIGHT - height_of(cents))
        for cents in range(0, top + 1, step)
    ]
    return Chart(bars=bars, lines=lines)
