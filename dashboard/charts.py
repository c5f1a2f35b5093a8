"""The monthly bar chart's geometry, in SVG user units, computed on the server
(the page's CSP forbids inline styles, and the chart needs no JavaScript)."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from dashboard.formats import format_month
from data_access.selectors.panels import MonthCount

PLOT_WIDTH = 360
PLOT_HEIGHT = 120  # the tallest bar
BAR_GAP = 4
VALUE_BAND = 14  # above the plot: the tallest bar's value label
MONTH_BAND = 32  # below the plot: the month labels, then the year under January and the first bar
LABEL_OFFSET = 3  # between a bar's top and its value label


@dataclass(frozen=True, slots=True)
class Bar:
    """One month; y and height are within the plot, whose top is at 0."""

    x: float
    y: float
    width: float
    height: float
    start: datetime.date  # the month's first day
    contracts: int
    amount: Decimal
    current: bool = False  # the month under way: its figures are not final

    @property
    def label(self) -> str:
        """The month and its year, in the user's language ("November 2026")."""
        return format_month(self.start)

    @property
    def month(self) -> str:
        """The short month under the bar ("Nov")."""
        return format_month(self.start, short=True)

    @property
    def year(self) -> str | None:
        """The year under January, so every bar's year can be read."""
        return str(self.start.year) if self.start.month == 1 else None

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def value_y(self) -> float:
        return round(self.y - LABEL_OFFSET, 1)


@dataclass(frozen=True, slots=True)
class MonthChart:
    """Bars inside a plot drawn `plot_top` units below the top of the drawing."""

    bars: list[Bar]
    width: int = PLOT_WIDTH
    plot_top: int = VALUE_BAND
    plot_height: int = PLOT_HEIGHT

    @property
    def height(self) -> int:
        return self.plot_top + self.plot_height + MONTH_BAND

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def month_y(self) -> int:
        """Baseline of the month labels, in plot units."""
        return self.plot_height + 16

    @property
    def year_y(self) -> int:
        """Baseline of the year labels, under the months."""
        return self.plot_height + MONTH_BAND - 4

    @property
    def first_year(self) -> str | None:
        """The first bar's year, unless it is a January (which names its own)."""
        if not self.bars or self.bars[0].year:
            return None
        return str(self.bars[0].start.year)


def month_bars(months: Iterable[MonthCount], *, today: datetime.date | None = None) -> list[Bar]:
    """One bar per month, the busiest month as tall as the plot; the month that
    contains `today` is marked current."""
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    months = list(months)
    if not months:
        return []
    peak = max(month.contracts for month in months) or 1
    width = (PLOT_WIDTH - BAR_GAP * (len(months) - 1)) / len(months)
    bars = []
    for index, month in enumerate(months):
        height = round(PLOT_HEIGHT * month.contracts / peak, 1)
        bars.append(
            Bar(
                x=round(index * (width + BAR_GAP), 1),
                y=round(PLOT_HEIGHT - height, 1),
                width=round(width, 1),
                height=height,
                start=month.month,
                contracts=month.contracts,
                amount=month.amount,
                current=month.month == this_month,
            )
        )
    return bars


def month_chart(months: Iterable[MonthCount], *, today: datetime.date | None = None) -> MonthChart:
    return MonthChart(bars=month_bars(months, today=today))
