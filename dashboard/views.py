"""Staff pages of a tenant: the clients dashboard, its panels, client detail,
contracts and the CSV export.

Each page is one template; HTMX requests get a {% partialdef %} of it. Views
parse the request, ask data_access, and render; nothing else.
"""

import csv
import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from itertools import chain, islice
from typing import Any
from urllib.parse import quote, urlsplit

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect, push_url, trigger_client_event

from dashboard.forms import ClientFilterForm, ContractFilterForm
from dashboard.tables import ClientTable, ContractTable
from data_access import panels
from data_access.client_table import (
    ClientPage,
    ClientRow,
    ContractsUnavailable,
    client_page,
    client_rows,
)
from data_access.contracts_table import ClientContracts, client_contracts, contract_page
from data_access.models import Client
from data_access.params import DEFAULT_PAGE_SIZE, ClientQuery, InvalidQuery, parse_client_query
from tenancy.models import Country

View = Callable[..., HttpResponse]
FILTERS_CHANGED = "filters-changed"  # panels listen for it (see home.html)
DETAIL_CONTRACTS_LIMIT = 500


def staff_view(view: View) -> View:
    """Logged-in staff of this tenant only; every response varies on HX-Request."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            if request.htmx:
                # A fragment request would swap the login page into the table.
                page = request.htmx.current_url_abs_path or request.get_full_path()
                response = HttpResponseClientRedirect(f"{reverse('login')}?next={_quote(page)}")
            else:
                response = redirect_to_login(request.get_full_path())
            patch_vary_headers(response, ["HX-Request"])
            return response
        if not user.is_staff:
            raise PermissionDenied
        response = view(request, *args, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response

    return wrapper


def _quote(path: str) -> str:
    return quote(path, safe="/")


def _wants_fragment(request: HttpRequest) -> bool:
    # History restores (cache misses) need the whole page, not a fragment.
    return bool(request.htmx) and not request.htmx.history_restore_request


@dataclass(frozen=True, slots=True)
class PageLink:
    number: int | None  # None: a gap ("…")
    href: str = ""
    current: bool = False


@dataclass(frozen=True, slots=True)
class Pagination:
    links: list[PageLink]
    previous: str  # href, or "" on the first page
    next: str  # href, or "" on the last page


def pagination(query: Any, num_pages: int) -> Pagination:
    """1 … 4 5 [6] 7 8 … 20, with previous/next, as querystrings of `query`."""
    page = query.page
    wanted = sorted(n for n in {1, num_pages, *range(page - 2, page + 3)} if 1 <= n <= num_pages)
    links: list[PageLink] = []
    for number in wanted:
        if links and number - (links[-1].number or 0) > 1:
            links.append(PageLink(None))
        links.append(PageLink(number, query.querystring(page=number), number == page))
    return Pagination(
        links=links,
        previous=query.querystring(page=page - 1) if page > 1 else "",
        next=query.querystring(page=page + 1) if page < num_pages else "",
    )


# --- Clients dashboard ---------------------------------------------------------


def _clients_context(query: ClientQuery, request: HttpRequest) -> dict[str, Any]:
    try:
        page: ClientPage = client_page(query, tenant=request.tenant)
    except ContractsUnavailable:
        # The question needs MySQL: answer the part PostgreSQL can, and say so.
        page = client_page(query.without_contract_terms(), tenant=request.tenant)
    table = ClientTable(page.rows, query=page.query, currency=request.tenant.currency)
    return {
        "query": page.query,
        "page": page,
        "table": table,
        "pagination": pagination(page.query, page.num_pages),
        "contracts_available": page.contracts_available and page.query == query,
        "contract_terms_dropped": page.query != query,
    }


def _panel_filters(query: ClientQuery) -> ClientQuery:
    """The part of a query the panels depend on: not its sort, page or page size."""
    return query.with_changes(sort="name", descending=False, page=1, page_size=DEFAULT_PAGE_SIZE)


def _filters_changed(request: HttpRequest, query: ClientQuery) -> bool:
    """Whether this request changes the filters of the page it was sent from."""
    current_url = request.htmx.current_url
    if not current_url:
        return True
    try:
        before = parse_client_query(QueryDict(urlsplit(current_url).query))
    except InvalidQuery:
        return True
    return _panel_filters(before) != _panel_filters(query)


@staff_view
def home(request: HttpRequest) -> HttpResponse:
    form = ClientFilterForm(request.GET)
    context: dict[str, Any] = {"form": form, "tenant": request.tenant}
    query = form.to_query() if form.is_valid() else None
    if query is not None:
        context |= _clients_context(query, request)
    status = 200 if query is not None else 400
    if _wants_fragment(request):
        response = render(request, "dashboard/home.html#clients_table", context, status=status)
        if query is not None:
            push_url(response, reverse("dashboard:home") + context["query"].querystring())
        if query is None or _filters_changed(request, query):
            # The panels refresh once the table has settled (not on a mere sort or page).
            trigger_client_event(response, FILTERS_CHANGED, after="settle")
        return response
    context["panels"] = {name: _panel(name, query, request) for name in PANELS}
    return render(request, "dashboard/home.html", context, status=status)


# --- Panels --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Panel:
    data: Any = None
    unavailable: bool = False  # MySQL is down
    invalid: bool = False  # the filters did not validate


@dataclass(frozen=True, slots=True)
class Bar:
    """One month of the SVG chart, in SVG user units (computed here, not in CSS)."""

    x: float
    y: float
    width: float
    height: float
    label: str
    contracts: int
    amount: Decimal

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)


CHART_WIDTH, CHART_HEIGHT, CHART_GAP = 360, 120, 4


def month_bars(months: Iterable[Any]) -> list[Bar]:
    months = list(months)
    if not months:
        return []
    peak = max(month.contracts for month in months) or 1
    width = (CHART_WIDTH - CHART_GAP * (len(months) - 1)) / len(months)
    bars = []
    for index, month in enumerate(months):
        height = round(CHART_HEIGHT * month.contracts / peak, 1)
        bars.append(
            Bar(
                x=round(index * (width + CHART_GAP), 1),
                y=round(CHART_HEIGHT - height, 1),
                width=round(width, 1),
                height=height,
                label=month.month.strftime("%Y-%m"),
                contracts=month.contracts,
                amount=month.amount,
            )
        )
    return bars


def _kpis(query: ClientQuery, request: HttpRequest) -> Any:
    return panels.kpis(query, tenant=request.tenant)


def _top(query: ClientQuery, request: HttpRequest) -> list[ClientRow]:
    return panels.top_clients(query, limit=10, tenant=request.tenant)


def _countries(query: ClientQuery, request: HttpRequest) -> list[tuple[Any, str]]:
    totals = panels.totals_by_country(query, tenant=request.tenant)
    names = dict(Country.objects.filter(code__in=[t.country for t in totals]).values_list())
    return [(total, names.get(total.country, total.country)) for total in totals]


def _monthly(query: ClientQuery, request: HttpRequest) -> list[Bar]:
    return month_bars(panels.signed_per_month(query, months=12, tenant=request.tenant))


def _health(query: ClientQuery, request: HttpRequest) -> Any:
    return panels.orphan_contracts(tenant=request.tenant)


PANELS: dict[str, Callable[[ClientQuery, HttpRequest], Any]] = {
    "kpis": _kpis,
    "top": _top,
    "countries": _countries,
    "monthly": _monthly,
    "health": _health,
}


def _panel(name: str, query: ClientQuery | None, request: HttpRequest) -> Panel:
    if query is None:
        return Panel(invalid=True)
    try:
        return Panel(data=PANELS[name](query, request))
    except ContractsUnavailable:
        return Panel(unavailable=True)


@staff_view
def panel(request: HttpRequest, name: str) -> HttpResponse:
    if name not in PANELS:
        raise Http404
    form = ClientFilterForm(request.GET)
    query = form.to_query() if form.is_valid() else None
    context = {
        "tenant": request.tenant,
        "query": query or ClientQuery(),
        "panels": {name: _panel(name, query, request)},
    }
    return render(
        request,
        f"dashboard/home.html#panel_{name}",
        context,
        status=200 if query is not None else 400,
    )


# --- Client detail --------------------------------------------------------------


@staff_view
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=client_id)
    try:
        history: ClientContracts | None = client_contracts(
            client_id=client.pk, limit=DETAIL_CONTRACTS_LIMIT, tenant=request.tenant
        )
    except ContractsUnavailable:
        history = None
    context = {
        "tenant": request.tenant,
        "client": client,
        "country": Country.objects.filter(code=client.country).first(),
        "contracts": history.contracts if history else None,
        "active_count": history.active_count if history else None,
        "active_total": history.active_total if history else None,
        "limit": DETAIL_CONTRACTS_LIMIT,
    }
    return render(request, "dashboard/client_detail.html", context)


# --- Contracts page -------------------------------------------------------------


@staff_view
def contracts(request: HttpRequest) -> HttpResponse:
    form = ContractFilterForm(request.GET)
    context: dict[str, Any] = {"form": form, "tenant": request.tenant}
    query = form.to_query() if form.is_valid() else None
    status = 200 if query is not None else 400
    if query is not None:
        context["query"] = query
        try:
            page = contract_page(query, tenant=request.tenant)
        except ContractsUnavailable:
            context["contracts_available"] = False
        else:
            context |= {
                "contracts_available": True,
                "page": page,
                "table": ContractTable(page.rows, query=query, currency=request.tenant.currency),
                "pagination": pagination(query, page.num_pages),
            }
    if _wants_fragment(request):
        response = render(
            request, "dashboard/contracts.html#contracts_table", context, status=status
        )
        if query is not None:
            push_url(response, reverse("dashboard:contracts") + query.querystring())
        return response
    return render(request, "dashboard/contracts.html", context, status=status)


# --- CSV export ----------------------------------------------------------------


class _Echo:
    """csv.writer target that hands each line back instead of buffering it."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_lines(rows: Iterable[ClientRow]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(
        ["id", "name", "email", "country", "active", "created_at", "contracts", "total"]
    )
    for row in rows:
        yield writer.writerow(
            [
                row.id,
                _cell(row.name),
                _cell(row.email),
                row.country,
                "yes" if row.is_active else "no",
                row.created_at.isoformat(),
                "" if row.contract_count is None else row.contract_count,
                "" if row.total_amount is None else row.total_amount,
            ]
        )


@staff_view
def export_clients(request: HttpRequest) -> HttpResponse:
    form = ClientFilterForm(request.GET)
    if not form.is_valid():
        lines = [f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()]
        return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
    query = form.to_query()
    rows = client_rows(query, tenant=request.tenant)
    try:
        # Rows are produced lazily: pull the first now, while a status can still change.
        first = _first(rows)
    except ContractsUnavailable:
        rows = client_rows(query.without_contract_terms(), tenant=request.tenant)
        first = _first(rows)
    response = StreamingHttpResponse(
        _csv_lines(chain(first, rows)), content_type="text/csv; charset=utf-8"
    )
    stamp = datetime.date.today().isoformat()
    filename = f"clients-{request.tenant.schema_name}-{stamp}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _first(rows: Iterator[ClientRow]) -> list[ClientRow]:
    return list(islice(rows, 1))
