"""One format per kind of value, in the user's language (Babel's CLDR data):
dates, moments (date and time) and their age, whole numbers, amounts, money and
country names.

Pages, tables, charts and the admin all format through here, so a date or a sum
reads the same wherever it appears.
"""

import datetime
import unicodedata
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from django.conf import settings
from django.utils import timezone, translation

UNAVAILABLE = "—"  # no value: contract data unavailable, or none to show


@lru_cache(maxsize=16)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(translation.to_locale(settings.LANGUAGE_CODE))


def current_locale() -> Locale:
    return _locale(translation.get_language() or settings.LANGUAGE_CODE)


def format_date(value: datetime.date | datetime.datetime | None) -> str:
    """'Apr 9, 2025' / '9 abr 2025' / '9 de abr. de 2025': never ambiguous."""
    if value is None:
        return UNAVAILABLE
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return babel_dates.format_date(value, format="medium", locale=current_locale())


def format_datetime(value: datetime.datetime | None) -> str:
    """A moment in the user's time zone: the date as format_date gives it and the
    time without seconds, joined as the locale joins them: 'Mar 4, 2026, 2:06 AM' /
    '4 mar 2026, 2:06' / '4 de mar. de 2026 02:06'."""
    if value is None:
        return UNAVAILABLE
    zone = timezone.get_current_timezone()
    moment = timezone.localtime(value, zone) if timezone.is_aware(value) else value
    locale = current_locale()
    return (
        babel_dates.get_datetime_format("medium", locale=locale)
        .replace("'", "")
        .replace("{0}", babel_dates.format_time(moment, format="short", locale=locale))
        .replace("{1}", babel_dates.format_date(moment.date(), format="medium", locale=locale))
    )


def format_age(value: datetime.datetime | None, *, now: datetime.datetime | None = None) -> str:
    """How long ago a moment was, rounded as people say it: '3 minutes ago' /
    'hace 3 minutos' / 'há 3 minutos'. Never in the future: another process's
    clock may run a little ahead."""
    if value is None:
        return UNAVAILABLE
    ago = max((now or timezone.now()) - value, datetime.timedelta(seconds=1))
    return babel_dates.format_timedelta(-ago, add_direction=True, locale=current_locale())


def format_month(value: datetime.date, *, short: bool = False) -> str:
    """'April 2025' (or 'Apr' when short: the chart's bars sit under their year)."""
    skeleton = "MMM" if short else "yMMMM"
    return babel_dates.format_skeleton(skeleton, value, locale=current_locale())


def format_count(value: int | None) -> str:
    """A whole number with the locale's grouping (2,000 / 2.000)."""
    if value is None:
        return UNAVAILABLE
    return babel_numbers.format_decimal(value, locale=current_locale(), group_separator=True)


def format_amount(value: Decimal | int | None) -> str:
    """An amount without its currency (for columns that name it), two decimals."""
    if value is None:
        return UNAVAILABLE
    return babel_numbers.format_decimal(
        value, format="#,##0.00", locale=current_locale(), decimal_quantization=True
    )


def format_money(value: Decimal | int | None, currency: str) -> str:
    """The locale's symbol and placement: '€1,234.50' / '1.234,50 €' / 'R$ 1.234,50'."""
    if value is None:
        return UNAVAILABLE
    return babel_numbers.format_currency(value, currency, locale=current_locale())


def currency_symbol(currency: str) -> str:
    return babel_numbers.get_currency_symbol(currency, locale=current_locale())


def country_name(code: str) -> str:
    """The country's name in the user's language; the code when CLDR has none."""
    return current_locale().territories.get(code, code)


def sort_key(text: str) -> str:
    """Alphabetical order that puts "Österreich" with the O's, not after "Z"."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
