"""dashboard.formats: one format per kind of value, in the active language."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from dashboard.formats import (
    UNAVAILABLE,
    country_name,
    currency_symbol,
    format_age,
    format_amount,
    format_count,
    format_date,
    format_datetime,
    format_money,
    format_month,
    sort_key,
)

DAY = datetime.date(2025, 4, 9)


@pytest.mark.parametrize(
    ("language", "date", "count", "money", "brl"),
    [
        ("en", "Apr 9, 2025", "5,275", "€1,234.50", "R$1,234.50"),
        ("es", "9 abr 2025", "5.275", "1.234,50\xa0€", "1.234,50\xa0BRL"),
        ("pt-br", "9 de abr. de 2025", "5.275", "€\xa01.234,50", "R$\xa01.234,50"),
    ],
)
def test_each_kind_of_value_follows_the_language(language, date, count, money, brl):
    with translation.override(language):
        assert format_date(DAY) == date
        assert format_count(5275) == count
        # The locale's symbol, before or after the amount, with or without a space.
        assert format_money(Decimal("1234.5"), "EUR") == money
        assert format_money(Decimal("1234.5"), "BRL") == brl


def test_amounts_keep_two_decimals_and_group_thousands():
    with translation.override("en"):
        assert format_amount(Decimal("1234567.5")) == "1,234,567.50"
        assert format_amount(3) == "3.00"
    with translation.override("pt-br"):
        assert format_amount(Decimal("1234567.5")) == "1.234.567,50"


def test_a_datetime_is_shown_as_its_local_date():
    moment = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)
    with translation.override("en"):
        assert format_date(moment) == "Mar 4, 2026"


@pytest.mark.parametrize(
    ("language", "utc", "sao_paulo"),
    [
        ("en", "Mar 4, 2026, 5:06\u202fAM", "Mar 4, 2026, 2:06\u202fAM"),
        ("es", "4 mar 2026, 5:06", "4 mar 2026, 2:06"),
        ("pt-br", "4 de mar. de 2026 05:06", "4 de mar. de 2026 02:06"),
    ],
)
def test_a_moment_follows_the_language_and_the_time_zone(language, utc, sao_paulo):
    moment = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)
    with translation.override(language):
        assert format_datetime(moment) == utc
        with timezone.override("America/Sao_Paulo"):
            assert format_datetime(moment) == sao_paulo
        # Its date reads as format_date writes it, in the same zone.
        with timezone.override("Asia/Tokyo"):
            assert format_datetime(moment).startswith(format_date(moment))
        assert format_datetime(None) == UNAVAILABLE


@pytest.mark.parametrize(
    ("language", "minutes", "seconds", "ahead"),
    [
        ("en", "3 minutes ago", "20 seconds ago", "1 second ago"),
        ("es", "hace 3 minutos", "hace 20 segundos", "hace 1 segundo"),
        ("pt-br", "há 3 minutos", "há 20 segundos", "há 1 segundo"),
    ],
)
def test_an_age_says_how_long_ago_in_the_language(language, minutes, seconds, ahead):
    moment = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)
    later = datetime.timedelta
    with translation.override(language):
        assert format_age(moment, now=moment + later(minutes=3, seconds=10)) == minutes
        assert format_age(moment, now=moment + later(seconds=20)) == seconds
        # A moment from a clock slightly ahead is never "in 2 seconds".
        assert format_age(moment, now=moment - later(seconds=2)) == ahead
        assert format_age(None) == UNAVAILABLE


def test_months_name_their_year():
    with translation.override("en"):
        assert format_month(DAY) == "April 2025" and format_month(DAY, short=True) == "Apr"
    with translation.override("pt-br"):
        assert format_month(DAY) == "abril de 2025"


def test_missing_values_show_a_dash():
    assert {format_date(None), format_count(None), format_amount(None)} == {UNAVAILABLE}
    assert format_money(None, "EUR") == UNAVAILABLE


def test_country_names_and_currency_symbols_are_translated():
    with translation.override("es"):
        assert country_name("DE") == "Alemania" and currency_symbol("USD") == "US$"
    with translation.override("pt-br"):
        assert country_name("DE") == "Alemanha" and currency_symbol("BRL") == "R$"
    with translation.override("en"):
        assert country_name("DE") == "Germany" and country_name("XX") == "XX"


def test_sorting_ignores_accents_and_case():
    assert sorted(["Zambia", "Österreich", "alemania"], key=sort_key) == [
        "alemania", "Österreich", "Zambia",
    ]  # fmt: skip
