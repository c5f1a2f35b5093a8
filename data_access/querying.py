"""The questions the clients and contracts tables ask: filters, one sort, one page.

    ?q=ana&country=CL&active=yes&min_total=100&has_contracts=yes&sort=-total&page=2&per_page=25

Each sortable column is one SortColumn and each URL parameter one Param. From them
the dashboard builds its filter forms, table headers and CSV, the API its schema,
and `TableQuery.parse` its query objects. Labels come from the model fields'
verbose names; widgets and choice labels belong to the dashboard.
"""

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from math import ceil, floor
from typing import Any, ClassVar, Self

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.core.validators import RegexValidator
from django.db.models import F, Field, OrderBy, QuerySet
from django.db.models.functions import Collate
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from data_access.models import BINARY_COLLATION, Client, ClientTotals, Contract

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
MAX_PAGE = 1_000_000
# Past this many matching rows, a count that no rollup answers stops: the page says
# "more than COUNT_LIMIT" rather than count every row (Django admin's
# show_full_result_count, bounded). See ResultPage.
COUNT_LIMIT = 10_000


class InvalidQuery(ValueError):
    """Bad parameters; `errors` maps each parameter name to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items()))
        self.errors = errors


# --- Sortable columns ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SortColumn:
    """One sortable column: URL key, label (its field's verbose name), the row
    attribute that holds its value, what the database orders by, and direction."""

    key: str  # ?sort=key ascending, ?sort=-key descending
    field: Field
    attribute: str  # on the selector's rows (ClientRow, ContractRow)
    expression: Any = None  # what to order by; None: the field itself
    aggregate: bool = False  # ordered by a ClientTotals column (MySQL), not a client's
    descending_first: bool = False  # amounts and dates: largest or newest first

    @property
    def label(self) -> str:
        return capfirst(self.field.verbose_name)

    def ordering(self, *, descending: bool, tie_breaker: str = "id") -> list[OrderBy]:
        """ORDER BY this column, ties broken by id in the same direction (stable pages)."""
        key = self.expression if self.expression is not None else F(self.field.name)
        if descending:
            return [key.desc(), F(tie_breaker).desc()]
        return [key.asc(), F(tie_breaker).asc()]


def _field(model: type, name: str) -> Field:
    return model._meta.get_field(name)


CLIENT_COLUMNS = (
    SortColumn("name", _field(Client, "name"), "name", Collate("name", BINARY_COLLATION)),
    SortColumn("email", _field(Client, "email"), "email", Collate("email", BINARY_COLLATION)),
    SortColumn("country", _field(Client, "country"), "country"),
    SortColumn("created", _field(Client, "created_at"), "created_at", descending_first=True),
    SortColumn(
        "contracts",
        _field(ClientTotals, "active_contracts"),
        "contract_count",
        aggregate=True,
        descending_first=True,
    ),
    SortColumn(
        "total",
        _field(ClientTotals, "active_amount"),
        "total_amount",
        aggregate=True,
        descending_first=True,
    ),
)
CONTRACT_COLUMNS = (
    SortColumn("title", _field(Contract, "title"), "title"),
    SortColumn("client", _field(Contract, "client_id"), "client_id"),
    SortColumn("amount", _field(Contract, "amount"), "amount", descending_first=True),
    SortColumn("signed", _field(Contract, "signed_on"), "signed_on", descending_first=True),
    SortColumn("status", _field(Contract, "is_active"), "is_active"),
)


# --- Date presets -------------------------------------------------------------------


def _month_start(day: date, *, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _month_end(day: date) -> date:
    return _month_start(day, months_back=-1) - timedelta(days=1)


# Each preset's first and last day (both included) for a given today: whole
# calendar months and years, so a contract dated later this month still counts.
PERIODS: dict[str, Callable[[date], tuple[date, date]]] = {
    "this_month": lambda today: (_month_start(today), _month_end(today)),
    "last_month": lambda today: (
        _month_start(today, months_back=1),
        _month_start(today) - timedelta(days=1),
    ),
    # The current month and the eleven before it.
    "last_12_months": lambda today: (_month_start(today, months_back=11), _month_end(today)),
    "this_year": lambda today: (date(today.year, 1, 1), date(today.year, 12, 31)),
}


def date_range(
    period: str | None, low: date | None, high: date | None, *, today: date
) -> tuple[date | None, date | None]:
    """An explicit range of days narrowed by a period (a key of PERIODS, or None)."""
    if period is not None:
        start, end = PERIODS[period](today)
        low = start if low is None else max(low, start)
        high = end if high is None else min(high, end)
    return low, high


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- Parameters ---------------------------------------------------------------------


def _text(value: object) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Param:
    """One URL parameter: the query attribute it sets, the form field that
    validates it (no label, no widget), and the conversions both ways."""

    name: str
    field: forms.Field
    attribute: str = ""  # default: the parameter's name
    to_value: Callable[[Any], Any] = lambda value: value  # cleaned value -> query value
    to_text: Callable[[Any], str] = _text  # query value -> parameter ("" when absent)

    @property
    def target(self) -> str:
        return self.attribute or self.name

    def clean(self, raw: str) -> Any:
        return self.to_value(self.field.clean(raw))


def choice_param(name: str, values: Mapping[str, Any], *, attribute: str = "") -> Param:
    """A parameter taking one of `values`' keys ("" for none), mapped to its value."""
    texts = {value: text for text, value in values.items()}
    return Param(
        name,
        forms.ChoiceField(required=False, choices=[("", "")] + [(t, t) for t in values]),
        attribute,
        to_value=lambda text: values.get(text),
        to_text=lambda value: texts.get(value, ""),
    )


YES_NO = {"yes": True, "no": False}


def period_param(name: str) -> Param:
    return choice_param(name, {key: key for key in PERIODS})


def amount_param(name: str, *, max_digits: int) -> Param:
    return Param(
        name,
        forms.DecimalField(required=False, min_value=0, max_digits=max_digits, decimal_places=2),
    )


def sort_param(columns: tuple[SortColumn, ...], default: str) -> Param:
    keys = [sign + column.key for column in columns for sign in ("", "-")]
    return Param(
        "sort",
        forms.ChoiceField(required=False, choices=[("", "")] + [(key, key) for key in keys]),
        to_value=lambda key: key or default,
    )


PAGE_PARAMS = (
    Param(
        "page",
        forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE),
        to_value=lambda page: page or 1,
    ),
    Param(
        "per_page",
        forms.TypedChoiceField(
            required=False,
            coerce=int,
            empty_value=DEFAULT_PAGE_SIZE,
            choices=[(size, size) for size in PAGE_SIZES],
        ),
        "page_size",
    ),
)


@dataclass(frozen=True, slots=True)
class Range:
    """Two parameters where the first must not exceed the second."""

    low: str
    high: str
    message: Any


# --- Queries ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TableQuery:
    """Filters (in subclasses), one sort and one page of a table."""

    COLUMNS: ClassVar[tuple[SortColumn, ...]]
    PARAMS: ClassVar[tuple[Param, ...]]
    RANGES: ClassVar[tuple[Range, ...]] = ()

    sort: str  # a column key, "-" first for descending
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Self:
        """The query these parameters ask, or InvalidQuery naming each bad one."""
        values: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for param in cls.PARAMS:
            try:
                values[param.target] = param.clean(params.get(param.name) or "")
            except ValidationError as error:
                errors[param.name] = list(error.messages)
        by_name = {param.name: param for param in cls.PARAMS}
        for bound in cls.RANGES:
            low = values.get(by_name[bound.low].target)
            high = values.get(by_name[bound.high].target)
            if low is not None and high is not None and low > high:
                errors.setdefault(bound.high, []).append(str(bound.message))
        if errors:
            raise InvalidQuery(errors)
        return cls(**values)

    @property
    def column(self) -> SortColumn:
        key = self.sort.removeprefix("-")
        return next(column for column in self.COLUMNS if column.key == key)

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def window(self) -> slice:
        """The rows a selector reads for this page: its own and the one after it, which
        says whether a next page exists when the count cannot (ResultPage)."""
        return slice(self.offset, self.offset + self.page_size + 1)

    def split_window[Item](self, fetched: list[Item]) -> tuple[list[Item], bool]:
        """What `window` read, as the page's items and whether any came after them."""
        return fetched[: self.page_size], len(fetched) > self.page_size

    def with_changes(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)

    def to_params(self) -> dict[str, str]:
        """The URL parameters asking this query, without defaults, in a stable order."""
        default = type(self)()
        params = {}
        for param in self.PARAMS:
            text = param.to_text(getattr(self, param.target))
            if text and text != param.to_text(getattr(default, param.target)):
                params[param.name] = text
        return params


@dataclass(frozen=True, kw_only=True)
class ClientQuery(TableQuery):
    """Clients of one tenant, with their active-contract count and total."""

    COLUMNS = CLIENT_COLUMNS
    PARAMS = (
        Param("q", forms.CharField(required=False, max_length=100, strip=True), "search"),
        Param(
            "country",
            forms.CharField(
                required=False,
                validators=[
                    RegexValidator(r"^[A-Za-z]{2}\Z", _("Enter a two-letter ISO country code."))
                ],
            ),
            to_value=str.upper,
        ),
        choice_param("active", YES_NO),
        amount_param("min_total", max_digits=16),
        amount_param("max_total", max_digits=16),
        choice_param("has_contracts", YES_NO),
        period_param("created"),
        Param("created_from", forms.DateField(required=False)),
        Param("created_to", forms.DateField(required=False)),
        sort_param(CLIENT_COLUMNS, "name"),
        *PAGE_PARAMS,
    )
    RANGES = (
        Range("min_total", "max_total", _("The maximum must not be below the minimum.")),
        Range("created_from", "created_to", _("The end date must not be before the start date.")),
    )

    search: str = ""
    country: str = ""
    active: bool | None = None
    min_total: Decimal | None = None
    max_total: Decimal | None = None
    has_contracts: bool | None = None
    created: str | None = None  # a key of PERIODS, on top of created_from/created_to
    created_from: date | None = None
    created_to: date | None = None
    sort: str = "name"

    @property
    def has_client_filters(self) -> bool:
        return bool(
            self.search or self.country or self.active is not None or self.has_created_range
        )

    @property
    def has_created_range(self) -> bool:
        return (
            self.created is not None or self.created_from is not None or self.created_to is not None
        )

    @property
    def segment_filters_only(self) -> bool:
        """Whether the filters are at most a country and an active state: the key of the
        rollups (ClientCount, SegmentTotals), which then answer for the matching clients."""
        return not (self.search or self.has_created_range or self.has_aggregate_filters)

    def created_bounds(self, *, today: date) -> tuple[datetime | None, datetime | None]:
        """The creation times asked for, [start, end): whole days in the current time
        zone, as instants the created_at index can range over."""
        low, high = date_range(self.created, self.created_from, self.created_to, today=today)
        return (
            None if low is None else _start_of_day(low),
            None if high is None else _start_of_day(high + timedelta(days=1)),
        )

    @property
    def has_aggregate_filters(self) -> bool:
        return (
            self.min_total is not None
            or self.max_total is not None
            or self.has_contracts is not None
        )

    @property
    def sorts_by_aggregate(self) -> bool:
        return self.column.aggregate

    @property
    def needs_contracts(self) -> bool:
        """Whether the rows themselves (not just their totals) depend on MySQL."""
        return self.sorts_by_aggregate or self.has_aggregate_filters

    @property
    def filters(self) -> Self:
        """The same filters on page 1 in the default order (what the panels depend on)."""
        return self.with_changes(sort="name", page=1, page_size=DEFAULT_PAGE_SIZE)

    def without_contract_terms(self) -> Self:
        """The same question with nothing that needs MySQL (for when it is down)."""
        return self.with_changes(
            min_total=None,
            max_total=None,
            has_contracts=None,
            sort="name" if self.sorts_by_aggregate else self.sort,
        )

    @property
    def cents_bounds(self) -> tuple[int | None, int | None]:
        """The total's bounds in whole cents (totals are whole cents, bounds may not be)."""
        low = None if self.min_total is None else ceil(self.min_total * 100)
        high = None if self.max_total is None else floor(self.max_total * 100)
        return low, high

    def passes_aggregates(self, contracts: int, cents: int) -> bool:
        """The aggregate filters, for a client with this many active contracts and
        this total in cents (a client without any: 0 and 0)."""
        low, high = self.cents_bounds
        return (
            (self.has_contracts is None or (contracts > 0) == self.has_contracts)
            and (low is None or cents >= low)
            and (high is None or cents <= high)
        )


@dataclass(frozen=True, kw_only=True)
class ContractQuery(TableQuery):
    """Contracts of one tenant."""

    COLUMNS = CONTRACT_COLUMNS
    PARAMS = (
        choice_param("status", {"active": True, "inactive": False}),
        period_param("period"),
        Param("signed_from", forms.DateField(required=False)),
        Param("signed_to", forms.DateField(required=False)),
        amount_param("min_amount", max_digits=14),
        amount_param("max_amount", max_digits=14),
        Param(
            "client",
            forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1),
            "client_id",
        ),
        sort_param(CONTRACT_COLUMNS, "-signed"),
        *PAGE_PARAMS,
    )
    RANGES = (
        Range("signed_from", "signed_to", _("The end date must not be before the start date.")),
        Range("min_amount", "max_amount", _("The maximum must not be below the minimum.")),
    )

    status: bool | None = None  # True: active only; False: inactive only
    period: str | None = None  # a key of PERIODS, on top of signed_from/signed_to
    signed_from: date | None = None
    signed_to: date | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    client_id: int | None = None
    sort: str = "-signed"

    def signed_range(self, *, today: date) -> tuple[date | None, date | None]:
        """The signing dates asked for: the explicit range narrowed by the period."""
        return date_range(self.period, self.signed_from, self.signed_to, today=today)


# --- Pages --------------------------------------------------------------------------


def capped_count(rows: QuerySet) -> int:
    """How many rows the queryset holds, counted over a LIMITed subquery that reads
    at most COUNT_LIMIT + 1 of them: past COUNT_LIMIT the answer is COUNT_LIMIT + 1,
    only a lower bound (within_cap)."""
    return rows.order_by()[: COUNT_LIMIT + 1].count()


def within_cap(count: int) -> bool:
    """Whether a count held to the cap is exact rather than a lower bound."""
    return count <= COUNT_LIMIT


class ResultPage[Row](Page):
    """Django's Page over rows a selector fetched itself, with their count.

    A count that a rollup answers is exact, whatever its size. Any other is
    `capped`: exact up to COUNT_LIMIT, and past it `count_is_exact` is False and
    the paginator's count is a lower bound, COUNT_LIMIT or as far as this page
    reaches, one more when a row came after it (`more`): the next page exists
    while rows do.
    """

    def __init__(
        self,
        rows: list[Row],
        *,
        query: TableQuery,
        count: int,
        capped: bool = False,
        more: bool = False,
    ) -> None:
        self.count_is_exact = not capped or within_cap(count)
        self.count_limit = COUNT_LIMIT
        if not self.count_is_exact:
            reached = query.offset + len(rows) + more if rows else 0
            count = max(COUNT_LIMIT, reached)
        paginator = Paginator((), query.page_size)
        paginator.count = count  # known already: no second COUNT
        super().__init__(rows, query.page, paginator)
        self.query = query

    @property
    def rows(self) -> list[Row]:
        return self.object_list
