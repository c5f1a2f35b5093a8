"""The monthly bar chart's geometry, in SVG user units, computed on the server
(the page's CSP forbids inline styles, and the chart needs no JavaScript)."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from data_access.selectors.panels import MonthCount

PLOT_WIDTH = 360
PLOT_HEIGHT = 120  # the tallest bar
BAR_GAP = 4
VALUE_BAND = 14  # above the plot: the tallest bar's value label
MONTH_BAND = 20  # below the plot: the month labels
LABEL_OFFSET = 3  # between a bar's top and its value label


@dataclass(frozen=True, slots=True)
class Bar:
    """One month; y and height are within the plot, whose top is at 0."""

    x: float
    y: float
    width: float
    height: float
    label: str  # YYYY-MM
    contracts: int
    amount: Decimal

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def value_y(self) -> float:
        return round(self.y - LABEL_OFFSET, 1)

    @property
    def month(self) -> str:
        return self.label[5:]


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
        return self.plot_height + MONTH_BAND - 4


def month_bars(months: Iterable[MonthCount]) -> list[Bar]:
    """One bar per month, the busiest month as tall as the plot."""
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
                label=month.month.strftime("%Y-%m"),
                contracts=month.contracts,
                amount=month.amount,
            )
        )
    return bars


def month_chart(months: Iterable[MonthCount]) -> MonthChart:
    return MonthChart(bars=month_bars(months))
