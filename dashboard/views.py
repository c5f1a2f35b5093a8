"""Staff pages of a tenant: the clients dashboard, its panels, client detail,
contracts and the CSV export.

A view parses the request (through the filter form where the page shows one,
with the query itself where it does not), asks data_access, and renders one
template; HTMX requests get a {% partialdef %} of it.
"""

import datetime
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url, retarget, trigger_client_event

from dashboard import imports
from dashboard.access import staff_view
from dashboard.charts import month_chart
from dashboard.exports import client_csv_lines, contract_csv_lines, csv_download
from dashboard.formats import country_name
from dashboard.forms import (
    ClientFilterForm,
    ContractBulkForm,
    ContractEditForm,
    ContractFilterForm,
    ImportForm,
    SaveViewForm,
)
from dashboard.querystrings import querystring
from dashboard.tables import ClientTable, ContractTable
from data_access import services
from data_access.boundary import ContractsUnavailable
from data_access.models import Client, SavedView
from data_access.querying import ClientQuery, ContractQuery, InvalidQuery
from data_access.selectors import panels
from data_access.selectors.audit import client_trail
from data_access.selectors.clients import client_page, client_rows
from data_access.selectors.contracts import (
    ContractPage,
    client_choices,
    client_contract_totals,
    client_name,
    contract_page,
    contract_row,
    contract_rows,
    contract_rows_by_id,
    contract_summary,
    matching_contract_ids,
)
from tenancy.models import Tenant

FILTERS_CHANGED = "filters-changed"  # panels listen for it (see home.html)
TOP_CLIENTS = 10
CHART_MONTHS = 12


def _wants_fragment(request: HttpRequest) -> bool:
    # History restores (cache misses) need the whole page, not a fragment.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _plain(text: str, *, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _invalid_parameters(invalid: InvalidQuery) -> HttpResponse:
    """A 400 naming each bad parameter (for endpoints that render no form)."""
    lines = [f"{name}: {' '.join(messages)}" for name, messages in invalid.errors.items()]
    return _plain("\n".join(lines), status=400)


# --- Clients dashboard ---------------------------------------------------------


def _filters_changed(request: HttpRequest, query: ClientQuery) -> bool:
    """Whether this request changes the filters of the page it was sent from."""
    current_url = request.htmx.current_url
    if not current_url:
        return True
    try:
        before = ClientQuery.parse(QueryDict(urlsplit(current_url).query))
    except InvalidQuery:
        return True
    return before.filters != query.filters


@staff_view
def home(request: HttpRequest) -> HttpResponse:
    form = ClientFilterForm(request.GET)
    context: dict[str, Any] = {"form": form, "tenant": request.tenant}
    query = form.query if form.is_valid() else None
    if query is not None:
        # Degrades by itself when MySQL is down (page.contracts_available).
        page = client_page(query, tenant=request.tenant)
        table = ClientTable(page, currency=request.tenant.currency)
        context |= {"page": page, "query": page.query, "table": table}
    status = 200 if query is not None else 400
    if _wants_fragment(request):
        response = render(request, "dashboard/home.html#clients_table", context, status=status)
        if query is not None:
            push_url(response, reverse("dashboard:home") + querystring(page.query))
        if query is None or _filters_changed(request, query):
            # The panels refresh once the table has settled (not on a mere sort or page).
            trigger_client_event(response, FILTERS_CHANGED, after="settle")
        return response
    # The panels load themselves (hx-trigger="load"), in parallel: a slow panel never
    # holds the table.
    return render(request, "dashboard/home.html", context, status=status)


# --- Panels --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Panel:
    data: Any = None  # None: computed off the request and not ready yet (data health)
    unavailable: bool = False  # MySQL is down
    invalid: bool = False  # the filters did not validate

    @property
    def running(self) -> bool:
        """Still being computed: the panel asks again in a few seconds."""
        return self.data is None and not self.unavailable and not self.invalid


def _countries(query: ClientQuery, tenant: Tenant) -> list[tuple[panels.CountryTotal, str]]:
    totals = panels.totals_by_country(query, tenant=tenant)
    return [(total, country_name(total.country)) for total in totals]


PANELS: dict[str, Callable[[ClientQuery, Tenant], Any]] = {
    "kpis": lambda query, tenant: panels.kpis(query, tenant=tenant),
    "top": lambda query, tenant: panels.top_clients(query, limit=TOP_CLIENTS, tenant=tenant),
    "countries": _countries,
    "monthly": lambda query, tenant: month_chart(
        panels.signed_per_month(query, months=CHART_MONTHS, tenant=tenant)
    ),
    # The stored report, at once (None while the first check runs off the request).
    "health": lambda query, tenant: panels.orphan_contracts(tenant=tenant),
}


def _panel(name: str, query: ClientQuery | None, tenant: Tenant) -> Panel:
    if query is None:
        return Panel(invalid=True)
    try:
        return Panel(data=PANELS[name](query, tenant))
    except ContractsUnavailable:
        return Panel(unavailable=True)


@staff_view
def panel(request: HttpRequest, name: str) -> HttpResponse:
    if name not in PANELS:
        raise Http404
    # No form here: a panel shows no filter bar (the form would load every country).
    try:
        query: ClientQuery | None = ClientQuery.parse(request.GET)
    except InvalidQuery:
        query = None
    context = {"tenant": request.tenant, "panels": {name: _panel(name, query, request.tenant)}}
    status = 200 if query is not None else 400
    return render(request, f"dashboard/home.html#panel_{name}", context, status=status)


def _contract_query(request: HttpRequest) -> ContractQuery | None:
    # No form: these views draw no filter bar.
    try:
        return ContractQuery.parse(request.GET)
    except InvalidQuery:
        return None


# --- Client detail --------------------------------------------------------------


def _back_to_clients(back: str) -> str:
    """The clients table the user came from (its filters, sort and page), rebuilt
    from a parsed query so the link only ever points at the dashboard."""
    home = reverse("dashboard:home")
    try:
        return home + querystring(ClientQuery.parse(QueryDict(back))).rstrip("?")
    except InvalidQuery:
        return home


@staff_view
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    """The client, their totals, and their contracts in the contracts page's table
    (its sort and page parameters; the client filter is always this client)."""
    client = get_object_or_404(Client, pk=client_id)
    context: dict[str, Any] = {
        "tenant": request.tenant,
        "client": client,
        "trail": client_trail(client_id=client.pk, tenant=request.tenant),
        "back_url": _back_to_clients(request.GET.get("back", "")),
    }
    context |= _contract_table_context(request, in_client=True)
    query = _contract_query(request)
    if query is not None:
        query = context["query"] = query.with_changes(client_id=client.pk)
        try:
            totals = client_contract_totals(client_id=client.pk, tenant=request.tenant)
            page = contract_page(query, tenant=request.tenant)
        except ContractsUnavailable:
            context["contracts_available"] = False
        else:
            table = ContractTable(page, currency=request.tenant.currency)
            context |= {"contracts_available": True, "totals": totals, "page": page}
            context["table"] = table
    status = 200 if query is not None else 400
    if _wants_fragment(request):
        response = render(
            request, "dashboard/client_detail.html#contracts_table", context, status=status
        )
        if query is not None:
            path = reverse("dashboard:client_detail", args=[client.pk])
            push_url(response, path + querystring(query))
        return response
    return render(request, "dashboard/client_detail.html", context, status=status)


# --- Contracts page -------------------------------------------------------------


CHANGE_CONTRACT = "data_access.change_contract"


# Where a contract's row is drawn: the contracts page, or a client's detail (`table=client`
# on the row, edit and cancel URLs), whose rows have no selection box and whose saves
# also refresh the client's figures and change history.
ROW_TABLES = ("contracts", "client")


def _contract_table_context(request: HttpRequest, *, in_client: bool = False) -> dict[str, Any]:
    """What the contracts table's rows draw beyond their cells."""
    return {"can_edit": request.user.has_perm(CHANGE_CONTRACT), "in_client": in_client}


def _row_table_context(request: HttpRequest) -> dict[str, Any]:
    """The row's table, from its URL's `table` (400 when it names none)."""
    table = request.GET.get("table", ROW_TABLES[0])
    if table not in ROW_TABLES:
        raise BadRequest(f"unknown table {table!r}")
    return _contract_table_context(request, in_client=table == "client")


def _contracts_page(request: HttpRequest, params: QueryDict) -> tuple[dict[str, Any], int]:
    """The contracts page's context for these parameters, and its status."""
    form = ContractFilterForm(params)
    context: dict[str, Any] = {"form": form, "tenant": request.tenant}
    context |= _contract_table_context(request)
    query = form.query if form.is_valid() else None
    if query is not None:
        context["query"] = query
        try:
            page = contract_page(query, tenant=request.tenant)
            if query.client_id is not None:
                context["client_name"] = client_name(query.client_id, tenant=request.tenant)
        except ContractsUnavailable:
            context["contracts_available"] = False
        else:
            table = ContractTable(page, currency=request.tenant.currency)
            context |= {"contracts_available": True, "page": page, "table": table}
    return context, 200 if query is not None else 400


@staff_view
def contracts(request: HttpRequest) -> HttpResponse:
    context, status = _contracts_page(request, request.GET)
    if _wants_fragment(request):
        response = render(
            request, "dashboard/contracts.html#contracts_table", context, status=status
        )
        if status == 200:
            push_url(response, reverse("dashboard:contracts") + querystring(context["query"]))
        return response
    return render(request, "dashboard/contracts.html", context, status=status)


@staff_view
def contracts_summary(request: HttpRequest) -> HttpResponse:
    """The exact count and sum of the filtered contracts, loaded after the table."""
    query = _contract_query(request)
    context: dict[str, Any] = {"tenant": request.tenant, "query": query}
    if query is None:
        return render(request, "dashboard/contracts.html#summary", context, status=400)
    try:
        context["summary"] = contract_summary(query, tenant=request.tenant)
    except ContractsUnavailable:
        context["summary"] = None
    return render(request, "dashboard/contracts.html#summary", context)


@staff_view
def contract_client_choices(request: HttpRequest) -> HttpResponse:
    """Suggestions for the client-name box: links to the same filters for that client."""
    query = _contract_query(request) or ContractQuery()
    search = request.GET.get("client_name", "")[:100]
    context = {
        "query": query,
        "search": search,
        "choices": client_choices(search, tenant=request.tenant),
    }
    return render(request, "dashboard/contracts.html#client_choices", context)


@staff_view
def export_contracts(request: HttpRequest) -> HttpResponse:
    try:
        query = ContractQuery.parse(request.GET)
    except InvalidQuery as invalid:
        return _invalid_parameters(invalid)
    try:
        # Reads the first batch now: MySQL being down answers 503, not a broken file.
        rows = contract_rows(query, tenant=request.tenant)
    except ContractsUnavailable:
        return _unavailable()
    stamp = datetime.date.today().isoformat()
    return csv_download(
        contract_csv_lines(rows, currency=request.tenant.currency),
        filename=f"contracts-{request.tenant.schema_name}-{stamp}.csv",
    )


# --- Editing a contract in its row -------------------------------------------------


def _one_row_table(request: HttpRequest, contract_id: int) -> ContractTable:
    """The contracts table with just this contract (404 when not this tenant's)."""
    try:
        row = contract_row(contract_id=contract_id, tenant=request.tenant)
    except ObjectDoesNotExist:  # not this tenant's contract
        raise Http404 from None
    page = ContractPage([row], query=ContractQuery(), count=1)
    return ContractTable(page, currency=request.tenant.currency)


def _row_response(
    request: HttpRequest,
    table: ContractTable,
    *,
    form: ContractEditForm | None = None,
    status: int = 200,
    saved: bool = False,
) -> HttpResponse:
    """The contract's row (or its edit form). Saved on a client's detail, the row
    comes with the client's figures and change history, swapped in by id."""
    context = {"tenant": request.tenant, "row": table.body[0], "focus": True}
    context |= _row_table_context(request)
    if form is not None:
        context |= {"form": form, "colspan": len(table.columns) + 1}
        return render(request, "dashboard/contracts.html#contract_row_form", context, status=status)
    if saved and context["in_client"]:
        client = get_object_or_404(Client, pk=table.page.rows[0].client_id)
        context |= {
            "client": client,
            "totals": client_contract_totals(client_id=client.pk, tenant=request.tenant),
            "trail": client_trail(client_id=client.pk, tenant=request.tenant),
        }
        return render(request, "dashboard/client_detail.html#contract_saved", context)
    return render(request, "dashboard/contracts.html#contract_row", context, status=status)


def _unavailable() -> HttpResponse:
    return _plain(_("Contract data is unavailable right now."), status=503)


@staff_view
@require_GET
def contract_table_row(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The contract's row as the table draws it (what Cancel puts back)."""
    try:
        return _row_response(request, _one_row_table(request, contract_id))
    except ContractsUnavailable:
        return _unavailable()


@staff_view
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, contract_id: int) -> HttpResponse:
    """GET: the row as a form. POST: save through the services, then the row again
    (or the form with its errors, 400)."""
    if not request.user.has_perm(CHANGE_CONTRACT):
        raise PermissionDenied
    try:
        table = _one_row_table(request, contract_id)
        record = table.page.rows[0]
        if request.method == "GET":
            initial = {name: getattr(record, name) for name in ContractEditForm.FIELDS}
            form = ContractEditForm(initial=initial, contract_id=contract_id)
            return _row_response(request, table, form=form)
        form = ContractEditForm(request.POST, contract_id=contract_id)
        if form.is_valid():
            try:
                services.update_contract(
                    contract_id=contract_id, tenant=request.tenant, **form.cleaned_data
                )
            except ObjectDoesNotExist:  # deleted meanwhile
                raise Http404 from None
            except ValidationError as invalid:
                errors = invalid.message_dict if hasattr(invalid, "error_dict") else {}
                for field, messages in errors.items() or [(None, invalid.messages)]:
                    form.add_error(field if field in form.fields else None, messages)
            else:
                return _row_response(request, _one_row_table(request, contract_id), saved=True)
        return _row_response(request, table, form=form, status=400)
    except ContractsUnavailable:
        return _unavailable()


# --- Bulk actions ---------------------------------------------------------------

BULK_LIMIT = 10_000  # contracts one bulk change may touch (each is a full update)
BULK_VERBS = {"activate": True, "deactivate": False}


def _bulk_notice(request: HttpRequest, params: QueryDict, notice: dict[str, Any]) -> HttpResponse:
    """The contracts table (HTMX) or page for these filters, with a notice in the bulk bar."""
    context, status = _contracts_page(request, params)
    context |= notice
    if request.htmx:
        response = render(
            request, "dashboard/contracts.html#contracts_table", context, status=status
        )
        return retarget(response, "#contracts-region")
    return render(request, "dashboard/contracts.html", context, status=status)


@staff_view
@require_POST
def contracts_bulk(request: HttpRequest) -> HttpResponse:
    """Activate, deactivate or export the selected contracts (ids, or every contract
    matching the filters). A change asks first, with the count, then goes through
    services.set_contracts_active in bounded batches."""
    form = ContractBulkForm(request.POST)
    try:
        query = ContractQuery.parse(request.POST)
    except InvalidQuery as invalid:
        return _invalid_parameters(invalid)
    if not form.is_valid():
        return _invalid_parameters(InvalidQuery(form.errors))
    action, everything = form.cleaned_data["action"], form.cleaned_data["all"]
    if action in BULK_VERBS and not request.user.has_perm(CHANGE_CONTRACT):
        raise PermissionDenied
    filters = QueryDict(mutable=True)
    filters.update(query.to_params())
    try:
        selected = []
        if not everything:
            selected = contract_rows_by_id(form.cleaned_data["ids"], tenant=request.tenant)
            if not selected:
                raise Http404  # none of these ids is this tenant's
        if action == "export":
            rows = contract_rows(query, tenant=request.tenant) if everything else selected
            stamp = datetime.date.today().isoformat()
            name = f"contracts-{request.tenant.schema_name}-{stamp}.csv"
            return csv_download(
                contract_csv_lines(rows, currency=request.tenant.currency), filename=name
            )
        if everything:
            count = contract_summary(query, tenant=request.tenant).count
            ids: Iterable[int] = matching_contract_ids(query, tenant=request.tenant)
        else:
            count, ids = len(selected), [row.id for row in selected]
        notice: dict[str, Any] = {
            "bulk_action": action,
            "bulk_count": count,
            "bulk_all": everything,
        }
        if count > BULK_LIMIT:
            return _bulk_notice(request, filters, notice | {"bulk_too_many": BULK_LIMIT})
        if not form.cleaned_data["confirm"]:
            notice["bulk_ids"] = [] if everything else ids
            return _bulk_notice(request, filters, notice | {"bulk_confirm": True})
        changed = services.set_contracts_active(
            contract_ids=ids, is_active=BULK_VERBS[action], tenant=request.tenant
        )
    except ContractsUnavailable:
        return _unavailable()
    return _bulk_notice(request, filters, notice | {"bulk_done": True, "bulk_changed": changed})


# --- CSV export ----------------------------------------------------------------


@staff_view
def export_clients(request: HttpRequest) -> HttpResponse:
    # No form here either: nothing is rendered but the rows.
    try:
        query = ClientQuery.parse(request.GET)
    except InvalidQuery as invalid:
        return _invalid_parameters(invalid)
    # Degrades by itself when MySQL is down: the rows come without totals.
    rows = client_rows(query, tenant=request.tenant)
    stamp = datetime.date.today().isoformat()
    return csv_download(
        client_csv_lines(rows, currency=request.tenant.currency),
        filename=f"clients-{request.tenant.schema_name}-{stamp}.csv",
    )


# --- CSV import -------------------------------------------------------------------

IMPORT_TTL = 15 * 60  # seconds a checked file waits for its confirmation


def _pending_key(request: HttpRequest, token: str) -> str:
    # Per tenant and user: a token never reaches another tenant's or user's file.
    return f"import:{request.tenant.schema_name}:{request.user.pk}:{token}"


@staff_view
def import_csv(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST with a file: check it all and preview (nothing written).
    POST with the preview's token: write every row through the services, or none."""
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "kinds": imports.KINDS, "tenant": request.tenant}
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "dashboard/import.html", context, status=400)
        kind = imports.KINDS[form.cleaned_data["kind"]]
        if not request.user.has_perm(f"data_access.add_{kind.key[:-1]}"):
            raise PermissionDenied
        context["kind"] = kind
        token = form.cleaned_data["token"]
        try:
            if token:
                text = cache.get(_pending_key(request, token))
                if text is None:
                    raise ValidationError(_("This preview has expired. Upload the file again."))
                context["imported"] = imports.write(kind, text)
                cache.delete(_pending_key(request, token))
            else:
                upload = form.cleaned_data["file"]
                if upload is None:
                    raise ValidationError(_("Choose a CSV file."))
                text = imports.decode(upload.read(imports.MAX_BYTES + 1))
                checked = imports.check(kind, text)
                context["checked"] = checked
                if checked.ok:
                    token = secrets.token_urlsafe(16)
                    cache.set(_pending_key(request, token), text, IMPORT_TTL)
                    context["token"] = token
                else:
                    status = 400
        except ValidationError as error:
            context["file_errors"] = error.messages
            status = 400
        except ContractsUnavailable:
            context["file_errors"] = [
                _("Contract data is unavailable right now. Try again in a moment.")
            ]
            status = 503
    return render(request, "dashboard/import.html", context, status=status)


# --- Saved views ------------------------------------------------------------------


SAVED_VIEW_PAGES = {"clients": "dashboard:home", "contracts": "dashboard:contracts"}


@staff_view
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    """Save the current filters and sort under a name, then open the saved view."""
    form = SaveViewForm(request.POST)
    if form.is_valid():
        try:
            view = services.save_view(
                owner=request.user,
                table=form.cleaned_data["table"],
                name=form.cleaned_data["name"],
                params=QueryDict(form.cleaned_data["query"]).dict(),
                shared=form.cleaned_data["shared"],
            )
        except ValidationError as error:
            return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain")
        url = reverse(SAVED_VIEW_PAGES[view.table])
        return HttpResponseRedirect(f"{url}?{view.params}" if view.params else url)
    messages = " ".join(m for field in form.errors.values() for m in field)
    return HttpResponse(messages, status=400, content_type="text/plain")


@staff_view
@require_POST
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    try:
        services.delete_saved_view(view_id=view_id, user=request.user)
    except SavedView.DoesNotExist:
        raise Http404 from None
    return HttpResponseRedirect(request.META.get("HTTP_REFERER") or reverse("dashboard:home"))
