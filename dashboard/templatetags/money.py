"""{{ amount|money:currency }}: an amount in the tenant's currency, the user's locale."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


def format_money(amount: Decimal | int | None, currency: str) -> str:
    if amount is None:
        return "—"
    # Grouping makes large totals readable; the locale decides the separators.
    return f"{number_format(amount, 2, use_l10n=True, force_grouping=True)} {currency}"


@register.filter
def money(amount: Decimal | int | None, currency: str) -> str:
    return format_money(amount, currency)


@register.filter
def count(value: int | None) -> str:
    """A whole number with the locale's grouping (2,000 / 2.000)."""
    return "—" if value is None else number_format(value, force_grouping=True)
