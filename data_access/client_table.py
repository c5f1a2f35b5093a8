"""The clients table: one tenant's clients with their contract count and total.

Clients live in PostgreSQL; per-client totals of active contracts live in
MySQL (ClientTotals: exact, written in the contract's transaction, one row per
client with at least one active contract). A client without one totals zero.

Each call picks one of three plans, and runs a bounded number of queries
whatever the page size or the data size:

1. Client-column sort, no aggregate filter: PostgreSQL counts and pages; MySQL
   is asked for the totals of the page's clients only. 3 queries.
2. Descending aggregate sort, no aggregate filter: walk MySQL's (tenant,
   total, client) index from the top. With client filters, each batch of ids
   is checked against PostgreSQL, in at most WALK_ROUNDS growing batches.
   Clients without contracts come last, by id; only a page that reaches them
   reads every id. 3 queries for the first pages without filters.
3. Everything else (aggregate filters, ascending aggregate sorts): PostgreSQL
   gives the matching ids (ordered, for a client-column sort), MySQL their
   totals (as integer cents, cheaper than Decimals), joined, filtered and
   sorted in memory; PostgreSQL loads the page's rows. 4 queries.

Ties are broken by id in the sort's direction, so rows never repeat or vanish
between pages. Orphan totals (contracts whose client is gone, see
check_integrity) are never shown as rows.
"""

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from math import ceil, floor

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import BooleanField, F, OrderBy, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate
from django_tenants.utils import tenant_context

from data_access.models import BINARY_COLLATION, Client, ClientTotals
from data_access.params import ClientQuery, PageArithmetic
from data_access.tenants import resolve_tenant
from tenancy.models import Tenant

MYSQL = settings.CONTRACTS_DATABASE
CLIENT_FIELDS = ("id", "name", "email", "country", "is_active", "created_at")
EXPORT_BATCH = 2_000
WALK_ROUNDS = 4
WALK_GROWTH = 8
# Below this many ids, MySQL is asked for their totals by IN list, above for all.
NARROW_IDS = 20_000
# Up to this many clients passing the client filters, join rather than walk.
SMALL_MATCH = 5_000
# From this offset on, a client-column page is read as ids first, then rows.
DEEP_OFFSET = 1_000

CLIENT_SORT_EXPRESSIONS = {
    "name": Collate("name", BINARY_COLLATION),
    "email": Collate("email", BINARY_COLLATION),
    "country": F("country"),
    "created": F("created_at"),
}
TOTALS_SORT_FIELDS = {"contracts": "active_contracts", "total": "active_amount"}

# (contract count, total in cents) per client id.
Totals = dict[int, tuple[int, int]]
NO_CONTRACTS = (0, 0)


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
class ClientPage(PageArithmetic):
    query: ClientQuery
    rows: list[ClientRow]
    count: int
    contracts_available: bool = True


def cents_to_decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


# --- PostgreSQL ----------------------------------------------------------------------


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


def _id_in(ids: list[int]) -> RawSQL:
    # One array parameter, however many ids (an IN list stops at 65k parameters).
    return RawSQL(
        '"data_access_client"."id" = ANY(%s::bigint[])', (ids,), output_field=BooleanField()
    )


def _clients_by_id(ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    return {row["id"]: row for row in Client.objects.filter(_id_in(ids)).values(*CLIENT_FIELDS)}


# --- MySQL ---------------------------------------------------------------------------


def _from_mysql[T](function: Callable[[], T]) -> T:
    try:
        return function()
    except DatabaseError as error:
        connections[MYSQL].close()
        raise ContractsUnavailable(str(error)) from error


def _totals(tenant: Tenant, ids: list[int] | None = None) -> Totals:
    """Totals of these clients (or of every client with contracts), in cents."""
    if ids is not None and not ids:
        return {}
    sql = (
        "SELECT client_id, active_contracts, CAST(active_amount * 100 AS SIGNED) "
        f"FROM {ClientTotals._meta.db_table} WHERE tenant_id = %s"
    )
    params: list[object] = [tenant.pk]
    if ids is not None:
        sql += " AND client_id IN %s"
        params.append(ids)

    def fetch() -> Totals:
        with connections[MYSQL].cursor() as cursor:
            cursor.execute(sql, params)
            return {client_id: (count, cents) for client_id, count, cents in cursor.fetchall()}

    return _from_mysql(fetch)


def _totals_in_order(
    tenant: Tenant, query: ClientQuery, start: int, stop: int | None
) -> list[tuple[int, int, int]]:
    """(client id, count, cents) rows of ClientTotals in the sort's order, sliced."""
    field = TOTALS_SORT_FIELDS[query.sort]
    direction = "DESC" if query.descending else "ASC"
    limit = "" if stop is None else f" LIMIT {int(stop - start)} OFFSET {int(start)}"
    sql = (
        "SELECT client_id, active_contracts, CAST(active_amount * 100 AS SIGNED) "
        f"FROM {ClientTotals._meta.db_table} WHERE tenant_id = %s "
        f"ORDER BY {field} {direction}, client_id {direction}{limit}"
    )

    def fetch() -> list[tuple[int, int, int]]:
        with connections[MYSQL].cursor() as cursor:
            cursor.execute(sql, [tenant.pk])
            return list(cursor.fetchall())

    return _from_mysql(fetch)


def _cents_bounds(query: ClientQuery) -> tuple[int | None, int | None]:
    """The total's bounds in whole cents (totals are whole cents, bounds may not be)."""
    low = None if query.min_total is None else ceil(query.min_total * 100)
    high = None if query.max_total is None else floor(query.max_total * 100)
    return low, high


def _admits_no_contracts(query: ClientQuery) -> bool:
    """Whether a client without active contracts (count 0, total 0) passes."""
    low, high = _cents_bounds(query)
    return (
        query.has_contracts is not True
        and (low is None or low <= 0)
        and (high is None or high >= 0)
    )


def _aggregate_predicate(query: ClientQuery) -> Callable[[tuple[int, int]], bool]:
    low, high = _cents_bounds(query)
    has_contracts = query.has_contracts

    def passes(totals: tuple[int, int]) -> bool:
        count, cents = totals
        return (
            (has_contracts is None or (count > 0) == has_contracts)
            and (low is None or cents >= low)
            and (high is None or cents <= high)
        )

    return passes


def _ids_with_totals(tenant: Tenant, query: ClientQuery, *, within: bool) -> set[int]:
    """Ids of clients with contracts whose totals pass the aggregate filters
    (within=True) or fail them (within=False), filtered by MySQL's index."""
    low, high = _cents_bounds(query)
    conditions, params = [], []
    if query.has_contracts is False:
        conditions.append("FALSE")
    if low is not None:
        conditions.append("active_amount >= %s")
        params.append(cents_to_decimal(low))
    if high is not None:
        conditions.append("active_amount <= %s")
        params.append(cents_to_decimal(high))
    test = " AND ".join(conditions) or "TRUE"
    sql = (
        f"SELECT client_id FROM {ClientTotals._meta.db_table} WHERE tenant_id = %s "
        f"AND {'' if within else 'NOT '}({test})"
    )

    def fetch() -> set[int]:
        with connections[MYSQL].cursor() as cursor:
            cursor.execute(sql, [tenant.pk, *params])
            return {row[0] for row in cursor.fetchall()}

    return _from_mysql(fetch)


def _rows(ids: list[int], clients: dict[int, dict], totals: Totals | None) -> list[ClientRow]:
    rows = []
    for client_id in ids:
        client = clients.get(client_id)
        if client is None:  # an orphan total: no such client in PostgreSQL
            continue
        if totals is None:
            count, total = None, None
        else:
            count, cents = totals.get(client_id, NO_CONTRACTS)
            total = cents_to_decimal(cents)
        rows.append(ClientRow(**client, contract_count=count, total_amount=total))
    return rows


# --- Plan 1: client columns ----------------------------------------------------------


def _page_by_client_columns(query: ClientQuery, tenant: Tenant) -> ClientPage:
    clients = filtered_clients(query)
    count = clients.count()
    ordered = clients.order_by(*_client_ordering(query))
    window = slice(query.offset, query.offset + query.page_size)
    if query.offset < DEEP_OFFSET:
        page = {row["id"]: row for row in ordered.values(*CLIENT_FIELDS)[window]}
        ids = list(page)
    else:
        # Skipping many rows is cheap from the sort index alone (ids only); whole
        # rows are then read for the page's ids.
        ids = list(ordered.values_list("id", flat=True)[window])
        page = _clients_by_id(ids)
    try:
        totals: Totals | None = _totals(tenant, ids)
    except ContractsUnavailable:
        totals = None
    rows = _rows(ids, page, totals)
    return ClientPage(query=query, rows=rows, count=count, contracts_available=totals is not None)


# --- Plan 2: walk the totals index ---------------------------------------------------


def _walk_matching_totals(
    query: ClientQuery,
    tenant: Tenant,
    *,
    start: int,
    stop: int,
    keep: Callable[[list[int]], dict[int, dict]] | None,
    kept_rows: dict[int, dict],
) -> tuple[list[tuple[int, int, int]], bool]:
    """Totals rows `start:stop`, in the sort's order, of the clients that `keep`
    accepts (all of them when it is None), and whether the rows ran out."""
    if keep is None:
        rows = _totals_in_order(tenant, query, start, stop)
        return rows, len(rows) < stop - start
    matched: list[tuple[int, int, int]] = []
    scanned, batch = 0, max(4 * stop, 500)
    for round_number in range(WALK_ROUNDS):
        last = round_number == WALK_ROUNDS - 1
        rows = _totals_in_order(tenant, query, scanned, None if last else scanned + batch)
        scanned += len(rows)
        kept = keep([row[0] for row in rows])
        kept_rows.update(kept)
        matched += [row for row in rows if row[0] in kept]
        if len(matched) >= stop:
            return matched[start:stop], False
        if last or len(rows) < batch:
            return matched[start:stop], True
        batch *= WALK_GROWTH
    raise AssertionError("unreachable: the last round reads to the end")


def _page_by_totals_walk(query: ClientQuery, tenant: Tenant) -> ClientPage:
    """Clients with contracts in MySQL's index order; those without (total 0)
    after them when descending, before them when ascending, ordered by id."""
    clients = filtered_clients(query)
    count = clients.count()
    if query.has_client_filters and count <= SMALL_MATCH:
        # A narrow filter would make the walk read far down the index: joining
        # the few matching ids' totals is cheaper.
        return _page_joined(query, tenant)
    start, stop = query.offset, query.offset + query.page_size

    def in_postgres(ids: list[int]) -> dict[int, dict]:
        # The whole rows: those on the page need no second trip.
        return {row["id"]: row for row in clients.filter(_id_in(ids)).values(*CLIENT_FIELDS)}

    kept_rows: dict[int, dict] = {}

    def without_contracts() -> list[int]:
        with_contracts = set(_totals(tenant))
        ordered = clients.order_by("-id" if query.descending else "id")
        return [i for i in ordered.values_list("id", flat=True) if i not in with_contracts]

    keep = in_postgres if query.has_client_filters else None
    zero_ids: list[int] = []
    if not query.descending:
        zero_ids = without_contracts()
        page_totals, _ = _walk_matching_totals(
            query,
            tenant,
            start=max(start - len(zero_ids), 0),
            stop=max(stop - len(zero_ids), 0),
            keep=keep,
            kept_rows=kept_rows,
        )
        ids = zero_ids[start:stop] + [row[0] for row in page_totals]
    else:
        page_totals, ran_out = _walk_matching_totals(
            query, tenant, start=start, stop=stop, keep=keep, kept_rows=kept_rows
        )
        ids = [row[0] for row in page_totals]
        if ran_out:
            zero_ids = without_contracts()
            with_contracts_count = count - len(zero_ids)
            first = max(start - with_contracts_count, 0)
            ids += zero_ids[first : first + query.page_size - len(ids)]
    totals: Totals = {client_id: (n, cents) for client_id, n, cents in page_totals}
    missing = [client_id for client_id in ids if client_id not in kept_rows]
    rows = _rows(ids, kept_rows | _clients_by_id(missing), totals)
    return ClientPage(query=query, rows=rows, count=count)


# --- Plan 3: join in memory ----------------------------------------------------------


def _joined(
    query: ClientQuery, tenant: Tenant, *, limit: int | None = None
) -> tuple[list[int], int, Totals | None]:
    """Matching ids in order (the first `limit`, for an aggregate sort), their count,
    and their totals when the sort needed them.

    PostgreSQL gives the ids passing the client filters (ordered, for a client
    column sort). For an aggregate sort MySQL gives the totals (of those ids,
    while they are few); else only the ids that pass, or that fail, the
    aggregate filters, whichever excludes clients without contracts correctly.
    """
    clients = filtered_clients(query)
    if not query.sorts_by_aggregate:
        clients = clients.order_by(*_client_ordering(query))
    ids: list[int] = list(clients.values_list("id", flat=True))
    if not query.sorts_by_aggregate:
        if _admits_no_contracts(query):
            failing = _ids_with_totals(tenant, query, within=False)
            ids = [i for i in ids if i not in failing]
        else:
            passing = _ids_with_totals(tenant, query, within=True)
            ids = [i for i in ids if i in passing]
        return ids, len(ids), None

    narrow = query.has_client_filters and len(ids) < NARROW_IDS
    totals = _totals(tenant, ids if narrow else None)
    if query.has_aggregate_filters:
        passes = _aggregate_predicate(query)
        ids = [i for i in ids if passes(totals.get(i, NO_CONTRACTS))]
    count = len(ids)
    position = 0 if query.sort == "contracts" else 1
    sign = -1 if query.descending else 1

    def key(client_id: int) -> tuple[int, int]:
        return (sign * totals.get(client_id, NO_CONTRACTS)[position], sign * client_id)

    # A heap of the first `limit` beats sorting every id for early pages.
    ids = heapq.nsmallest(limit, ids, key=key) if limit is not None else sorted(ids, key=key)
    return ids, count, totals


def _page_joined(query: ClientQuery, tenant: Tenant) -> ClientPage:
    stop = query.offset + query.page_size
    ids, count, totals = _joined(query, tenant, limit=stop)
    page_ids = ids[query.offset : stop]
    if totals is None:
        totals = _totals(tenant, page_ids)
    rows = _rows(page_ids, _clients_by_id(page_ids), totals)
    return ClientPage(query=query, rows=rows, count=count)


# --- Entry points --------------------------------------------------------------------


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
        if query.sorts_by_aggregate and not query.has_aggregate_filters:
            return _page_by_totals_walk(query, tenant)
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
            totals: Totals | None = _totals(tenant, batch)
        except ContractsUnavailable:
            totals = None
        yield from _rows(batch, clients, totals)
