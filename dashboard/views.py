"""Staff pages of a tenant: the clients dashboard, its panels, client detail,
contracts and the CSV export.

A view parses the request (through the filter form where the page shows one,
with the query itself where it does not), asks data_access, and renders one
template; HTMX requests get a {% partialdef %} of it.
"""

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import push_url, trigger_client_event

from dashboard import imports
from dashboard.access import staff_view
from dashboard.charts import month_chart
from dashboard.exports import client_csv_lines, csv_download
from dashboard.formats import country_name
from dashboard.forms import ClientFilterForm, ContractFilterForm
from dashboard.querystrings import querystring
from dashboard.tables import ClientTable, ContractTable
from data_access import services
from data_access.boundary import ContractsUnavailable
from data_access.models import Client, SavedView
from data_access.querying import ClientQuery, InvalidQuery
from data_access.selectors import panels
from data_access.selectors.audit import client_trail
from data_access.selectors.clients import client_page, client_rows
from data_access.selectors.contracts import client_contracts, contract_page
from tenancy.models import Tenant

FILTERS_CHANGED = "filters-changed"  # panels listen for it (see home.html)
DETAIL_CONTRACTS_LIMIT = 500
TOP_CLIENTS = 10
CHART_MONTHS = 12


def _wants_fragment(request: HttpRequest) -> bool:
    # History restores (cache misses) need the whole page, not a fragment.
    return bool(request.htmx) and not request.htmx.history_restore_request


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
    data: Any = None
    unavailable: bool = False  # MySQL is down
    invalid: bool = False  # the filters did not validate


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
    client = get_object_or_404(Client, pk=client_id)
    try:
        history = client_contracts(
            client_id=client.pk, limit=DETAIL_CONTRACTS_LIMIT, tenant=request.tenant
        )
    except ContractsUnavailable:
        history = None
    context = {
        "tenant": request.tenant,
        "client": client,
        "history": history,
        "limit": DETAIL_CONTRACTS_LIMIT,
        "trail": client_trail(client_id=client.pk, tenant=request.tenant),
        "back_url": _back_to_clients(request.GET.get("back", "")),
    }
    return render(request, "dashboard/client_detail.html", context)


# --- Contracts page -------------------------------------------------------------


@staff_view
def contracts(request: HttpRequest) -> HttpResponse:
    form = ContractFilterForm(request.GET)
    context: dict[str, Any] = {"form": form, "tenant": request.tenant}
    query = form.query if form.is_valid() else None
    if query is not None:
        context["query"] = query
        try:
            page = contract_page(query, tenant=request.tenant)
        except ContractsUnavailable:
            context["contracts_available"] = False
        else:
            table = ContractTable(page, currency=request.tenant.currency)
            context |= {"contracts_available": True, "page": page, "table": table}
    status = 200 if query is not None else 400
    if _wants_fragment(request):
        response = render(
            request, "dashboard/contracts.html#contracts_table", context, status=status
        )
        if query is not None:
            push_url(response, reverse("dashboard:contracts") + querystring(query))
        return response
    return render(request, "dashboard/contracts.html", context, status=status)


# --- CSV export ----------------------------------------------------------------


@staff_view
def export_clients(request: HttpRequest) -> HttpResponse:
    # No form here either: nothing is rendered but the rows.
    try:
        query = ClientQuery.parse(request.GET)
    except InvalidQuery as invalid:
        lines = [f"{name}: {' '.join(messages)}" for name, messages in invalid.errors.items()]
        return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
    # Degrades by itself when MySQL is down: the rows come without totals.
    rows = client_rows(query, tenant=request.tenant)
    stamp = datetime.date.today().isoformat()
    return csv_download(
        client_csv_lines(rows, currency=request.tenant.currency),
        filename=f"clients-{request.tenant.schema_name}-{stamp}.csv",
    )


# --- CSV import -------------------------------------------------------------------

IMPORT_TTL = 15 * 60  # seconds a checked file waits for its confirmation


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Import"),
        choices=[(key, kind.label) for key, kind in imports.KINDS.items()],
    )
    file = forms.FileField(label=gettext_lazy("CSV file (UTF-8)"), required=False)
    token = forms.CharField(required=False, widget=forms.HiddenInput)


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


class SaveViewForm(forms.Form):
    table = forms.ChoiceField(choices=[(key, key) for key in services.SAVED_VIEW_TABLES])
    name = forms.CharField(max_length=100)
    shared = forms.BooleanField(required=False)
    query = forms.CharField(required=False, max_length=2000)


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
