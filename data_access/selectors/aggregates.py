"""The aggregates the product reads, with the ORM.

Clients are read from the tenant's PostgreSQL schema (search_path, set by
tenant_schema); contracts and ClientTotals from MySQL, always filtered by
tenant_id explicitly, so these selectors never depend on the ambient tenant.
Every MySQL read runs inside the contracts error boundary.

Each one returns plain values (tuples, dicts, exact Decimals or integer cents).
`data_access.raw_sql` holds a hand-written twin of several of them, which only
`compare_queries` and the tests run, to check that the ORM costs no more and
answers the same.
"""

import datetime
import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connections
from django.db.models import BigIntegerField, BooleanField, Count, F, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce

from data_access.boundary import contracts_database
from data_access.models import (
    Client,
    ClientCount,
    ClientTotals,
    Contract,
    MonthTotals,
    SegmentTotals,
    TotalsCoverage,
)
from data_access.querying import capped_count
from data_access.tenants import tenant_schema
from tenancy.models import Tenant

MYSQL = settings.CONTRACTS_DATABASE
ZERO = Decimal("0.00")
# Above this many client ids, read the tenant's whole ClientTotals rather than send
# the ids: at 100k clients MariaDB answers a 20k-id IN list in ~0.13 s, a 90k one in
# ~0.36 s, and ships all ~90k totals rows in ~0.19 s.
MAX_IN_LIST = 20_000

ClientIds = Iterable[int] | None
# {client id: (active contracts, active amount in cents)}
Cents = dict[int, tuple[int, int]]
# (country, clients, active contracts, active amount)
CountryRow = tuple[str, int, int, Decimal]
# (first day of the month, contracts signed, their amount)
MonthRow = tuple[datetime.date, int, Decimal]
NO_CONTRACTS = (0, 0)
# (country, client is_active): the key of ClientCount and SegmentTotals rows.
Segment = tuple[str, bool]


def cents_to_decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def ids_list(client_ids: ClientIds) -> list[int] | None:
    return None if client_ids is None else list(client_ids)


def id_in(ids: list[int]) -> RawSQL:
    """`id = ANY(array)`: one parameter however many ids (PostgreSQL caps them at 65k)."""
    return RawSQL(
        f'"{Client._meta.db_table}"."id" = ANY(%s::bigint[])', (ids,), output_field=BooleanField()
    )


def clients_of(ids: list[int] | None) -> QuerySet[Client]:
    clients = Client.objects.all()
    return clients if ids is None else clients.filter(id_in(ids))


def client_id_in(ids: list[int]) -> Q:
    """`client_id IN (…)`: parameters for a page of ids (its compiled statement is
    reused, see PAGE_OF_IDS), the ids written as text past that (data_access.lookups)."""
    if len(ids) <= PAGE_OF_IDS:
        return Q(client_id__in=ids)
    return Q(client_id__in_integers=ids)


def contracts_of(tenant: Tenant, ids: list[int] | None) -> QuerySet[Contract]:
    # Explicit tenant_id rather than Contract.objects: these selectors take the
    # tenant as an argument and must not depend on the connection's schema.
    contracts = Contract.unscoped.using(MYSQL).filter(tenant_id=tenant.pk)
    return contracts if ids is None else contracts.filter(client_id_in(ids))


def totals_of(
    tenant: Tenant, ids: list[int] | None, *, zeros: bool = False
) -> QuerySet[ClientTotals]:
    """The tenant's ClientTotals rows: of clients with active contracts only, unless
    `zeros`. Amounts are positive, so `active_amount > 0` says it, read from the
    (tenant, total, client) index alone."""
    rows = ClientTotals.objects.using(MYSQL).filter(tenant_id=tenant.pk)
    if not zeros:
        rows = rows.filter(active_amount__gt=0)
    return rows if ids is None else rows.filter(client_id_in(ids))


# A range of totals in cents, both ends included (None: unbounded).
CentsRange = tuple[int | None, int | None]


def in_range(rows: QuerySet[ClientTotals], bounds: CentsRange) -> QuerySet[ClientTotals]:
    low, high = bounds
    if low is not None:
        rows = rows.filter(active_amount__gte=cents_to_decimal(low))
    if high is not None:
        rows = rows.filter(active_amount__lte=cents_to_decimal(high))
    return rows


def month_start(day: datetime.date, *, months_back: int = 0) -> datetime.date:
    """The first day of `day`'s month, `months_back` months earlier."""
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_window(
    *, months: int, today: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    """[start, end): the last `months` calendar months, the current one included."""
    today = today or datetime.date.today()
    return month_start(today, months_back=months - 1), month_start(today, months_back=-1)


# --- Clients (PostgreSQL) ----------------------------------------------------------


def client_counts(*, tenant: Tenant, client_ids: ClientIds = None) -> tuple[int, int]:
    """(clients, active clients) of the tenant, or of these client ids."""
    with tenant_schema(tenant):
        row = clients_of(ids_list(client_ids)).aggregate(
            clients=Count("id"), active=Count("id", filter=Q(is_active=True))
        )
    return row["clients"], row["active"]


def client_countries(*, tenant: Tenant, client_ids: ClientIds = None) -> dict[int, str]:
    """Each client's country (the PostgreSQL half of totals by country)."""
    with tenant_schema(tenant):
        return dict(clients_of(ids_list(client_ids)).values_list("id", "country"))


def existing_client_ids(*, tenant: Tenant, client_ids: Iterable[int]) -> set[int]:
    """Which of these ids are clients in the tenant's schema."""
    with tenant_schema(tenant):
        return set(clients_of(list(client_ids)).values_list("id", flat=True))


# --- ClientTotals (MySQL) ----------------------------------------------------------


class _Cents(Cast):
    """CAST(decimal * 100 AS SIGNED): MySQLdb returns it as an int already, so skip
    Django's per-row int() converter (a third of the time for ~90k rows)."""

    convert_value = staticmethod(Cast._convert_value_noop)


CENTS = _Cents(F("active_amount") * 100, BigIntegerField())


@contracts_database()
def client_cents(*, tenant: Tenant, client_ids: ClientIds = None) -> Cents:
    """ClientTotals of these clients (every client with active contracts when None)
    in integer cents, which MySQLdb converts several times faster than Decimals.

    Up to PAGE_OF_IDS ids, the ORM's statement compiled once per count runs with
    these ids. Past MAX_IN_LIST ids the tenant's whole table is read instead, so
    the result may hold more clients than asked for.
    """
    ids = ids_list(client_ids)
    if ids is not None and not ids:
        return {}
    if ids is not None and len(ids) > MAX_IN_LIST:
        ids = None
    if ids is not None and len(ids) <= PAGE_OF_IDS:
        sql, params = _cents_of_ids_statement(len(ids)).bind(tenant.pk, ids)
        with connections[MYSQL].cursor() as cursor:
            cursor.execute(sql, params)
            return {client_id: (n, cents) for client_id, n, cents in cursor.fetchall()}
    return {client_id: (n, cents) for client_id, n, cents in _cents_query(tenant.pk, ids)}


def _cents_query(tenant_id: int, ids: list[int] | None) -> QuerySet:
    return (
        totals_of(Tenant(pk=tenant_id), ids)
        .annotate(cents=CENTS)
        .values_list("client_id", "active_contracts", "cents")
    )


# A page's totals are read on every table request. Building and compiling the
# query costs ~0.3 ms of CPU, more than MySQL takes to answer it, so the ORM's
# statement is compiled once per number of ids (a page has one of a few sizes)
# and run with the page's own tenant and ids in place of stand-ins.
PAGE_OF_IDS = 100
# Values no constant of the query takes (the lookups refuse out-of-range ones).
_TENANT_STAND_IN = 999_999_999
_ID_STAND_IN = 999_999_999_000


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str
    params: tuple
    tenant_at: int  # where the tenant id goes in params
    ids_at: tuple[int, ...]  # where each id goes

    def bind(self, tenant_id: int, ids: list[int]) -> tuple[str, list]:
        params = list(self.params)
        params[self.tenant_at] = tenant_id
        for position, client_id in zip(self.ids_at, ids, strict=True):
            params[position] = client_id
        return self.sql, params


@functools.lru_cache(maxsize=16)
def _cents_of_ids_statement(count: int) -> _Statement:
    stand_ins = [_ID_STAND_IN + n for n in range(count)]
    query = _cents_query(_TENANT_STAND_IN, stand_ins).query
    sql, params = query.get_compiler(using=MYSQL).as_sql()
    positions = {value: at for at, value in enumerate(params) if isinstance(value, int)}
    return _Statement(
        sql,
        tuple(params),
        positions[_TENANT_STAND_IN],
        tuple(positions[stand_in] for stand_in in stand_ins),
    )


@contracts_database()
def client_cents_in_order(
    *,
    tenant: Tenant,
    field: str,
    descending: bool,
    start: int,
    stop: int | None,
    zeros: bool = False,
    bounds: CentsRange = (None, None),
) -> list[tuple[int, int, int]]:
    """(client id, active contracts, cents) rows of ClientTotals ordered by `field`
    (active_contracts or active_amount) then client id, rows start:stop; with
    `zeros`, the zero rows too; only totals within `bounds`.

    From DEEP_SKIP rows on, the rows before the page are skipped in the
    (tenant, field, client) index alone, reading no table row, and only the
    page's rows are read, by key (see _page_keys)."""
    sign = "-" if descending else ""
    if start >= DEEP_SKIP and stop is not None:
        keys = _page_keys(
            tenant=tenant, field=field, sign=sign, start=start, stop=stop, zeros=zeros,
            bounds=bounds,
        )  # fmt: skip
        if keys is not None:
            found = {
                client_id: (n, cents)
                for client_id, n, cents in totals_of(tenant, keys, zeros=True)
                .annotate(cents=CENTS)
                .values_list("client_id", "active_contracts", "cents")
            }
            return [(client_id, *found[client_id]) for client_id in keys if client_id in found]
    rows = (
        in_range(totals_of(tenant, None, zeros=zeros), bounds)
        .annotate(cents=CENTS)
        .order_by(f"{sign}{field}", f"{sign}client_id")
        .values_list("client_id", "active_contracts", "cents")
    )
    return list(rows[start:stop])


# From this offset on, a page in a totals order is found in the index first.
DEEP_SKIP = 1_000


def _page_keys(
    *,
    tenant: Tenant,
    field: str,
    sign: str,
    start: int,
    stop: int,
    zeros: bool,
    bounds: CentsRange,
) -> list[int] | None:
    """The client ids of rows start:stop in the (tenant, field, client) order, by
    an index-only scan of that index: every condition names its columns only (a
    row has contracts iff its count, and its amount, is positive). None when the
    conditions need a column the index lacks (an amount range on the count order);
    the caller then reads the rows themselves."""
    if field != "active_amount" and bounds != (None, None):
        return None
    rows = ClientTotals.objects.using(MYSQL).filter(tenant_id=tenant.pk)
    if not zeros:
        rows = rows.filter(**{f"{field}__gt": 0})
    rows = in_range(rows, bounds).order_by(f"{sign}{field}", f"{sign}client_id")
    return list(rows.values_list("client_id", flat=True)[start:stop])


@contracts_database()
def client_ids_by_total(
    *, tenant: Tenant, low: int | None, high: int | None, within: bool, with_contracts: bool = True
) -> set[int]:
    """Ids of clients with active contracts whose total in cents lies within
    [low, high] (within=True) or outside it (within=False), by MySQL's index.
    With with_contracts=False no client with contracts passes (within=True)."""
    test = Q() if with_contracts else Q(client_id__in=[])
    if low is not None:
        test &= Q(active_amount__gte=cents_to_decimal(low))
    if high is not None:
        test &= Q(active_amount__lte=cents_to_decimal(high))
    rows = totals_of(tenant, None)
    rows = rows.filter(test) if within else rows.exclude(test)
    return set(rows.values_list("client_id", flat=True))


@contracts_database()
def counted_totals(*, tenant: Tenant, bounds: CentsRange) -> int:
    """ClientTotals rows, zero rows included, whose total lies within `bounds`, up to
    COUNT_LIMIT + 1 (capped_count: past COUNT_LIMIT, a lower bound): the first rows
    of one range of the (tenant, total, client) index, read without the table."""
    return capped_count(in_range(totals_of(tenant, None, zeros=True), bounds))


@contracts_database()
def client_cents_in_range(*, tenant: Tenant, bounds: CentsRange, limit: int) -> Cents:
    """Up to `limit` ClientTotals rows, zero rows included, within `bounds`."""
    rows = (
        in_range(totals_of(tenant, None, zeros=True), bounds)
        .annotate(cents=CENTS)
        .order_by("active_amount", "client_id")
        .values_list("client_id", "active_contracts", "cents")
    )
    return {client_id: (n, cents) for client_id, n, cents in rows[:limit]}


@contracts_database()
def client_cents_within(*, tenant: Tenant, client_ids: list[int], bounds: CentsRange) -> Cents:
    """ClientTotals rows, zero rows included, of these clients (past MAX_IN_LIST ids,
    of the whole tenant) whose total lies within `bounds`."""
    if not client_ids:
        return {}
    ids = None if len(client_ids) > MAX_IN_LIST else client_ids
    rows = in_range(totals_of(tenant, ids, zeros=True), bounds).annotate(cents=CENTS)
    return {
        client_id: (n, cents)
        for client_id, n, cents in rows.values_list("client_id", "active_contracts", "cents")
    }


@contracts_database()
def zero_row_ids(*, tenant: Tenant) -> set[int]:
    """Client ids of the tenant's zero ClientTotals rows (check_integrity; O(tenant))."""
    return set(
        totals_of(tenant, None, zeros=True)
        .filter(active_amount=0)
        .values_list("client_id", flat=True)
    )


def zero_rows_complete(*, tenant: Tenant) -> bool:
    """Whether every client has its ClientTotals row (TotalsCoverage)."""
    with tenant_schema(tenant):
        return TotalsCoverage.objects.filter(complete=True).exists()


@contracts_database()
def active_totals(*, tenant: Tenant, client_ids: ClientIds = None) -> tuple[int, int, Decimal]:
    """(clients with active contracts, active contracts, their amount), from ClientTotals."""
    row = totals_of(tenant, ids_list(client_ids)).aggregate(
        clients=Count("client_id"),
        contracts=Coalesce(Sum("active_contracts"), 0),
        amount=Coalesce(Sum("active_amount"), ZERO),
    )
    return row["clients"], int(row["contracts"]), row["amount"]


# --- Contracts (MySQL) -------------------------------------------------------------


@contracts_database()
def active_totals_by_client(*, tenant: Tenant, client_ids: ClientIds = None) -> Cents:
    """What ClientTotals must hold, recomputed from the contracts: {client id:
    (active contracts, their amount in cents)} for clients with at least one."""
    rows = (
        contracts_of(tenant, ids_list(client_ids))
        .filter(is_active=True)
        .values("client_id")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
        .values_list("client_id", "n", "total")
    )
    return {client_id: (n, int(total * 100)) for client_id, n, total in rows}


@contracts_database()
def signed_per_month(
    *,
    tenant: Tenant,
    client_ids: ClientIds = None,
    months: int = 12,
    today: datetime.date | None = None,
) -> list[MonthRow]:
    """[(month, contracts signed, amount)] for months with signings, active or not.

    Grouping by the indexed day itself lets MariaDB read (tenant_id, signed_on) in
    order with no temporary table and filesort, about twice as fast as grouping by
    a month expression; the days (at most 31 * months rows) are summed into
    months here, exactly.
    """
    start, end = month_window(months=months, today=today)
    days = (
        contracts_of(tenant, ids_list(client_ids))
        .filter(signed_on__gte=start, signed_on__lt=end)
        .values("signed_on")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("signed_on")
        .values_list("signed_on", "n", "total")
    )
    return by_month(days)


def by_month(days: Iterable[tuple[datetime.date, int, Decimal]]) -> list[MonthRow]:
    """Per-day (day, count, amount) rows summed per month, oldest first."""
    months: dict[datetime.date, tuple[int, Decimal]] = {}
    for day, n, total in days:
        month = day.replace(day=1)
        count, amount = months.get(month, (0, ZERO))
        months[month] = (count + n, amount + total)
    return [(month, n, amount) for month, (n, amount) in sorted(months.items())]


@contracts_database()
def contracts_by_client(*, tenant: Tenant) -> dict[int, int]:
    """{client_id: contracts, active or not} of every client id the tenant's contracts name."""
    return dict(
        contracts_of(tenant, None)
        .values("client_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("client_id", "n")
    )


def orphans(per_client: dict[int, int], existing: set[int]) -> dict[int, int]:
    return {
        client_id: n for client_id, n in sorted(per_client.items()) if client_id not in existing
    }


def orphan_contracts_by_client(*, tenant: Tenant) -> dict[int, int]:
    """{client_id: contracts} for contracts whose client is not in the tenant's schema."""
    per_client = contracts_by_client(tenant=tenant)
    return orphans(per_client, existing_client_ids(tenant=tenant, client_ids=per_client))


# --- Totals by country (both databases, joined in memory) ---------------------------


def join_by_country(countries: dict[int, str], totals: Cents) -> list[CountryRow]:
    """Per-country (clients, active contracts, amount) of these clients, largest total
    first. Totals of ids missing from `countries` (orphans, or clients outside the
    selection) are left out."""
    clients: Counter[str] = Counter(countries.values())
    contracts: dict[str, int] = dict.fromkeys(clients, 0)
    cents: dict[str, int] = dict.fromkeys(clients, 0)
    # Only clients with totals need the per-client step (the others add zero).
    for client_id, (n, amount) in totals.items():
        country = countries.get(client_id)
        if country is not None:
            contracts[country] += n
            cents[country] += amount
    rows = [
        (country, clients[country], contracts[country], cents_to_decimal(cents[country]))
        for country in clients
    ]
    return sorted(rows, key=lambda row: (-row[3], row[0]))


def totals_by_country(*, tenant: Tenant, client_ids: ClientIds = None) -> list[CountryRow]:
    ids = ids_list(client_ids)
    countries = client_countries(tenant=tenant, client_ids=ids)
    return join_by_country(countries, client_cents(tenant=tenant, client_ids=ids))


# --- Rollups: read in time that does not grow with the tenant -----------------------


def in_segment(segment: Segment, *, country: str | None, active: bool | None) -> bool:
    return (country is None or segment[0] == country) and (active is None or segment[1] == active)


def client_count_segments(*, tenant: Tenant) -> dict[Segment, int]:
    """{(country, active): clients} from ClientCount (one row per pair in use)."""
    with tenant_schema(tenant):
        return {
            (country, active): n
            for country, active, n in ClientCount.objects.values_list(
                "country", "is_active", "clients"
            )
        }


def counted_clients(*, tenant: Tenant, country: str | None, active: bool | None) -> int:
    """Clients of the tenant in this country (any when None) and active state."""
    return sum(
        n
        for segment, n in client_count_segments(tenant=tenant).items()
        if in_segment(segment, country=country, active=active)
    )


@contracts_database()
def segment_cents(*, tenant: Tenant) -> dict[Segment, tuple[int, int]]:
    """{(country, client active): (active contracts, cents)} from SegmentTotals."""
    rows = (
        SegmentTotals.objects.using(MYSQL)
        .filter(tenant_id=tenant.pk)
        .annotate(cents=CENTS)
        .values_list("country", "client_active", "active_contracts", "cents")
    )
    return {(country, bool(active)): (n, cents) for country, active, n, cents in rows}


@contracts_database()
def month_totals(*, tenant: Tenant, months: int, today: datetime.date | None) -> list[MonthRow]:
    """signed_per_month of the whole tenant, from MonthTotals: `months` rows at most."""
    start, end = month_window(months=months, today=today)
    rows = (
        MonthTotals.objects.using(MYSQL)
        .filter(tenant_id=tenant.pk, month__gte=start, month__lt=end)
        .order_by("month")
        .values_list("month", "contracts", "amount")
    )
    return list(rows)


# --- Rollups recomputed from the base rows (check_integrity; O(tenant)) -------------


def client_count_segments_from_clients(*, tenant: Tenant) -> dict[Segment, int]:
    with tenant_schema(tenant):
        rows = (
            Client.objects.values("country", "is_active")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("country", "is_active", "n")
        )
        return {(country, active): n for country, active, n in rows}


def segment_cents_from_contracts(*, tenant: Tenant) -> dict[Segment, tuple[int, int]]:
    """What SegmentTotals must hold: the active totals of existing clients, summed
    per (country, active) of the client."""
    with tenant_schema(tenant):
        segments = {
            client_id: (country, active)
            for client_id, country, active in Client.objects.values_list(
                "id", "country", "is_active"
            )
        }
    result: dict[Segment, tuple[int, int]] = {}
    for client_id, (n, cents) in active_totals_by_client(tenant=tenant).items():
        if (segment := segments.get(client_id)) is not None:
            count, total = result.get(segment, NO_CONTRACTS)
            result[segment] = (count + n, total + cents)
    return result


@contracts_database()
def month_totals_from_contracts(*, tenant: Tenant) -> list[MonthRow]:
    """What MonthTotals must hold: every month with signings, from the contracts."""
    days = (
        contracts_of(tenant, None)
        .values("signed_on")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("signed_on")
        .values_list("signed_on", "n", "total")
    )
    return by_month(days)


@contracts_database()
def stored_month_totals(*, tenant: Tenant) -> list[MonthRow]:
    return list(
        MonthTotals.objects.using(MYSQL)
        .filter(tenant_id=tenant.pk)
        .order_by("month")
        .values_list("month", "contracts", "amount")
    )
