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

The orphan report (data health) is the exception: it groups every contract of the
tenant (5 to 8 s at 10M contracts), so it is never computed on a request. It is
stored in the shared cache with the moment it was checked, read from there at
once, and refreshed off the request path (see orphan_contracts).
"""

import datetime
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.utils import load_backend
from django.utils import timezone

from data_access.boundary import ContractsUnavailable
from data_access.querying import ClientQuery
from data_access.selectors import aggregates
from data_access.selectors.aggregates import NO_CONTRACTS, Cents, cents_to_decimal
from data_access.selectors.clients import ClientRow, client_page, filtered_clients
from data_access.tenants import resolve_tenant, tenant_schema
from tenancy.models import Tenant

CENT = Decimal("0.01")
# Seconds an OrphanReport is current. An older one is still shown (with its age)
# while a refresh runs off the request.
ORPHANS_FRESH = 300
# MySQL read timeout of a refresh off the request (the request's 2 s would cut
# the check short: it takes 5 to 8 s at 10M contracts).
ORPHANS_REFRESH_TIMEOUT = 300
# The refresh lock outlives the longest refresh, so that a second one never starts
# while the first still runs; a refresh that dies with its process (a recycled
# worker) holds it until then.
ORPHANS_LOCK = ORPHANS_REFRESH_TIMEOUT + 60
# After a failed refresh (MySQL down), seconds before the next one is tried.
ORPHANS_RETRY = 30

logger = logging.getLogger("contrata.data_health")


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
    checked_at: datetime.datetime  # when the check started: the data is at least as recent


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


# --- Orphan contracts (data health) -----------------------------------------------
#
# Keys name the tenant's pk: django_tenants.cache.make_key prefixes the connection's
# schema, which need not be `tenant`'s (panels take the tenant as an argument). Every
# cache call runs inside tenant_schema(tenant) too, so the prefix is always the same,
# whether a request, a refresh thread or a command makes it.


def _report_key(tenant: Tenant) -> str:
    return f"panels:orphan_report:{tenant.pk}"


def _written_key(tenant: Tenant) -> str:
    return f"panels:orphan_report:written:{tenant.pk}"


def _lock_key(tenant: Tenant) -> str:
    return f"panels:orphan_report:lock:{tenant.pk}"


REFRESHING, FAILED = "refreshing", "failed"  # the lock's values


@dataclass(frozen=True, slots=True)
class _Stored:
    report: OrphanReport
    # The tenant's write mark when the check started: a later mark makes it stale.
    written: str | None


def orphan_contracts(*, tenant: Tenant | None = None) -> OrphanReport | None:
    """The tenant's stored report of contracts whose client does not exist (should be
    none), at once, whatever the tenant's size; None while the first check runs.

    A report older than ORPHANS_FRESH, or marked stale by a write since its check
    started (mark_orphan_report_stale), is still returned, and one refresh is
    scheduled off the request (run_refresh), unless one is running already in any
    process (a lock in the shared cache). Raises ContractsUnavailable when there is
    no report and the last refresh failed (it is retried after ORPHANS_RETRY).
    """
    tenant = resolve_tenant(tenant)
    keys = [_report_key(tenant), _written_key(tenant), _lock_key(tenant)]
    with tenant_schema(tenant):
        found = cache.get_many(keys)
    stored = found.get(keys[0])
    if not isinstance(stored, _Stored):
        stored = None
    lock = found.get(keys[2])
    if lock is None and (stored is None or _is_stale(stored, written=found.get(keys[1]))):
        schedule_refresh(tenant=tenant)
    if stored is None and lock == FAILED:
        raise ContractsUnavailable("the orphan check failed; retried shortly")
    return stored.report if stored else None


def _is_stale(stored: _Stored, *, written: str | None) -> bool:
    age = timezone.now() - stored.report.checked_at
    return age > datetime.timedelta(seconds=ORPHANS_FRESH) or stored.written != written


def refresh_orphan_report(*, tenant: Tenant) -> OrphanReport:
    """Check now and store the report: costly, it groups all of the tenant's
    contracts. Runs off the request (schedule_refresh) and in check_integrity."""
    with tenant_schema(tenant):
        written = cache.get(_written_key(tenant))
        checked_at = timezone.now()
        missing = aggregates.orphan_contracts_by_client(tenant=tenant)
        report = OrphanReport(
            contracts=sum(missing.values()), clients=list(missing), checked_at=checked_at
        )
        # No expiry: an old report beats none (the next read refreshes it).
        cache.set(_report_key(tenant), _Stored(report=report, written=written), None)
    return report


def mark_orphan_report_stale(*, tenant: Tenant) -> None:
    """Make the tenant's next read schedule a refresh (called by data_access.services).

    A new mark rather than a recheck of the write's client ids here: merging such a
    recheck into the stored report would race with other writes and with a refresh
    already under way, while a mark is one cache write and the refresh it causes is
    exact. A refresh that started before the mark stores a report that is stale at
    once, so no committed write is missed."""
    with tenant_schema(tenant):
        cache.set(_written_key(tenant), uuid.uuid4().hex, None)


def schedule_refresh(*, tenant: Tenant) -> bool:
    """Start a refresh of the tenant's report off the request, unless one holds the
    lock already (cache.add is atomic across processes); whether one was started."""
    with tenant_schema(tenant):
        if not cache.add(_lock_key(tenant), REFRESHING, ORPHANS_LOCK):
            return False
    run_refresh(partial(_refresh, tenant))
    return True


def _refresh(tenant: Tenant) -> None:
    """The scheduled job: a failure is logged and leaves the old report; the lock
    then stays FAILED for ORPHANS_RETRY seconds, so a MySQL that is down is not
    asked again by every read."""
    try:
        refresh_orphan_report(tenant=tenant)
    except Exception:
        logger.exception(
            "orphan report of %s not refreshed; the last one stays", tenant.schema_name
        )
        with tenant_schema(tenant):
            cache.set(_lock_key(tenant), FAILED, ORPHANS_RETRY)
        return
    with tenant_schema(tenant):
        cache.delete(_lock_key(tenant))


@contextmanager
def _own_connections() -> Iterator[None]:
    """Connections of this thread's own, closed at the end, with a MySQL read timeout
    long enough for the check."""
    alias = settings.CONTRACTS_DATABASE
    request_settings = connections[alias].settings_dict
    options = {**request_settings["OPTIONS"], "read_timeout": ORPHANS_REFRESH_TIMEOUT}
    backend = load_backend(request_settings["ENGINE"])
    connections[alias] = backend.DatabaseWrapper({**request_settings, "OPTIONS": options}, alias)
    try:
        yield
    finally:
        connections.close_all()


def in_a_thread(job: Callable[[], None]) -> None:
    """Run a job in a daemon thread of this process, on connections of its own: the
    request that scheduled it answers at once."""

    def run() -> None:
        try:
            with _own_connections():
                job()
        except Exception:  # the cache itself failed (PostgreSQL down): the lock expires
            logger.exception("background job failed")

    threading.Thread(target=run, name="orphan-report", daemon=True).start()


def inline(job: Callable[[], None]) -> None:
    """Run a job in the calling thread (the tests: a thread's own connections would
    not see their transaction)."""
    job()


# How a scheduled refresh runs; replaceable (the tests run it inline).
run_refresh: Callable[[Callable[[], None]], None] = in_a_thread
