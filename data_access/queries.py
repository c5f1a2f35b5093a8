"""Every aggregate the product shows, twice: with the ORM and in hand-written SQL.

The ORM version is what the product runs; the raw version is what an expert
would write by hand. `compare_queries` runs both against real data and checks
that they agree and that the ORM costs no more than the SQL; the tests check
the same on fixtures. Both return plain values (tuples, lists, exact Decimals)
so that `orm(...) == raw(...)` is the whole comparison.

Clients are read from the tenant's PostgreSQL schema (search_path, set by
tenant_context); contracts and ClientTotals from MySQL, always filtered by
tenant_id explicitly, so these selectors never depend on the ambient tenant.
Raw SQL takes every value as a parameter; only fixed table names are in the text.
"""

import datetime
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import BigIntegerField, BooleanField, Count, F, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django_tenants.utils import tenant_context

from data_access.models import Client, ClientTotals, Contract
from tenancy.models import Tenant

MYSQL = settings.CONTRACTS_DATABASE
ZERO = Decimal("0.00")

CLIENT_TABLE = Client._meta.db_table
CONTRACT_TABLE = Contract._meta.db_table
TOTALS_TABLE = ClientTotals._meta.db_table

ClientIds = Iterable[int] | None
# (country, clients, active contracts, active amount)
CountryRow = tuple[str, int, int, Decimal]
# (first day of the month, contracts signed, their amount)
MonthRow = tuple[datetime.date, int, Decimal]


# --- Helpers -------------------------------------------------------------------


def _ids(client_ids: ClientIds) -> list[int] | None:
    return None if client_ids is None else list(client_ids)


def _clients(ids: list[int] | None) -> QuerySet[Client]:
    clients = Client.objects.all()
    if ids is not None:
        # One array parameter, however many ids (PostgreSQL caps parameters at 65k).
        clients = clients.filter(RawSQL("id = ANY(%s)", (ids,), output_field=BooleanField()))
    return clients


def _contracts(tenant: Tenant, ids: list[int] | None) -> QuerySet[Contract]:
    # Explicit tenant_id rather than Contract.objects: these selectors take the
    # tenant as an argument and must not depend on the connection's schema.
    contracts = Contract.unscoped.using(MYSQL).filter(tenant_id=tenant.pk)
    return contracts if ids is None else contracts.filter(client_id__in=ids)


def _totals_rows(tenant: Tenant, ids: list[int] | None) -> QuerySet[ClientTotals]:
    rows = ClientTotals.objects.using(MYSQL).filter(tenant_id=tenant.pk)
    return rows if ids is None else rows.filter(client_id__in=ids)


def _in_list(column: str, ids: list[int] | None) -> tuple[str, list[int]]:
    """' AND column IN (%s, …)' with one placeholder per id (MySQLdb binds client-side)."""
    if ids is None:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", ids


def _mysql_rows(sql: str, params: Sequence[Any]) -> list[tuple]:
    with connections[MYSQL].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _pg_rows(tenant: Tenant, sql: str, params: Sequence[Any]) -> list[tuple]:
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


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


def client_counts_orm(*, tenant: Tenant, client_ids: ClientIds = None) -> tuple[int, int]:
    """(clients, active clients) of the tenant, or of these client ids."""
    with tenant_context(tenant):
        row = _clients(_ids(client_ids)).aggregate(
            clients=Count("id"), active=Count("id", filter=Q(is_active=True))
        )
    return row["clients"], row["active"]


def client_counts_raw(*, tenant: Tenant, client_ids: ClientIds = None) -> tuple[int, int]:
    ids = _ids(client_ids)
    where, params = ("WHERE id = ANY(%s)", [ids]) if ids is not None else ("", [])
    [(clients, active)] = _pg_rows(
        tenant,
        f"SELECT COUNT(*), COUNT(*) FILTER (WHERE is_active) FROM {CLIENT_TABLE} {where}",
        params,
    )
    return clients, active


def client_countries_orm(*, tenant: Tenant, client_ids: ClientIds = None) -> dict[int, str]:
    """Each client's country (the PostgreSQL half of totals by country)."""
    with tenant_context(tenant):
        return dict(_clients(_ids(client_ids)).values_list("id", "country"))


def client_countries_raw(*, tenant: Tenant, client_ids: ClientIds = None) -> dict[int, str]:
    ids = _ids(client_ids)
    where, params = ("WHERE id = ANY(%s)", [ids]) if ids is not None else ("", [])
    return dict(_pg_rows(tenant, f"SELECT id, country FROM {CLIENT_TABLE} {where}", params))


# --- Contracts (MySQL) -------------------------------------------------------------


def contracts_per_client_orm(
    *, tenant: Tenant, client_ids: ClientIds = None
) -> list[tuple[int, int]]:
    """[(client_id, active contracts)] by client id, for clients with at least one."""
    return list(
        _contracts(tenant, _ids(client_ids))
        .filter(is_active=True)
        .values("client_id")
        .annotate(n=Count("id"))
        .order_by("client_id")
        .values_list("client_id", "n")
    )


def contracts_per_client_raw(
    *, tenant: Tenant, client_ids: ClientIds = None
) -> list[tuple[int, int]]:
    ids = _ids(client_ids)
    if ids == []:
        return []
    where, params = _in_list("client_id", ids)
    rows = _mysql_rows(
        f"SELECT client_id, COUNT(*) FROM {CONTRACT_TABLE} "
        f"WHERE tenant_id = %s AND is_active{where} GROUP BY client_id ORDER BY client_id",
        [tenant.pk, *params],
    )
    return [(client_id, n) for client_id, n in rows]


def amount_per_client_orm(
    *, tenant: Tenant, client_ids: ClientIds = None
) -> list[tuple[int, Decimal]]:
    """[(client_id, sum of active contract amounts)] by client id."""
    return list(
        _contracts(tenant, _ids(client_ids))
        .filter(is_active=True)
        .values("client_id")
        .annotate(total=Sum("amount"))
        .order_by("client_id")
        .values_list("client_id", "total")
    )


def amount_per_client_raw(
    *, tenant: Tenant, client_ids: ClientIds = None
) -> list[tuple[int, Decimal]]:
    ids = _ids(client_ids)
    if ids == []:
        return []
    where, params = _in_list("client_id", ids)
    rows = _mysql_rows(
        f"SELECT client_id, SUM(amount) FROM {CONTRACT_TABLE} "
        f"WHERE tenant_id = %s AND is_active{where} GROUP BY client_id ORDER BY client_id",
        [tenant.pk, *params],
    )
    return [(client_id, total) for client_id, total in rows]


def active_totals_orm(*, tenant: Tenant, client_ids: ClientIds = None) -> tuple[int, int, Decimal]:
    """(clients with active contracts, active contracts, their amount), from ClientTotals."""
    row = _totals_rows(tenant, _ids(client_ids)).aggregate(
        clients=Count("client_id"),
        contracts=Coalesce(Sum("active_contracts"), 0),
        amount=Coalesce(Sum("active_amount"), ZERO),
    )
    return row["clients"], int(row["contracts"]), row["amount"]


def active_totals_raw(*, tenant: Tenant, client_ids: ClientIds = None) -> tuple[int, int, Decimal]:
    ids = _ids(client_ids)
    if ids == []:
        return 0, 0, ZERO
    where, params = _in_list("client_id", ids)
    [(clients, contracts, amount)] = _mysql_rows(
        f"SELECT COUNT(*), COALESCE(SUM(active_contracts), 0), COALESCE(SUM(active_amount), 0) "
        f"FROM {TOTALS_TABLE} WHERE tenant_id = %s{where}",
        [tenant.pk, *params],
    )
    return clients, int(contracts), amount


def client_totals_orm(
    *, tenant: Tenant, client_ids: ClientIds = None
) -> dict[int, tuple[int, Decimal]]:
    """{client_id: (active contracts, active amount)} from ClientTotals."""
    return {
        client_id: (n, amount)
        for client_id, n, amount in _totals_rows(tenant, _ids(client_ids)).values_list(
            "client_id", "active_contracts", "active_amount"
        )
    }


def client_totals_raw(
    *, tenant: Tenant, client_ids: ClientIds = None
) -> dict[int, tuple[int, Decimal]]:
    ids = _ids(client_ids)
    if ids == []:
        return {}
    where, params = _in_list("client_id", ids)
    rows = _mysql_rows(
        f"SELECT client_id, active_contracts, active_amount FROM {TOTALS_TABLE} "
        f"WHERE tenant_id = %s{where}",
        [tenant.pk, *params],
    )
    return {client_id: (n, amount) for client_id, n, amount in rows}


class _Cents(Cast):
    """CAST(decimal * 100 AS SIGNED): MySQLdb returns it as an int already, so skip
    Django's per-row int() converter (a third of the time for ~90k rows)."""

    convert_value = staticmethod(Cast._convert_value_noop)


def client_cents_orm(*, tenant: Tenant, client_ids: ClientIds = None) -> dict[int, tuple[int, int]]:
    """{client_id: (active contracts, active amount in cents)} from ClientTotals.

    Integers rather than Decimals: MySQLdb converts them several times faster, and
    sums of cents are exact (cents_to_decimal turns them back).
    """
    cents = _Cents(F("active_amount") * 100, BigIntegerField())
    return {
        client_id: (n, amount)
        for client_id, n, amount in _totals_rows(tenant, _ids(client_ids))
        .annotate(cents=cents)
        .values_list("client_id", "active_contracts", "cents")
    }


def client_cents_raw(*, tenant: Tenant, client_ids: ClientIds = None) -> dict[int, tuple[int, int]]:
    ids = _ids(client_ids)
    if ids == []:
        return {}
    where, params = _in_list("client_id", ids)
    rows = _mysql_rows(
        f"SELECT client_id, active_contracts, CAST(active_amount * 100 AS SIGNED) "
        f"FROM {TOTALS_TABLE} WHERE tenant_id = %s{where}",
        [tenant.pk, *params],
    )
    return {client_id: (n, cents) for client_id, n, cents in rows}


def cents_to_decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def signed_per_month_orm(
    *,
    tenant: Tenant,
    client_ids: ClientIds = None,
    months: int = 12,
    today: datetime.date | None = None,
) -> list[MonthRow]:
    """[(month, contracts signed, amount)] for months with signings, active or not."""
    start, end = month_window(months=months, today=today)
    return list(
        _contracts(tenant, _ids(client_ids))
        .filter(signed_on__gte=start, signed_on__lt=end)
        .annotate(month=TruncMonth("signed_on"))
        .values("month")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("month")
        .values_list("month", "n", "total")
    )


def signed_per_month_raw(
    *,
    tenant: Tenant,
    client_ids: ClientIds = None,
    months: int = 12,
    today: datetime.date | None = None,
) -> list[MonthRow]:
    ids = _ids(client_ids)
    if ids == []:
        return []
    start, end = month_window(months=months, today=today)
    where, params = _in_list("client_id", ids)
    # %% because MySQLdb formats the statement with the parameters.
    rows = _mysql_rows(
        f"SELECT DATE_FORMAT(signed_on, '%%Y-%%m-01') AS month, COUNT(*), SUM(amount) "
        f"FROM {CONTRACT_TABLE} WHERE tenant_id = %s AND signed_on >= %s AND signed_on < %s"
        f"{where} GROUP BY month ORDER BY month",
        [tenant.pk, start, end, *params],
    )
    return [(datetime.date.fromisoformat(month), n, total) for month, n, total in rows]


def signed_per_day_orm(
    *,
    tenant: Tenant,
    client_ids: ClientIds = None,
    months: int = 12,
    today: datetime.date | None = None,
) -> list[MonthRow]:
    """signed_per_month, grouped by day in MySQL and by month here.

    Grouping by the indexed column itself lets MariaDB read (tenant_id, signed_on)
    in order with no temporary table and filesort, about twice as fast as
    grouping by a month expression; the days (at most 31 * months rows) are
    summed into months in Python, exactly.
    """
    start, end = month_window(months=months, today=today)
    days = (
        _contracts(tenant, _ids(client_ids))
        .filter(signed_on__gte=start, signed_on__lt=end)
        .values("signed_on")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("signed_on")
        .values_list("signed_on", "n", "total")
    )
    return by_month(days)


def signed_per_day_raw(
    *,
    tenant: Tenant,
    client_ids: ClientIds = None,
    months: int = 12,
    today: datetime.date | None = None,
) -> list[MonthRow]:
    ids = _ids(client_ids)
    if ids == []:
        return []
    start, end = month_window(months=months, today=today)
    where, params = _in_list("client_id", ids)
    rows = _mysql_rows(
        f"SELECT signed_on, COUNT(*), SUM(amount) FROM {CONTRACT_TABLE} "
        f"WHERE tenant_id = %s AND signed_on >= %s AND signed_on < %s{where} "
        "GROUP BY signed_on ORDER BY signed_on",
        [tenant.pk, start, end, *params],
    )
    return by_month(rows)


def by_month(days: Iterable[tuple[datetime.date, int, Decimal]]) -> list[MonthRow]:
    """Per-day (day, count, amount) rows summed per month, oldest first."""
    months: dict[datetime.date, tuple[int, Decimal]] = {}
    for day, n, total in days:
        month = day.replace(day=1)
        count, amount = months.get(month, (0, ZERO))
        months[month] = (count + n, amount + total)
    return [(month, n, amount) for month, (n, amount) in sorted(months.items())]


def top_clients_by_amount_orm(
    *, tenant: Tenant, client_ids: ClientIds = None, limit: int = 10
) -> list[tuple[int, Decimal, int]]:
    """[(client_id, active amount, active contracts)], largest amount first, ties by id desc."""
    return list(
        _contracts(tenant, _ids(client_ids))
        .filter(is_active=True)
        .values("client_id")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by("-total", "-client_id")
        .values_list("client_id", "total", "n")[:limit]
    )


def top_clients_by_amount_raw(
    *, tenant: Tenant, client_ids: ClientIds = None, limit: int = 10
) -> list[tuple[int, Decimal, int]]:
    ids = _ids(client_ids)
    if ids == []:
        return []
    where, params = _in_list("client_id", ids)
    rows = _mysql_rows(
        f"SELECT client_id, SUM(amount) AS total, COUNT(*) FROM {CONTRACT_TABLE} "
        f"WHERE tenant_id = %s AND is_active{where} GROUP BY client_id "
        "ORDER BY total DESC, client_id DESC LIMIT %s",
        [tenant.pk, *params, limit],
    )
    return [(client_id, total, n) for client_id, total, n in rows]


def contracts_by_client_orm(*, tenant: Tenant) -> dict[int, int]:
    """{client_id: contracts, active or not} of every client_id the tenant's contracts name."""
    return dict(
        _contracts(tenant, None)
        .values("client_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("client_id", "n")
    )


def existing_client_ids_orm(*, tenant: Tenant, client_ids: Iterable[int]) -> set[int]:
    """Which of these ids are clients in the tenant's schema."""
    with tenant_context(tenant):
        return set(_clients(list(client_ids)).values_list("id", flat=True))


def orphans(per_client: dict[int, int], existing: set[int]) -> dict[int, int]:
    return {
        client_id: n for client_id, n in sorted(per_client.items()) if client_id not in existing
    }


def orphan_contracts_by_client_orm(*, tenant: Tenant) -> dict[int, int]:
    """{client_id: contracts} for contracts whose client is not in the tenant's schema."""
    per_client = contracts_by_client_orm(tenant=tenant)
    return orphans(per_client, existing_client_ids_orm(tenant=tenant, client_ids=per_client))


def orphan_contracts_by_client_raw(*, tenant: Tenant) -> dict[int, int]:
    per_client = dict(
        _mysql_rows(
            f"SELECT client_id, COUNT(*) FROM {CONTRACT_TABLE} WHERE tenant_id = %s GROUP BY client_id",
            [tenant.pk],
        )
    )
    existing = {
        client_id
        for (client_id,) in _pg_rows(
            tenant, f"SELECT id FROM {CLIENT_TABLE} WHERE id = ANY(%s)", [list(per_client)]
        )
    }
    return orphans(per_client, existing)


# --- Totals by country (both databases, joined in memory) ---------------------------


def join_by_country(
    countries: dict[int, str], totals: dict[int, tuple[int, Decimal]] | dict[int, tuple[int, int]]
) -> list[CountryRow]:
    """Per-country (clients, active contracts, amount) of these clients, largest total first.

    `totals` amounts are Decimals or integer cents (client_cents_*); the result is
    Decimal either way. Totals of ids missing from `countries` (orphans) are left out.
    """
    in_cents = any(isinstance(amount, int) for _, amount in itertools.islice(totals.values(), 1))
    clients: Counter[str] = Counter(countries.values())
    contracts: dict[str, int] = dict.fromkeys(clients, 0)
    amounts: dict[str, Any] = dict.fromkeys(clients, 0)
    # Only clients with totals need the per-client step (the others add zero).
    for client_id, (n, amount) in totals.items():
        country = countries.get(client_id)
        if country is not None:
            contracts[country] += n
            amounts[country] += amount
    rows = [
        (
            country,
            clients[country],
            contracts[country],
            cents_to_decimal(amounts[country]) if in_cents else amounts[country] + ZERO,
        )
        for country in clients
    ]
    return sorted(rows, key=lambda row: (-row[3], row[0]))


def totals_by_country_orm(*, tenant: Tenant, client_ids: ClientIds = None) -> list[CountryRow]:
    ids = _ids(client_ids)
    countries = client_countries_orm(tenant=tenant, client_ids=ids)
    # Whole tenant: read every totals row rather than a 100k-long IN list.
    return join_by_country(countries, client_cents_orm(tenant=tenant, client_ids=ids))


def totals_by_country_raw(*, tenant: Tenant, client_ids: ClientIds = None) -> list[CountryRow]:
    ids = _ids(client_ids)
    countries = client_countries_raw(tenant=tenant, client_ids=ids)
    return join_by_country(countries, client_cents_raw(tenant=tenant, client_ids=ids))


# --- Registry ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryPair:
    name: str
    orm: Callable[..., Any]
    raw: Callable[..., Any]
    databases: tuple[str, ...]  # aliases whose SQL compare_queries shows


PG = "default"
QUERY_PAIRS: tuple[QueryPair, ...] = (
    QueryPair("client_counts", client_counts_orm, client_counts_raw, (PG,)),
    QueryPair("contracts_per_client", contracts_per_client_orm, contracts_per_client_raw, (MYSQL,)),
    QueryPair("amount_per_client", amount_per_client_orm, amount_per_client_raw, (MYSQL,)),
    QueryPair("active_totals", active_totals_orm, active_totals_raw, (MYSQL,)),
    QueryPair("client_totals", client_totals_orm, client_totals_raw, (MYSQL,)),
    QueryPair("client_cents", client_cents_orm, client_cents_raw, (MYSQL,)),
    QueryPair("totals_by_country", totals_by_country_orm, totals_by_country_raw, (PG, MYSQL)),
    QueryPair("signed_per_month", signed_per_month_orm, signed_per_month_raw, (MYSQL,)),
    QueryPair("signed_per_day", signed_per_day_orm, signed_per_day_raw, (MYSQL,)),
    QueryPair(
        "top_clients_by_amount", top_clients_by_amount_orm, top_clients_by_amount_raw, (MYSQL,)
    ),
    QueryPair(
        "orphan_contracts",
        orphan_contracts_by_client_orm,
        orphan_contracts_by_client_raw,
        (MYSQL, PG),
    ),
)
