"""The clients table's query parameters: one definition for the page, its HTMX
fragments, the CSV export and the JSON API.

    ?q=ana&country=CL&active=yes&min_total=100&max_total=&has_contracts=yes
     &sort=-total&page=2&per_page=25
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from math import ceil
from typing import Any, Protocol, Self

from django import forms
from django.http import QueryDict
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

SORT_KEYS = ("name", "email", "country", "created", "contracts", "total")
AGGREGATE_SORT_KEYS = frozenset({"contracts", "total"})
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]


class InvalidQuery(ValueError):
    """Bad parameters; `errors` maps each parameter name to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items()))
        self.errors = errors


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


@dataclass(frozen=True, kw_only=True, slots=True)
class ClientQuery:
    search: str = ""
    country: str = ""
    active: bool | None = None
    min_total: Decimal | None = None
    max_total: Decimal | None = None
    has_contracts: bool | None = None
    sort: str = "name"
    descending: bool = False
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def has_client_filters(self) -> bool:
        return bool(self.search or self.country or self.active is not None)

    @property
    def has_aggregate_filters(self) -> bool:
        return (
            self.min_total is not None
            or self.max_total is not None
            or self.has_contracts is not None
        )

    @property
    def sorts_by_aggregate(self) -> bool:
        return self.sort in AGGREGATE_SORT_KEYS

    @property
    def needs_contracts(self) -> bool:
        """Whether the rows themselves (not just their totals) depend on MySQL."""
        return self.sorts_by_aggregate or self.has_aggregate_filters

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def sort_param(self) -> str:
        return f"-{self.sort}" if self.descending else self.sort

    def without_contract_terms(self) -> Self:
        """The same question with nothing that needs MySQL (for when it is down)."""
        return replace(
            self,
            min_total=None,
            max_total=None,
            has_contracts=None,
            sort="name" if self.sorts_by_aggregate else self.sort,
            descending=False if self.sorts_by_aggregate else self.descending,
        )

    def with_changes(self, **changes: Any) -> Self:
        return replace(self, **changes)

    def to_params(self) -> dict[str, str]:
        """URL parameters, without the defaults, in a stable order."""
        default = ClientQuery()
        values = {
            "q": self.search,
            "country": self.country,
            "active": {True: "yes", False: "no", None: ""}[self.active],
            "min_total": "" if self.min_total is None else str(self.min_total),
            "max_total": "" if self.max_total is None else str(self.max_total),
            "has_contracts": {True: "yes", False: "no", None: ""}[self.has_contracts],
            "sort": self.sort_param if self.sort_param != default.sort_param else "",
            "page": str(self.page) if self.page != 1 else "",
            "per_page": str(self.page_size) if self.page_size != DEFAULT_PAGE_SIZE else "",
        }
        return {name: value for name, value in values.items() if value}

    def querystring(self, **changes: Any) -> str:
        """'?…' for this query with some fields changed; a filter change goes to page 1."""
        query = self.with_changes(**changes) if changes else self
        if changes and "page" not in changes:
            query = query.with_changes(page=1)
        params = query.to_params()
        return "?" + urlencode(params) if params else "?"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sort_field(keys: Iterable[str]) -> forms.ChoiceField:
    """`key` ascending or `-key` descending, for each sortable key."""
    return forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[("", "")] + [(p + key, p + key) for key in keys for p in ("", "-")],
    )


def page_field() -> forms.IntegerField:
    return forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=MAX_PAGE)


def page_size_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("Rows per page"),
        required=False,
        coerce=int,
        empty_value=DEFAULT_PAGE_SIZE,
        choices=[(size, size) for size in PAGE_SIZES],
    )


class QueryForm[Q](Protocol):
    def __init__(self, data: QueryDict | dict[str, str]) -> None: ...
    def is_valid(self) -> bool: ...
    @property
    def errors(self) -> dict[str, list[str]]: ...
    def to_query(self) -> Q: ...


class ClientQueryForm(forms.Form):
    """Parses and validates the parameters; its fields also render the filter bar."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100, strip=True)
    country = forms.CharField(label=_("Country"), required=False, max_length=2)
    active = forms.ChoiceField(label=_("Active"), required=False, choices=YES_NO)
    min_total = forms.DecimalField(
        label=_("Min. total"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    max_total = forms.DecimalField(
        label=_("Max. total"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    has_contracts = forms.ChoiceField(label=_("Has contracts"), required=False, choices=YES_NO)
    sort = sort_field(SORT_KEYS)
    page = page_field()
    per_page = page_size_field()

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].upper()
        if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise forms.ValidationError(_("Enter a two-letter ISO country code."))
        return country

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("min_total"), data.get("max_total")
        if low is not None and high is not None and low > high:
            self.add_error("max_total", _("The maximum must not be below the minimum."))
        return data

    def to_query(self) -> ClientQuery:
        data = self.cleaned_data
        sort = data.get("sort") or "name"
        return ClientQuery(
            search=data.get("q") or "",
            country=data.get("country") or "",
            active=_yes_no(data.get("active") or ""),
            min_total=data.get("min_total"),
            max_total=data.get("max_total"),
            has_contracts=_yes_no(data.get("has_contracts") or ""),
            sort=sort.lstrip("-"),
            descending=sort.startswith("-"),
            page=data.get("page") or 1,
            page_size=data.get("per_page") or DEFAULT_PAGE_SIZE,
        )


def parse_query[Q](form_class: type["QueryForm[Q]"], params: QueryDict | dict[str, str]) -> Q:
    """The query object for these parameters, or InvalidQuery naming each bad one."""
    form = form_class(params)
    if not form.is_valid():
        raise InvalidQuery({name: [str(m) for m in msgs] for name, msgs in form.errors.items()})
    return form.to_query()


def parse_client_query(params: QueryDict | dict[str, str]) -> ClientQuery:
    return parse_query(ClientQueryForm, params)


class PageArithmetic:
    """Page numbers of a result with `query` (page, page_size, offset), `rows`
    and `count`; shared by the clients and contracts tables."""

    __slots__ = ()
    query: Any
    rows: list
    count: int

    @property
    def num_pages(self) -> int:
        return max(1, ceil(self.count / self.query.page_size))

    @property
    def has_previous(self) -> bool:
        return self.query.page > 1

    @property
    def has_next(self) -> bool:
        return self.query.page < self.num_pages

    @property
    def start_index(self) -> int:
        return self.query.offset + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return self.query.offset + len(self.rows)
