"""dashboard.charts: the monthly chart's geometry."""

import datetime
from decimal import Decimal

from dashboard.charts import month_bars, month_chart
from data_access.selectors.panels import MonthCount


def months(*counts: int) -> list[MonthCount]:
    return [
        MonthCount(month=datetime.date(2026, number, 1), contracts=n, amount=Decimal(n))
        for number, n in enumerate(counts, start=1)
    ]


def test_month_bars_scale_to_the_busiest_month():
    bars = month_bars(months(0, 5, 10))
    assert [bar.height for bar in bars] == [0, 60, 120]
    assert [bar.y for bar in bars] == [120, 60, 0]
    assert bars[1].x == bars[0].width + 4
    assert month_bars([]) == []


def test_a_year_of_bars_fills_the_width():
    bars = month_bars(months(*range(12)))
    assert bars[-1].x + bars[-1].width == 360
    assert [bar.month for bar in bars[:2]] == ["Jan", "Feb"] and bars[0].label == "January 2026"
    assert bars[0].center == round(bars[0].width / 2, 1)


def test_no_contracts_at_all_draws_flat_bars():
    assert {bar.height for bar in month_bars(months(0, 0, 0))} == {0}


def test_the_chart_leaves_room_for_values_above_and_months_below():
    chart = month_chart(months(4, 8))
    tallest = chart.bars[1]
    # The tallest bar's value label sits in the band above the plot, inside the drawing.
    assert tallest.y == 0 and -chart.plot_top < tallest.value_y < 0
    assert chart.plot_height < chart.month_y < chart.height - chart.plot_top
    assert chart.view_box == f"0 0 {chart.width} {chart.height}"
    assert chart.height == chart.plot_top + chart.plot_height + 32


def test_the_month_under_way_is_marked_and_years_are_named():
    months = [
        MonthCount(month=datetime.date(2025, 12, 1), contracts=1, amount=Decimal(1)),
        MonthCount(month=datetime.date(2026, 1, 1), contracts=2, amount=Decimal(2)),
        MonthCount(month=datetime.date(2026, 2, 1), contracts=3, amount=Decimal(3)),
    ]
    chart = month_chart(months, today=datetime.date(2026, 2, 17))
    assert [bar.current for bar in chart.bars] == [False, False, True]
    # The first bar names its year, and so does every January.
    assert chart.first_year == "2025" and [bar.year for bar in chart.bars] == [None, "2026", None]
    assert chart.month_y < chart.year_y < chart.height - chart.plot_top
    starts_in_january = month_chart(months[1:], today=datetime.date(2026, 5, 1))
    assert starts_in_january.first_year is None
    assert not any(bar.current for bar in starts_in_january.bars)
