"""Contract panels of the dashboard: KPIs, top clients, totals by country,
contracts signed per month and orphan contracts.

Every panel answers for the clients the ClientQuery matches (search, country,
active, min/max total, has_contracts; its sort and page are ignored):

- No filters, or only country and active: the rollups (ClientCount in
  PostgreSQL; SegmentTotals and MonthTotals in MySQL), whose size depends on
  the number of countries and months, not on the tenant's size. The monthly
  panel reads MonthTotals only without any filter (signings are not kept per
  country).
- Other filters (search, created dates, min/max total, has_contracts), which no
  rollup can answer: PostgreSQL gives the matching ids (plus ClientTotals for
  the aggregate filters), then MySQL aggregates those ids in one query, or, past
  aggregates.MAX_IN_LIST ids, the tenant's ClientTotals are read and summed here.

Either way a panel runs a small, fixed number of queries, whatever the data
size. MySQL failures surface as ContractsUnavailable.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache

from data_access.boundary import ContractsUnavailable
from data_access.querying import ClientQuery
from data_access.selectors import aggregates
from data_access.selectors.aggregates import NO_CONTRACTS, Cents, cents_to_decimal
from data_access.selectors.clients import ClientRow, client_page, filtered_clients
from data_access.tenants import resolve_tenant, tenant_schema
from tenancy.models import Tenant

CENT = Decimal("0.01")
# Seconds an OrphanReport is reused (services drop it sooner on every write).
ORPHANS_TTL = 60


@dataclass(frozen=True, slots=True)
class Kpis:
    clients: int
    active_clients: int
    active_contracts: int
    total_amount: Decimal
    average_contract: Decimal | None  # None: no active contracts


@dataclass(frozen=True, slots=True)
class CountryTotal:
    country: str
    clients: int
    active_contracts: int
    total_amount: Decimal


@dataclass(frozen=True, slots=True)
class MonthCount:
    month: datetime.date  # first day of the month
    contracts: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class OrphanReport:
    contracts: int
    clients: list[int]


@dataclass(frozen=True, slots=True)
class _Selection:
    """The clients a filtered query matches: (id, is_active, country) each."""

    clients: list[tuple[int, bool, str]]
    # Totals of (at least) those clients, when the aggregate filters needed them.
    totals: Cents | None

    @property
    def ids(self) -> list[int]:
        return [row[0] for row in self.clients]


def _select(query: ClientQuery, tenant: Tenant) -> _Selection | None:
    """The matching clients, or None when the query filters nothing (whole tenant)."""
    if not query.has_client_filters and not query.has_aggregate_filters:
        return None
    with tenant_schema(tenant):
        clients = list(filtered_clients(query).values_list("id", "is_active", "country"))
    if not query.has_aggregate_filters:
        return _Selection(clients=clients, totals=None)
    ids = [row[0] for row in clients] if query.has_client_filters else None
    totals = aggregates.client_cents(tenant=tenant, client_ids=ids)
    kept = [row for row in clients if query.passes_aggregates(*totals.get(row[0], NO_CONTRACTS))]
    return _Selection(clients=kept, totals=totals)


def _by_rollups(query: ClientQuery) -> bool:
    """Whether the rollups answer this query's clients: country and active only."""
    return query.segment_filters_only


def _rollup_rows(
    query: ClientQuery, tenant: Tenant
) -> list[tuple[aggregates.Segment, int, int, int]]:
    """(segment, clients, active contracts, cents) of each segment the query selects."""
    counts = aggregates.client_count_segments(tenant=tenant)
    totals = aggregates.segment_cents(tenant=tenant)
    return [
        (segment, n, *totals.get(segment, NO_CONTRACTS))
        for segment, n in counts.items()
        if aggregates.in_segment(segment, country=query.country or None, active=query.active)
    ]


def _average(total: Decimal, contracts: int) -> Decimal | None:
    if not contracts:
        return None
    return (total / contracts).quantize(CENT, rounding=ROUND_HALF_UP)


def kpis(query: ClientQuery, *, tenant: Tenant | None = None) -> Kpis:
    """Clients, active clients, active contracts, their total and average amount."""
    tenant = resolve_tenant(tenant)
    if _by_rollups(query):
        rows = _rollup_rows(query, tenant)
        clients = sum(n for _, n, _, _ in rows)
        active_clients = sum(n for (_, active), n, _, _ in rows if active)
        contracts = sum(count for _, _, count, _ in rows)
        total = cents_to_decimal(sum(cents for _, _, _, cents in rows))
    else:
        selection = _select(query, tenant)
        assert selection is not None  # _by_rollups answers the unfiltered query
        clients = len(selection.clients)
        active_clients = sum(1 for row in selection.clients if row[1])
        totals = selection.totals
        if totals is None and len(selection.ids) <= aggregates.MAX_IN_LIST:
            _, contracts, total = aggregates.active_totals(tenant=tenant, client_ids=selection.ids)
        else:
            # Loaded already (aggregate filters), or cheaper to sum here than to
            # send a huge IN list.
            totals = totals or aggregates.client_cents(tenant=tenant)
            found = [totals[i] for i in selection.ids if i in totals]
            contracts = sum(n for n, _ in found)
            total = cents_to_decimal(sum(cents for _, cents in found))
    return Kpis(
        clients=clients,
        active_clients=active_clients,
        active_contracts=contracts,
        total_amount=total,
        average_contract=_average(total, contracts),
    )


def top_clients(
    query: ClientQuery, *, limit: int = 10, tenant: Tenant | None = None
) -> list[ClientRow]:
    """The matching clients with the largest active totals (ties: higher id first).

    Raises ContractsUnavailable rather than rank clients without their totals."""
    page = client_page(query.with_changes(sort="-total", page=1, page_size=limit), tenant=tenant)
    if not page.contracts_available:
        raise ContractsUnavailable("contract totals unavailable")
    return page.rows


def totals_by_country(query: ClientQuery, *, tenant: Tenant | None = None) -> list[CountryTotal]:
    """Per country of the matching clients: clients, active contracts and total, largest first."""
    tenant = resolve_tenant(tenant)
    if _by_rollups(query):
        clients: dict[str, int] = {}
        contracts: dict[str, int] = {}
        cents: dict[str, int] = {}
        for (country, _), n, count, amount in _rollup_rows(query, tenant):
            clients[country] = clients.get(country, 0) + n
            contracts[country] = contracts.get(country, 0) + count
            cents[country] = cents.get(country, 0) + amount
        rows = sorted(
            (
                (country, clients[country], contracts[country], cents_to_decimal(cents[country]))
                for country in clients
            ),
            key=lambda row: (-row[3], row[0]),
        )
    else:
        selection = _select(query, tenant)
        assert selection is not None
        countries = {client_id: country for client_id, _, country in selection.clients}
        totals = selection.totals
        if totals is None:
            totals = aggregates.client_cents(tenant=tenant, client_ids=selection.ids)
        rows = aggregates.join_by_country(countries, totals)
    return [CountryTotal(*row) for row in rows]


def signed_per_month(
    query: ClientQuery,
    *,
    months: int = 12,
    tenant: Tenant | None = None,
    today: datetime.date | None = None,
) -> list[MonthCount]:
    """Contracts (active or not) of the matching clients signed in each of the last
    `months` months, oldest first, months without signings included as zero."""
    if months < 1:
        raise ValueError("months must be at least 1")
    tenant = resolve_tenant(tenant)
    today = today or datetime.date.today()
    selection = _select(query, tenant)
    if selection is None:
        rows = aggregates.month_totals(tenant=tenant, months=months, today=today)
    else:
        rows = aggregates.signed_per_month(
            tenant=tenant, client_ids=selection.ids, months=months, today=today
        )
    by_month = {month: (n, amount) for month, n, amount in rows}
    result = []
    for back in range(months - 1, -1, -1):
        month = aggregates.month_start(today, months_back=back)
        n, amount = by_month.get(month, (0, aggregates.ZERO))
        result.append(MonthCount(month=month, contracts=n, amount=amount))
    return result


def _orphans_key(tenant: Tenant) -> str:
    # django_tenants.cache.make_key prefixes the connection's schema, which need not
    # be `tenant`'s (panels take the tenant as an argument): the pk keeps keys apart.
    return f"panels:orphan_contracts:{tenant.pk}"


def orphan_contracts(*, tenant: Tenant | None = None, fresh: bool = False) -> OrphanReport:
    """Contracts whose client does not exist in the tenant (should be none).

    Exact but costly (it groups all of the tenant's contracts: ~0.9 s at 1M), and it
    is a data-health panel, so the report is cached for ORPHANS_TTL seconds in the
    shared cache and dropped by forget_orphan_contracts whenever data_access.services
    writes a contract or deletes a client. Writes that bypass the services (the way
    orphans appear) show up after at most ORPHANS_TTL; `fresh` computes (and
    re-caches) now.
    """
    tenant = resolve_tenant(tenant)
    # Same schema for get, set and delete, so make_key's prefix always matches.
    with tenant_schema(tenant):
        cached = None if fresh else cache.get(_orphans_key(tenant))
        if isinstance(cached, OrphanReport):
            return cached
        missing = aggregates.orphan_contracts_by_client(tenant=tenant)
        report = OrphanReport(contracts=sum(missing.values()), clients=list(missing))
        cache.set(_orphans_key(tenant), report, ORPHANS_TTL)
    return report


def forget_orphan_contracts(*, tenant: Tenant) -> None:
    """Drop the tenant's cached OrphanReport (called by data_access.services)."""
    with tenant_schema(tenant):
        cache.delete(_orphans_key(tenant))
