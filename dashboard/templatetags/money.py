"""{{ amount|money:currency }}: an amount in the tenant's currency, the user's locale
({{ amount|amount }} without the currency, for columns that name it in their header)."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()
UNAVAILABLE = "—"  # no value: contract data unavailable, or none to show


def format_amount(amount: Decimal | int | None) -> str:
    if amount is None:
        return UNAVAILABLE
    # Grouping makes large totals readable; the locale decides the separators.
    return number_format(amount, 2, use_l10n=True, force_grouping=True)


def format_money(amount: Decimal | int | None, currency: str) -> str:
    if amount is None:
        return UNAVAILABLE
    return f"{format_amount(amount)} {currency}"


@register.filter
def money(amount: Decimal | int | None, currency: str) -> str:
    return format_money(amount, currency)


@register.filter
def amount(value: Decimal | int | None) -> str:
    return format_amount(value)


@register.filter
def count(value: int | None) -> str:
    """A whole number with the locale's grouping (2,000 / 2.000)."""
    return UNAVAILABLE if value is None else number_format(value, force_grouping=True)
