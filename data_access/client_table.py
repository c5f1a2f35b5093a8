"""The clients table: one tenant's clients with their contract count and total.

Clients live in PostgreSQL and per-client totals in MySQL (ClientTotals, exact
and transactional, one row per client with active contracts). Every call runs
a small, fixed number of queries, whatever the page size or the data size:

- Sorted and filtered on client columns only: PostgreSQL pages and counts,
  MySQL is asked for the totals of the page's clients only (3 queries).
- Sorted by an aggregate, no filters: MySQL walks its (tenant, total, client)
  index for the page; clients without contracts (total 0) come after (desc) or
  before (asc) them, ordered by id (4-5 queries, no full scan of either side).
- Anything else (aggregate filters, or client filters with an aggregate sort):
  PostgreSQL gives the matching ids (ordered when the sort is a client column),
  MySQL the totals of those ids, and the two are joined and sorted in memory;
  PostgreSQL then loads the page's rows (3 queries).

Ties are broken by id, in the sort's direction, so rows never repeat or vanish
between pages. Zero is the total of a client without active contracts.
"""

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from math import ceil

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import BooleanField, F, OrderBy, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate
from django_tenants.utils import tenant_context

from data_access.models import BINARY_COLLATION, Client, ClientTotals
from data_access.params import ClientQuery
from data_access.tenants import resolve_tenant
from tenancy.models import Tenant

MYSQL = settings.CONTRACTS_DATABASE
ZERO = (0, Decimal("0.00"))
CLIENT_FIELDS = ("id", "name", "email", "country", "is_active", "created_at")
EXPORT_BATCH = 2_000

CLIENT_SORT_EXPRESSIONS = {
    "name": Collate("name", BINARY_COLLATION),
    "email": Collate("email", BINARY_COLLATION),
    "country": F("country"),
    "created": F("created_at"),
}
TOTALS_SORT_FIELDS = {"contracts": "active_contracts", "total": "active_amount"}


class ContractsUnavailable(RuntimeError):
    """MySQL could not be reached; contract data is unavailable for now."""


@dataclass(frozen=True, slots=True)
class ClientRow:
    id: int
    name: str
    email: str
    country: str
    is_active: bool
    created_at: datetime
    contract_count: int | None  # None: contract data unavailable
    total_amount: Decimal | None


@dataclass(frozen=True, slots=True)
class ClientPage:
    query: ClientQuery
    rows: list[ClientRow]
    count: int
    contracts_available: bool = True

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


# --- PostgreSQL side ---------------------------------------------------------


def filtered_clients(query: ClientQuery) -> QuerySet[Client]:
    """The current tenant's clients matching the query's client-column filters."""
    clients = Client.objects.all()
    if query.search:
        clients = clients.filter(Q(name__icontains=query.search) | Q(email__icontains=query.search))
    if query.country:
        clients = clients.filter(country=query.country)
    if query.active is not None:
        clients = clients.filter(is_active=query.active)
    return clients


def _client_ordering(query: ClientQuery) -> list[OrderBy]:
    key = CLIENT_SORT_EXPRESSIONS[query.sort]
    if query.descending:
        return [key.desc(), F("id").desc()]
    return [key.asc(), F("id").asc()]


def _clients_by_id(ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    return {row["id"]: row for row in Client.objects.filter(id__in=ids).values(*CLIENT_FIELDS)}


def _without_ids(clients: QuerySet[Client], ids: list[int]) -> QuerySet[Client]:
    # One array parameter, however many ids (an IN list is capped at 65k parameters).
    return clients.filter(RawSQL("NOT (id = ANY(%s))", (ids,), output_field=BooleanField()))


# --- MySQL side --------------------------------------------------------------


def _mysql_call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except DatabaseError as error:
        connections[MYSQL].close()
        raise ContractsUnavailable(str(error)) from error


def _totals(tenant: Tenant, ids: Iterable[int] | None = None) -> dict[int, tuple[int, Decimal]]:
    rows = ClientTotals.objects.filter(tenant_id=tenant.pk)
    if ids is not None:
        ids = list(ids)
        if not ids:
            return {}
        rows = rows.filter(client_id__in=ids)
    return {
        client_id: (count, amount)
        for client_id, count, amount in rows.values_list(
            "client_id", "active_contracts", "active_amount"
        )
    }


def _matches_aggregates(query: ClientQuery, count: int, total: Decimal) -> bool:
    if query.has_contracts is not None and (count > 0) != query.has_contracts:
        return False
    if query.min_total is not None and total < query.min_total:
        return False
    return not (query.max_total is not None and total > query.max_total)


# --- Plans -------------------------------------------------------------------


def _rows(
    ids: list[int], clients: dict[int, dict], totals: dict[int, tuple[int, Decimal]] | None
) -> list[ClientRow]:
    rows = []
    for client_id in ids:
        client = clients.get(client_id)
        if client is None:  # an orphan total: no such client in PostgreSQL
            continue
        count, total = (None, None) if totals is None else totals.get(client_id, ZERO)
        rows.append(ClientRow(**client, contract_count=count, total_amount=total))
    return rows


def _page_by_client_columns(query: ClientQuery, tenant: Tenant) -> ClientPage:
    clients = filtered_clients(query)
    count = clients.count()
    page = list(
        clients.order_by(*_client_ordering(query)).values(*CLIENT_FIELDS)[
            query.offset : query.offset + query.page_size
        ]
    )
    ids = [row["id"] for row in page]
    try:
        totals = _mysql_call(_totals, tenant, ids)
    except ContractsUnavailable:
        totals = None
    rows = _rows(ids, {row["id"]: row for row in page}, totals)
    return ClientPage(query=query, rows=rows, count=count, contracts_available=totals is not None)


def _page_by_aggregate_index(query: ClientQuery, tenant: Tenant) -> ClientPage:
    """Aggregate sort with no filters: walk MySQL's totals index for the page."""
    count = Client.objects.count()
    field = TOTALS_SORT_FIELDS[query.sort]
    with_totals = ClientTotals.objects.filter(tenant_id=tenant.pk)
    n_with = _mysql_call(with_totals.count)
    n_zero = max(count - n_with, 0)
    start, stop = query.offset, query.offset + query.page_size
    # Position ranges of the two segments on this page.
    if query.descending:
        totals_range, zero_range = (start, min(stop, n_with)), (start - n_with, stop - n_with)
    else:
        zero_range, totals_range = (start, min(stop, n_zero)), (start - n_zero, stop - n_zero)
    totals_range = (max(totals_range[0], 0), totals_range[1])
    zero_range = (max(zero_range[0], 0), min(zero_range[1], n_zero))

    ordered_totals: list[tuple[int, int, Decimal]] = []
    if totals_range[1] > totals_range[0]:
        order = (f"-{field}", "-client_id") if query.descending else (field, "client_id")
        ordered_totals = _mysql_call(
            lambda: list(
                with_totals.order_by(*order).values_list(
                    "client_id", "active_contracts", "active_amount"
                )[totals_range[0] : totals_range[1]]
            )
        )
    zero_ids: list[int] = []
    if zero_range[1] > zero_range[0]:
        all_with = _mysql_call(lambda: list(with_totals.values_list("client_id", flat=True)))
        zero_ids = list(
            _without_ids(Client.objects.all(), all_with)
            .order_by("-id" if query.descending else "id")
            .values_list("id", flat=True)[zero_range[0] : zero_range[1]]
        )
    totals = {client_id: (n, amount) for client_id, n, amount in ordered_totals}
    totals_ids = [client_id for client_id, _, _ in ordered_totals]
    ids = totals_ids + zero_ids if query.descending else zero_ids + totals_ids
    rows = _rows(ids, _clients_by_id(ids), totals)
    return ClientPage(query=query, rows=rows, count=count)


def _joined(
    query: ClientQuery, tenant: Tenant, *, limit: int | None = None
) -> tuple[list[int], int, dict[int, tuple[int, Decimal]]]:
    """Matching ids in order (the first `limit` of them), their count and totals.

    PostgreSQL gives the ids matching the client filters (in order when the
    sort is a client column); MySQL gives the totals, of those ids when the
    client filters narrow them, else of the whole tenant; the join, the
    aggregate filters and an aggregate sort happen in memory.
    """
    clients = filtered_clients(query)
    if not query.sorts_by_aggregate:
        clients = clients.order_by(*_client_ordering(query))
    ids: list[int] = list(clients.values_list("id", flat=True))
    totals = _mysql_call(_totals, tenant, ids if query.has_client_filters else None)
    if query.has_aggregate_filters:
        ids = [i for i in ids if _matches_aggregates(query, *totals.get(i, ZERO))]
    count = len(ids)
    if query.sorts_by_aggregate:
        position = 0 if query.sort == "contracts" else 1
        sign = -1 if query.descending else 1

        def key(client_id: int) -> tuple[Decimal | int, int]:
            return (sign * totals.get(client_id, ZERO)[position], sign * client_id)

        # A heap of the first `limit` beats sorting every id for early pages.
        ids = heapq.nsmallest(limit, ids, key=key) if limit is not None else sorted(ids, key=key)
    return ids, count, totals


def _page_joined(query: ClientQuery, tenant: Tenant) -> ClientPage:
    stop = query.offset + query.page_size
    ids, count, totals = _joined(query, tenant, limit=stop)
    page_ids = ids[query.offset : stop]
    rows = _rows(page_ids, _clients_by_id(page_ids), totals)
    return ClientPage(query=query, rows=rows, count=count)


# --- Entry points -------------------------------------------------------------


def client_page(query: ClientQuery, *, tenant: Tenant | None = None) -> ClientPage:
    """One page of the clients table for the current (or named) tenant.

    Raises ContractsUnavailable when the rows depend on MySQL and it is down;
    with a client-column sort the page comes back with `contracts_available`
    False and no totals instead.
    """
    tenant = resolve_tenant(tenant)
    with tenant_context(tenant):
        if not query.needs_contracts:
            return _page_by_client_columns(query, tenant)
        if not query.has_client_filters and not query.has_aggregate_filters:
            return _page_by_aggregate_index(query, tenant)
        return _page_joined(query, tenant)


def client_rows(query: ClientQuery, *, tenant: Tenant | None = None) -> Iterator[ClientRow]:
    """Every row the query matches, in order, loaded in batches (for exports)."""
    tenant = resolve_tenant(tenant)
    with tenant_context(tenant):
        if query.needs_contracts:
            ids, _, _ = _joined(query, tenant)
        else:
            ids = list(
                filtered_clients(query)
                .order_by(*_client_ordering(query))
                .values_list("id", flat=True)
            )
    for start in range(0, len(ids), EXPORT_BATCH):
        batch = ids[start : start + EXPORT_BATCH]
        with tenant_context(tenant):
            clients = _clients_by_id(batch)
            try:
                totals = _mysql_call(_totals, tenant, batch)
            except ContractsUnavailable:
                totals = None
        yield from _rows(batch, clients, totals)
