"""django-tables2 tables for the dashboard.

django-tables2 renders the cells (render_FOO hooks); the header row and the
paging are ours, because sorting and paging go through the data_access query
objects (ClientQuery / ContractQuery) rather than tables2's own ordering.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dashboard.templatetags.money import format_money

UNAVAILABLE = "—"


@dataclass(frozen=True, slots=True)
class SortHeader:
    label: str
    name: str
    href: str  # the querystring sorting by this column (toggling direction)
    aria_sort: str  # ascending | descending | none
    numeric: bool


class QueryTable(tables.Table):
    """A table whose headers sort through a query object's querystring()."""

    sort_keys: dict[str, str] = {}  # column name -> the query's sort key
    numeric_columns: frozenset[str] = frozenset()

    def __init__(self, data: Iterable[Any], *, query: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(list(data), orderable=False, **kwargs)
        self.query = query
        self.currency = currency

    @property
    def headers(self) -> list[SortHeader]:
        headers = []
        for column in self.columns:
            key = self.sort_keys[column.name]
            active = self.query.sort == key
            if active:
                aria = "descending" if self.query.descending else "ascending"
                descending = not self.query.descending
            else:
                aria = "none"
                # Amounts and dates are most useful largest/newest first.
                descending = column.name in self.numeric_columns
            headers.append(
                SortHeader(
                    label=str(column.header),
                    name=column.name,
                    href=self.query.querystring(sort=key, descending=descending),
                    aria_sort=aria,
                    numeric=column.name in self.numeric_columns,
                )
            )
        return headers


class ClientTable(QueryTable):
    name = tables.Column(verbose_name=_("Name"))
    email = tables.Column(verbose_name=_("Email"))
    country = tables.Column(verbose_name=_("Country"))
    created_at = tables.Column(verbose_name=_("Created"))
    contract_count = tables.Column(verbose_name=_("Contracts"), default=UNAVAILABLE)
    total_amount = tables.Column(verbose_name=_("Total"), default=UNAVAILABLE)

    sort_keys = {
        "name": "name",
        "email": "email",
        "country": "country",
        "created_at": "created",
        "contract_count": "contracts",
        "total_amount": "total",
    }
    numeric_columns = frozenset({"contract_count", "total_amount"})

    def render_name(self, value: str, record: Any) -> str:
        url = reverse("dashboard:client_detail", args=[record.id])
        inactive = format_html(' <span class="badge">{}</span>', _("inactive"))
        return format_html(
            '<a href="{}">{}</a>{}', url, value, "" if record.is_active else inactive
        )

    def render_created_at(self, value: Any) -> str:
        return value.date().isoformat()

    def render_total_amount(self, value: Decimal) -> str:
        return format_money(value, self.currency)


class ContractTable(QueryTable):
    title = tables.Column(verbose_name=_("Title"))
    client_id = tables.Column(verbose_name=_("Client"))
    amount = tables.Column(verbose_name=_("Amount"))
    signed_on = tables.Column(verbose_name=_("Signed on"))
    is_active = tables.Column(verbose_name=_("Status"))

    sort_keys = {
        "title": "title",
        "client_id": "client",
        "amount": "amount",
        "signed_on": "signed",
        "is_active": "status",
    }
    numeric_columns = frozenset({"amount", "signed_on"})

    def render_client_id(self, value: int, record: Any) -> str:
        if record.client_name is None:
            return format_html(
                '<span class="warning">{}</span>',
                _("Missing client #%(id)s") % {"id": value},
            )
        url = reverse("dashboard:client_detail", args=[value])
        return format_html('<a href="{}">{}</a>', url, record.client_name)

    def render_amount(self, value: Decimal) -> str:
        return format_money(value, self.currency)

    def render_signed_on(self, value: Any) -> str:
        return value.isoformat()

    def render_is_active(self, value: bool) -> str:
        return str(_("Active") if value else _("Inactive"))
