"""The read-only JSON API of a tenant host.

Every client endpoint takes the dashboard table's parameters (data_access.params)
and answers one page in an envelope:

    {"count": 120, "next": "http://acme.localhost/api/clients/?page=2", "previous": null,
     "results": [...]}

Views stay thin: parse the parameters, ask data_access, shape the JSON. Errors
are JSON too: 400 {"errors": {param: [msg]}}, 401/403/405/503 {"error": msg}.
"""

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from dashboard.authentication import AuthFailure, authenticate
from dashboard.openapi import OPENAPI
from data_access.client_table import ClientPage, ContractsUnavailable, client_page
from data_access.params import ClientQuery, InvalidQuery, parse_client_query
from tenancy.models import Country, Tenant

SAFE_METHODS = ("GET", "HEAD")
CONTRACTS_DOWN = (
    "Contract data is temporarily unavailable (the contracts database cannot be "
    "reached). Client lists sorted and filtered by client columns still work."
)
RETRY_AFTER_SECONDS = "30"
# Input echoed in a value (an error message, a client name) can never read as
# markup, even if something renders the body as HTML. ("&" is left alone: it
# starts no tag, and links stay readable.)
_HTML_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E"}

View = Callable[..., HttpResponse]


class SafeJSONEncoder(DjangoJSONEncoder):
    def encode(self, o: Any) -> str:
        return super().encode(o).translate(_HTML_ESCAPES)


def json_response(data: Any, *, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, encoder=SafeJSONEncoder, safe=False)


def error_response(message: str, *, status: int) -> JsonResponse:
    return json_response({"error": message}, status=status)


def api_view(*, public: bool = False) -> Callable[[View], View]:
    """GET/HEAD only, authenticated unless `public`, never cached by shared caches,
    and the errors a caller can cause answered as JSON."""

    def decorator(view: View) -> View:
        # Every unsafe method is refused before anything runs, so there is nothing
        # for CSRF to protect; exempting lets a POST get a JSON 405, not an HTML 403.
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = _dispatch(view, request, public=public, args=args, kwargs=kwargs)
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ("Authorization", "Cookie"))
            return response

        return wrapper

    return decorator


def _dispatch(
    view: View, request: HttpRequest, *, public: bool, args: tuple, kwargs: dict[str, Any]
) -> HttpResponse:
    if request.method not in SAFE_METHODS:
        response = error_response("Only GET is supported.", status=405)
        response["Allow"] = ", ".join(SAFE_METHODS)
        return response
    if not public:
        caller = authenticate(request)
        if isinstance(caller, AuthFailure):
            response = error_response(caller.message, status=caller.status)
            if caller.status == 401:
                response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
    try:
        return view(request, *args, **kwargs)
    except InvalidQuery as invalid:
        return json_response({"errors": invalid.errors}, status=400)
    except ContractsUnavailable:
        return _contracts_down()


def _contracts_down() -> JsonResponse:
    response = error_response(CONTRACTS_DOWN, status=503)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


# --- Parameters and envelope --------------------------------------------------


def _client_query(request: HttpRequest, *, default_active: bool = False) -> ClientQuery:
    params = request.GET
    if default_active and "active" not in params:
        params = params.copy()
        params["active"] = "yes"
    return parse_client_query(params)


def _page_url(request: HttpRequest, query: ClientQuery, page: int, *, default_active: bool) -> str:
    querystring = query.querystring(page=page)
    if default_active and query.active is None:
        # The table omits active=any (its default); here the default is "yes",
        # so "any" has to be spelled out for the link to mean the same thing.
        querystring += ("&" if querystring != "?" else "") + "active="
    return request.build_absolute_uri(request.path + querystring)


def _envelope(
    request: HttpRequest,
    page: ClientPage,
    results: list[dict[str, Any]],
    *,
    default_active: bool = False,
    **extra: Any,
) -> JsonResponse:
    query = page.query
    next_url = previous_url = None
    if page.has_next:
        next_url = _page_url(request, query, query.page + 1, default_active=default_active)
    if page.has_previous:
        # Past the end, "previous" leads back to the last page, not to another empty one.
        previous = min(query.page - 1, page.num_pages)
        previous_url = _page_url(request, query, previous, default_active=default_active)
    return json_response(
        {
            "count": page.count,
            "next": next_url,
            "previous": previous_url,
            **extra,
            "results": results,
        }
    )


def _decimal(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _page_with_contracts(query: ClientQuery, *, tenant: Tenant) -> ClientPage:
    page = client_page(query, tenant=tenant)
    if not page.contracts_available:
        # With a client-column sort the table degrades to no totals; these
        # endpoints exist for the totals, so they say so instead.
        raise ContractsUnavailable("contract totals unavailable")
    return page


# --- Endpoints -----------------------------------------------------------------


@api_view()
def clients(request: HttpRequest) -> HttpResponse:
    """Clients; active ones unless `active` is given (`active=` for all)."""
    page = client_page(_client_query(request, default_active=True), tenant=request.tenant)
    results = [
        {
            "id": row.id,
            "name": row.name,
            "email": row.email,
            "country": row.country,
            "created_at": row.created_at.isoformat(),
        }
        for row in page.rows
    ]
    return _envelope(request, page, results, default_active=True)


@api_view()
def client_stats(request: HttpRequest) -> HttpResponse:
    """Number of active contracts per client."""
    page = _page_with_contracts(_client_query(request), tenant=request.tenant)
    results = [
        {"id": row.id, "name": row.name, "contract_count": row.contract_count} for row in page.rows
    ]
    return _envelope(request, page, results)


@api_view()
def client_amounts(request: HttpRequest) -> HttpResponse:
    """Total amount of active contracts per client, in the tenant's currency."""
    page = _page_with_contracts(_client_query(request), tenant=request.tenant)
    results = [
        {"id": row.id, "name": row.name, "total_amount": _decimal(row.total_amount)}
        for row in page.rows
    ]
    return _envelope(request, page, results, currency=request.tenant.currency)


@api_view()
def countries(request: HttpRequest) -> HttpResponse:
    """The shared country list (public schema): the same on every tenant host."""
    results = list(Country.objects.order_by("code").values("code", "name"))
    return json_response(
        {"count": len(results), "next": None, "previous": None, "results": results}
    )


@api_view(public=True)
def schema(request: HttpRequest) -> HttpResponse:
    """The OpenAPI document; it describes the API, holds no tenant data."""
    return json_response(OPENAPI)
