"""The clients table: one tenant's clients with their contract count and total.

Clients live in PostgreSQL; per-client totals of active contracts live in
MySQL (ClientTotals: exact, written in the contract's transaction). Every client
has a row, zero without active contracts, while TotalsCoverage says the zero
rows are complete; clients written outside the services may lack theirs until
check_integrity --repair, and then a missing row totals zero.

Each call picks one of these plans, and runs a bounded number of queries
whatever the page size or the data size:

1. Client-column sort, no aggregate filter: PostgreSQL counts and pages; MySQL
   is asked for the totals of the page's clients only. 3 queries.
2. Aggregate sort, no aggregate filter: walk MySQL's (tenant, total, client)
   index. With client filters, each batch of ids is checked against PostgreSQL,
   in at most WALK_ROUNDS growing batches, the first sized by the filters' share
   of the tenant; when the walk would read more rows than the matching clients,
   plan 4 joins them instead. The zero rows put the clients
   without contracts last when descending, first when ascending, by id; with
   the zero rows incomplete, those clients' ids are read from PostgreSQL.
3. Aggregate filters, zero rows complete: every aggregate filter is one range
   of totals, and its size an index-only count (capped). Without client filters
   that is the count, and the page is a walk of the range (aggregate sort) or of
   PostgreSQL's order in at most WALK_ROUNDS batches checked against the range
   (client-column sort). A range of at most SMALL_MATCH clients is filtered,
   counted and ordered by PostgreSQL, whatever the filters.
4. Everything else: PostgreSQL gives the matching ids (ordered, for a
   client-column sort), MySQL their totals in integer cents, joined, filtered
   and sorted in memory; PostgreSQL loads the page's rows.

The count is exact when ClientCount answers it (at most a country and an
active state). Any other is held to querying.COUNT_LIMIT, whichever plan counted
it (ResultPage): exact up to it, a lower bound past it, and each plan reads one
row past its page, so the next page exists while rows do. A count past the cap
never picks a plan that needs the exact size: such a range is never read whole,
and it only proves a walk cheaper, the exact count deciding otherwise.

Ties are broken by id in the sort's direction, so rows never repeat or vanish
between pages. Orphan totals (contracts whose client is gone, see
check_integrity) are never shown as rows.

When MySQL is down, a question that needs it is answered without its contract
terms (filters and sort), and the page says so.
"""

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from data_access.boundary import ContractsUnavailable
from data_access.models import Client
from data_access.querying import ClientQuery, ResultPage, capped_count, within_cap
from data_access.selectors import aggregates
from data_access.selectors.aggregates import (
    NO_CONTRACTS,
    Cents,
    CentsRange,
    cents_to_decimal,
    client_cents,
    client_cents_in_order,
    client_cents_in_range,
    client_cents_within,
    client_ids_by_total,
    counted_totals,
    id_in,
    zero_rows_complete,
)
from data_access.tenants import resolve_tenant, tenant_schema
from tenancy.models import Tenant

CLIENT_FIELDS = ("id", "name", "email", "country", "is_active", "created_at")
EXPORT_BATCH = 2_000
WALK_ROUNDS = 4
WALK_GROWTH = 8
# A walk's first batch: WALK_AHEAD times the index rows expected to hold the page's
# end (the page's end divided by the share of clients the filters keep), at least
# WALK_FIRST_BATCH.
WALK_AHEAD = 1.5
WALK_FIRST_BATCH = 500
# Up to this many clients passing the client filters, join rather than walk.
SMALL_MATCH = 5_000
# From this offset on, a client-column page is read as ids first, then rows.
DEEP_OFFSET = 1_000


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


class ClientPage(ResultPage[ClientRow]):
    def __init__(
        self,
        rows: list[ClientRow],
        *,
        query: ClientQuery,
        count: int,
        more: bool = False,
        contracts_available: bool = True,
        asked: ClientQuery | None = None,
    ) -> None:
        # Only ClientCount (country and active state) answers a count whatever its size;
        # any other is held to the cap, whichever plan counted it, so what the page says
        # depends on the question, never on the plan.
        capped = not query.segment_filters_only
        super().__init__(rows, query=query, count=count, capped=capped, more=more)
        self.contracts_available = contracts_available
        # The query asked, when MySQL was down and `query` is what could be answered.
        self.asked = asked or query

    @property
    def contract_terms_dropped(self) -> bool:
        return self.asked != self.query


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
    created_from, created_before = query.created_bounds(today=timezone.localdate())
    if created_from is not None:
        clients = clients.filter(created_at__gte=created_from)
    if created_before is not None:
        clients = clients.filter(created_at__lt=created_before)
    return clients


def matching_count(query: ClientQuery, clients: QuerySet[Client], tenant: Tenant) -> int:
    """How many clients pass the query's client filters: from ClientCount (a row
    per country and active state) when they are at most those two, else counted up
    to COUNT_LIMIT (capped_count: past it, a lower bound)."""
    if not query.segment_filters_only:
        return capped_count(clients)
    return aggregates.counted_clients(
        tenant=tenant, country=query.country or None, active=query.active
    )


def _ordered(clients: QuerySet[Client], query: ClientQuery) -> QuerySet[Client]:
    return clients.order_by(*query.column.ordering(descending=query.descending))


def _clients_by_id(ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    return {row["id"]: row for row in Client.objects.filter(id_in(ids)).values(*CLIENT_FIELDS)}


def _rows(ids: list[int], clients: dict[int, dict], totals: Cents | None) -> list[ClientRow]:
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


def _page_by_client_columns(
    query: ClientQuery, tenant: Tenant, *, asked: ClientQuery | None = None
) -> ClientPage:
    clients = filtered_clients(query)
    count = matching_count(query, clients, tenant)
    ordered = _ordered(clients, query)
    if query.offset < DEEP_OFFSET:
        page = {row["id"]: row for row in ordered.values(*CLIENT_FIELDS)[query.window]}
        ids, more = query.split_window(list(page))
    else:
        # Skipping many rows is cheap from the sort index alone (ids only); whole
        # rows are then read for the page's ids.
        ids, more = query.split_window(list(ordered.values_list("id", flat=True)[query.window]))
        page = _clients_by_id(ids)
    try:
        totals: Cents | None = client_cents(tenant=tenant, client_ids=ids)
    except ContractsUnavailable:
        totals = None
    rows = _rows(ids, page, totals)
    return ClientPage(
        rows,
        query=query,
        count=count,
        more=more,
        contracts_available=totals is not None,
        asked=asked,
    )


# --- Plan 2: walk the totals index ---------------------------------------------------


def _walk_matching_totals(
    query: ClientQuery,
    tenant: Tenant,
    *,
    start: int,
    stop: int,
    keep: Callable[[list[int]], dict[int, dict]] | None,
    kept_rows: dict[int, dict],
    share: float = 1.0,
    zeros: bool = False,
) -> tuple[list[tuple[int, int, int]], bool]:
    """Totals rows `start:stop`, in the sort's order, of the clients that `keep`
    accepts (all of them when it is None; about `share` of them otherwise), and
    whether the rows ran out."""
    field = query.column.field.name

    def in_order(first: int, last: int | None) -> list[tuple[int, int, int]]:
        return client_cents_in_order(
            tenant=tenant,
            field=field,
            descending=query.descending,
            start=first,
            stop=last,
            zeros=zeros,
        )

    if keep is None:
        rows = in_order(start, stop)
        return rows, len(rows) < stop - start
    matched: list[tuple[int, int, int]] = []
    scanned, batch = 0, max(int(WALK_AHEAD * stop / share), WALK_FIRST_BATCH)
    for round_number in range(WALK_ROUNDS):
        last = round_number == WALK_ROUNDS - 1
        rows = in_order(scanned, None if last else scanned + batch)
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


def _walk_is_cheaper(*, count: int, everyone: int, stop: int) -> bool:
    """Whether walking the totals index to the page's end beats joining the matching
    clients' totals. The walk reads about `stop * everyone / count` index rows and
    checks as many ids in PostgreSQL; the join reads `count` ids and their totals.
    Below SMALL_MATCH matches the join is always cheap."""
    return count > SMALL_MATCH and stop * everyone < count * count


def _page_by_totals_walk(query: ClientQuery, tenant: Tenant, *, zeros: bool) -> ClientPage:
    """Clients with contracts in MySQL's index order; those without (total 0)
    after them when descending, before them when ascending, ordered by id: from
    their zero rows in the same index (`zeros`), else from PostgreSQL."""
    clients = filtered_clients(query)
    count = matching_count(query, clients, tenant)
    start, stop = query.window.start, query.window.stop  # the page and the row after it
    share = 1.0
    if query.has_client_filters:
        everyone = aggregates.counted_clients(tenant=tenant, country=None, active=None)
        matching = count
        # Past the cap the count is a lower bound: enough to prove the walk cheaper,
        # not the join; then the exact count decides.
        lower_bound = not query.segment_filters_only and not within_cap(count)
        if lower_bound and not _walk_is_cheaper(count=count, everyone=everyone, stop=stop):
            matching = clients.count()
        if not _walk_is_cheaper(count=matching, everyone=everyone, stop=stop):
            return _page_joined(query, tenant)
        share = max(matching, 1) / max(everyone, 1)

    def in_postgres(ids: list[int]) -> dict[int, dict]:
        # The whole rows: those on the page need no second trip.
        return {row["id"]: row for row in clients.filter(id_in(ids)).values(*CLIENT_FIELDS)}

    kept_rows: dict[int, dict] = {}

    def without_contracts() -> tuple[list[int], int]:
        """The matching clients without contracts, by id in the sort's direction, and
        how many clients match in all (exact: the page's count may be capped)."""
        with_contracts = set(client_cents(tenant=tenant))
        ordered = clients.order_by("-id" if query.descending else "id")
        matching = list(ordered.values_list("id", flat=True))
        return [i for i in matching if i not in with_contracts], len(matching)

    keep = in_postgres if query.has_client_filters else None
    zero_ids: list[int] = []
    if zeros:
        page_totals, _ = _walk_matching_totals(
            query,
            tenant,
            start=start,
            stop=stop,
            keep=keep,
            kept_rows=kept_rows,
            share=share,
            zeros=True,
        )
        ids = [row[0] for row in page_totals]
    elif not query.descending:
        zero_ids, _ = without_contracts()
        page_totals, _ = _walk_matching_totals(
            query,
            tenant,
            start=max(start - len(zero_ids), 0),
            stop=max(stop - len(zero_ids), 0),
            keep=keep,
            kept_rows=kept_rows,
            share=share,
        )
        ids = zero_ids[start:stop] + [row[0] for row in page_totals]
    else:
        page_totals, ran_out = _walk_matching_totals(
            query, tenant, start=start, stop=stop, keep=keep, kept_rows=kept_rows, share=share
        )
        ids = [row[0] for row in page_totals]
        if ran_out:
            zero_ids, matching = without_contracts()
            first = max(start - (matching - len(zero_ids)), 0)
            ids += zero_ids[first : first + (stop - start) - len(ids)]
    ids, more = query.split_window(ids)
    totals: Cents = {client_id: (n, cents) for client_id, n, cents in page_totals}
    missing = [client_id for client_id in ids if client_id not in kept_rows]
    rows = _rows(ids, kept_rows | _clients_by_id(missing), totals)
    return ClientPage(rows, query=query, count=count, more=more)


# --- Plan 3: the range of totals the aggregate filters select --------------------------


def totals_range(query: ClientQuery) -> CentsRange | None:
    """The aggregate filters as one range of totals in cents (None: empty). A client
    has contracts iff its total is positive (contract amounts are)."""
    low, high = query.cents_bounds
    if query.has_contracts is True:
        low = 1 if low is None else max(low, 1)
    elif query.has_contracts is False:
        high = 0 if high is None else min(high, 0)
    if low is not None and high is not None and low > high:
        return None
    return low, high


def _page_by_totals_range(query: ClientQuery, tenant: Tenant) -> ClientPage | None:
    """The page from the zero-row-complete ClientTotals range of the aggregate
    filters; None when the range is too wide for the query (join instead)."""
    bounds = totals_range(query)
    if bounds is None:
        return ClientPage([], query=query, count=0)
    start, stop = query.window.start, query.window.stop  # the page and the row after it
    in_range = counted_totals(tenant=tenant, bounds=bounds)  # capped
    if not query.has_client_filters and query.sorts_by_aggregate:
        page_totals = client_cents_in_order(
            tenant=tenant,
            field=query.column.field.name,
            descending=query.descending,
            start=start,
            stop=stop,
            zeros=True,
            bounds=bounds,
        )
        ids, more = query.split_window([row[0] for row in page_totals])
        totals: Cents = {client_id: (n, cents) for client_id, n, cents in page_totals}
        rows = _rows(ids, _clients_by_id(ids), totals)
        return ClientPage(rows, query=query, count=in_range, more=more)
    # A count past the cap is a lower bound: such a range is never read whole.
    if not within_cap(in_range) or in_range > SMALL_MATCH:
        if query.has_client_filters:
            return None  # the count is an intersection of the two databases
        ids, totals = _walk_client_order(query, tenant, bounds=bounds, start=start, stop=stop)
        ids, more = query.split_window(ids)
        rows = _rows(ids, _clients_by_id(ids), totals)
        return ClientPage(rows, query=query, count=in_range, more=more)
    totals = client_cents_in_range(tenant=tenant, bounds=bounds, limit=SMALL_MATCH)
    clients = filtered_clients(query).filter(id_in(list(totals)))
    if query.sorts_by_aggregate:
        matching = list(clients.values_list("id", flat=True))
        count = len(matching)
        ids = sorted(matching, key=_aggregate_key(query, totals))[start:stop]
    else:
        count = clients.count()
        ids = list(_ordered(clients, query).values_list("id", flat=True)[start:stop])
    ids, more = query.split_window(ids)
    rows = _rows(ids, _clients_by_id(ids), totals)
    return ClientPage(rows, query=query, count=count, more=more)


def _walk_client_order(
    query: ClientQuery, tenant: Tenant, *, bounds: CentsRange, start: int, stop: int
) -> tuple[list[int], Cents]:
    """Ids `start:stop` of the clients in the query's client-column order whose total
    lies within `bounds`, with their totals: PostgreSQL's order index read in at
    most WALK_ROUNDS growing batches, each checked against MySQL's range."""
    ordered = _ordered(filtered_clients(query), query).values_list("id", flat=True)
    matched: list[int] = []
    totals: Cents = {}
    scanned, batch = 0, max(WALK_AHEAD * stop, WALK_FIRST_BATCH)
    for round_number in range(WALK_ROUNDS):
        last = round_number == WALK_ROUNDS - 1
        ids = list(ordered[scanned:] if last else ordered[scanned : scanned + batch])
        scanned += len(ids)
        found = client_cents_within(tenant=tenant, client_ids=ids, bounds=bounds)
        totals.update(found)
        matched += [client_id for client_id in ids if client_id in found]
        if len(matched) >= stop or last or len(ids) < batch:
            break
        batch *= WALK_GROWTH
    return matched[start:stop], totals


def _aggregate_key(query: ClientQuery, totals: Cents) -> Callable[[int], tuple[int, int]]:
    """The aggregate sort's key of a client id: its count or total, then its id, in
    the sort's direction."""
    position = 0 if query.column.key == "contracts" else 1
    sign = -1 if query.descending else 1

    def key(client_id: int) -> tuple[int, int]:
        return (sign * totals.get(client_id, NO_CONTRACTS)[position], sign * client_id)

    return key


# --- Plan 4: join in memory ----------------------------------------------------------


def _joined(
    query: ClientQuery, tenant: Tenant, *, limit: int | None = None
) -> tuple[list[int], int, Cents | None]:
    """Matching ids in order (the first `limit`, for an aggregate sort), their count,
    and their totals when the sort needed them.

    PostgreSQL gives the ids passing the client filters (ordered, for a client
    column sort). For an aggregate sort MySQL gives the totals (of those ids,
    while they are few); else only the ids that pass, or that fail, the
    aggregate filters, whichever excludes clients without contracts correctly.
    """
    clients = filtered_clients(query)
    if not query.sorts_by_aggregate:
        clients = _ordered(clients, query)
    ids: list[int] = list(clients.values_list("id", flat=True))
    if not query.sorts_by_aggregate:
        low, high = query.cents_bounds
        admits_no_contracts = query.passes_aggregates(*NO_CONTRACTS)
        by_total = client_ids_by_total(
            tenant=tenant,
            low=low,
            high=high,
            within=not admits_no_contracts,
            with_contracts=query.has_contracts is not False,
        )
        ids = [i for i in ids if (i in by_total) != admits_no_contracts]
        return ids, len(ids), None

    totals = client_cents(tenant=tenant, client_ids=ids if query.has_client_filters else None)
    if query.has_aggregate_filters:
        ids = [i for i in ids if query.passes_aggregates(*totals.get(i, NO_CONTRACTS))]
    count = len(ids)
    key = _aggregate_key(query, totals)
    # A heap of the first `limit` beats sorting every id for early pages.
    ids = heapq.nsmallest(limit, ids, key=key) if limit is not None else sorted(ids, key=key)
    return ids, count, totals


def _page_joined(query: ClientQuery, tenant: Tenant) -> ClientPage:
    ids, count, totals = _joined(query, tenant, limit=query.window.stop)
    page_ids, more = query.split_window(ids[query.window])
    if totals is None:
        totals = client_cents(tenant=tenant, client_ids=page_ids)
    rows = _rows(page_ids, _clients_by_id(page_ids), totals)
    return ClientPage(rows, query=query, count=count, more=more)


# --- Entry points --------------------------------------------------------------------


def _page(query: ClientQuery, tenant: Tenant) -> ClientPage:
    if not query.needs_contracts:
        return _page_by_client_columns(query, tenant)
    zeros = zero_rows_complete(tenant=tenant)
    if query.sorts_by_aggregate and not query.has_aggregate_filters:
        return _page_by_totals_walk(query, tenant, zeros=zeros)
    if zeros and (page := _page_by_totals_range(query, tenant)) is not None:
        return page
    return _page_joined(query, tenant)


def client_page(query: ClientQuery, *, tenant: Tenant | None = None) -> ClientPage:
    """One page of the clients table for the current (or named) tenant.

    With MySQL down the page has no totals (`contracts_available` False); a query
    whose rows depend on MySQL is answered without its contract filters and sort
    (`contract_terms_dropped`, `asked` holds the original).
    """
    tenant = resolve_tenant(tenant)
    with tenant_schema(tenant):
        try:
            return _page(query, tenant)
        except ContractsUnavailable:
            if not query.needs_contracts:
                raise
            return _page_by_client_columns(query.without_contract_terms(), tenant, asked=query)


def _ordered_ids(query: ClientQuery, tenant: Tenant) -> list[int]:
    if query.needs_contracts:
        return _joined(query, tenant)[0]
    return list(_ordered(filtered_clients(query), query).values_list("id", flat=True))


def client_rows(query: ClientQuery, *, tenant: Tenant | None = None) -> Iterator[ClientRow]:
    """Every row the query matches, in order, loaded in batches (for exports).

    With MySQL down, the rows come without totals and, when the order or the
    filters needed MySQL, in the order and with the filters PostgreSQL can answer.
    """
    tenant = resolve_tenant(tenant)
    with tenant_schema(tenant):
        try:
            ids = _ordered_ids(query, tenant)
        except ContractsUnavailable:
            ids = _ordered_ids(query.without_contract_terms(), tenant)
    contracts_available = True
    for start in range(0, len(ids), EXPORT_BATCH):
        batch = ids[start : start + EXPORT_BATCH]
        with tenant_schema(tenant):
            clients = _clients_by_id(batch)
        totals: Cents | None = None
        if contracts_available:
            try:
                totals = client_cents(tenant=tenant, client_ids=batch)
            except ContractsUnavailable:
                contracts_available = False  # the rest of the export goes without
        yield from _rows(batch, clients, totals)
