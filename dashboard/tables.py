"""django-tables2 tables of the dashboard, built from data_access's sort columns.

Each SortColumn becomes one tables2 column named by its URL key, with its label,
its row attribute and its first-click direction. The selectors have sorted and
paged the rows already: tables2 marks the sorted column (order_by) and renders
the cells (render_FOO hooks), but never re-sorts the rows.
"""

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django_tables2.columns import BoundColumn
from django_tables2.data import TableListData
from django_tables2.utils import signature

from dashboard.formats import UNAVAILABLE, format_count, format_date, format_money
from dashboard.querystrings import querystring
from data_access.querying import ResultPage, SortColumn


class PresortedRows(TableListData):
    """Rows in the order the selector returned them."""

    def order_by(self, aliases: Any) -> None:
        pass  # the database sorted them, ties and collation included


def aria_sort(bound_column: BoundColumn) -> str:
    if not bound_column.is_ordered:
        return "none"
    return "descending" if bound_column.order_by_alias.is_descending else "ascending"


def sort_column(column: SortColumn) -> tables.Column:
    return tables.Column(
        accessor=column.attribute,
        verbose_name=column.label,
        initial_sort_descending=column.descending_first,
        attrs={"th": {"aria-sort": aria_sort}},
    )


def cell_renderer(bound_column: BoundColumn) -> Callable[[Any], Any]:
    """A function drawing this column's cell of a record, as `BoundRow.get_cell` does
    (the empty values give the column's default; the hook gets the arguments it
    names), for records that are plain rows: no model choices, no links."""
    hook = bound_column.render
    wanted, takes_any = signature(hook)
    accessor = bound_column.accessor
    empty_values = bound_column.column.empty_values
    default = bound_column.default
    column, table = bound_column.column, bound_column._table

    def cell(record: Any) -> Any:
        value = accessor.resolve(record)
        if value in empty_values:
            return default
        arguments = {"value": value, "record": record, "column": column, "table": table}
        arguments |= {"bound_column": bound_column}
        if not takes_any:
            arguments = {name: arguments[name] for name in wanted}
        return hook(**arguments)

    return cell


class BodyRow(list):
    """One row's (td attributes, column label, cell) triples, and the row itself."""

    def __init__(self, cells: list[tuple[str, str, Any]], record: Any) -> None:
        super().__init__(cells)
        self.record = record


class QueryTable(tables.Table):
    """One page of a query's rows, a column per sortable column of the query.

    A header links to the query sorted by its column (`column.order_by_alias.next`,
    the other direction once sorted by it), through dashboard.querystrings.
    """

    numeric: ClassVar[frozenset[str]] = frozenset()

    class Meta:
        default = UNAVAILABLE

    def __init__(self, page: ResultPage, *, currency: str) -> None:
        self.page = page
        self.query = page.query
        self.currency = currency
        super().__init__(
            PresortedRows(page.object_list),
            order_by=(self.query.sort,),
            extra_columns=[(column.key, sort_column(column)) for column in self.query.COLUMNS],
        )

    def get_column_class_names(self, classes_set: set[str], bound_column: BoundColumn) -> set[str]:
        classes = {f"col-{bound_column.name}"}
        if bound_column.name in self.numeric:
            classes.add("num")
        return classes

    @property
    def body(self) -> list[BodyRow]:
        """Rows of (td attributes, column label, cell).

        Each cell is what django-tables2's `row.get_cell(name)` gives, but each
        column's label, attributes and hook arguments are worked out once per table:
        tables2 inspects the hook's signature again for every cell.
        """
        columns = [
            (column.attrs["td"].as_html(), str(column.header), cell_renderer(column))
            for column in self.columns
        ]
        return [
            BodyRow([(attrs, label, cell(record)) for attrs, label, cell in columns], record)
            for record in self.data
        ]

    @cached_property
    def fingerprint(self) -> str:
        """A digest of everything the drawn table shows: its rows, their count, the
        page, the query its links keep, the currency, the language and the time zone.
        Equal digests draw equal HTML, so a drawn table is reused for whoever asks
        the same of the same data (templates/dashboard/home.html caches it)."""
        shown = (
            type(self).__name__,
            querystring(self.query),
            self.page.number,
            self.page.paginator.count,
            self.currency,
            translation.get_language(),
            timezone.get_current_timezone_name(),
            self.page.object_list,
        )
        return hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()

    @property
    def page_range(self) -> list[int | str]:
        """1 … 4 5 [6] 7 8 … 20 (Paginator.ELLIPSIS for the gaps); none past the end."""
        paginator = self.page.paginator
        if self.page.number > paginator.num_pages:
            return []
        return list(paginator.get_elided_page_range(self.page.number, on_each_side=2, on_ends=1))


class ClientTable(QueryTable):
    numeric = frozenset({"contracts", "total"})

    @cached_property
    def back(self) -> str:
        """The detail's way back returns to this very table: '?back=…', or ''."""
        back = querystring(self.query)[1:]
        return "?" + urlencode({"back": back}) if back else ""

    def render_name(self, value: str, record: Any) -> str:
        url = reverse("dashboard:client_detail", args=[record.id]) + self.back
        inactive = format_html(' <span class="badge">{}</span>', _("inactive"))
        return format_html(
            '<a href="{}">{}</a>{}', url, value, "" if record.is_active else inactive
        )

    def render_created(self, value: datetime) -> str:
        return format_date(value)

    def render_contracts(self, value: int) -> str:
        return format_count(value)

    def render_total(self, value: Decimal) -> str:
        return format_money(value, self.currency)


class ContractTable(QueryTable):
    numeric = frozenset({"amount"})

    def render_title(self, value: str, record: Any) -> str:
        url = reverse("tenant_admin:data_access_contract_change", args=[record.id])
        return format_html('<a href="{}">{}</a>', url, value)

    def render_client(self, value: int, record: Any) -> str:
        if record.client_name is None:
            return format_html(
                '<span class="warning">{}</span>',
                _("Missing client #%(id)s") % {"id": value},
            )
        url = reverse("dashboard:client_detail", args=[value])
        return format_html('<a href="{}">{}</a>', url, record.client_name)

    def render_amount(self, value: Decimal) -> str:
        return format_money(value, self.currency)

    def render_signed(self, value: date) -> str:
        return format_date(value)

    def render_status(self, value: bool) -> str:
        return str(_("Active") if value else _("Inactive"))
