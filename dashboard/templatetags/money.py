"""Formats for templates, from dashboard.formats (the user's language, Babel):
{{ amount|money:currency }} an amount with the locale's currency symbol,
{{ amount|amount }} without it (for columns that name it in their header),
{{ number|count }} a whole number, {{ date|day }} a date, {{ moment|moment }} a date
and time in the user's time zone, {{ moment|ago }} how long ago it was, {{ code|country }}."""

from datetime import date, datetime
from decimal import Decimal

from django import template

from dashboard import formats

register = template.Library()


@register.filter
def money(amount: Decimal | int | None, currency: str) -> str:
    return formats.format_money(amount, currency)


@register.filter
def amount(value: Decimal | int | None) -> str:
    return formats.format_amount(value)


@register.filter
def count(value: int | None) -> str:
    return formats.format_count(value)


@register.filter
def day(value: date | datetime | None) -> str:
    return formats.format_date(value)


@register.filter
def moment(value: datetime | None) -> str:
    return formats.format_datetime(value)


@register.filter
def ago(value: datetime | None) -> str:
    return formats.format_age(value)


@register.filter
def country(code: str) -> str:
    return formats.country_name(code)


@register.simple_tag
def currency_symbol(currency: str) -> str:
    return formats.currency_symbol(currency)
