"""Hand-written SQL twins of the product's aggregates, for comparison only.

The product runs `data_access.selectors.aggregates` (the ORM). Each function here
is what an expert would write by hand for the same question; `compare_queries`
and the tests run both, check that they answer the same, and time them.
Every value is a parameter; only fixed table names are in the text.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django_tenants.utils import tenant_context

from data_access.models import Client, ClientTotals, Contract
from data_access.selectors import aggregates
from data_access.selectors.aggregates import (
    ZERO,
    Cents,
    ClientIds,
    CountryRow,
    MonthRow,
    by_month,
    ids_list,
    join_by_country,
    month_window,
    orphans,
)
from tenancy.models import Tenant

MYSQL = settings.CONTRACTS_DATABASE
CLIENT_TABLE = Client._meta.db_table
CONTRACT_TABLE = Contract._meta.db_table
TOTALS_TABLE = ClientTotals._meta.db_table


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


def _pg_where(ids: list[int] | None) -> tuple[str, list[Any]]:
    return ("WHERE id = ANY(%s)", [ids]) if ids is not None else ("", [])


def client_counts(*, tenant: Tenant, client_ids: ClientIds = None) -> tuple[int, int]:
    where, params = _pg_where(ids_list(client_ids))
    [(clients, active)] = _pg_rows(
        tenant,
        f"SELECT COUNT(*), COUNT(*) FILTER (WHERE is_active) FROM {CLIENT_TABLE} {where}",
        params,
    )
    return clients, active


def client_countries(*, tenant: Tenant, client_ids: ClientIds = None) -> dict[int, str]:
    where, params = _pg_where(ids_list(client_ids))
    return dict(_pg_rows(tenant, f"SELECT id, country FROM {CLIENT_TABLE} {where}", params))


def client_cents(*, tenant: Tenant, client_ids: ClientIds = None) -> Cents:
    ids = ids_list(client_ids)
    if ids == []:
        return {}
    if ids is not None and len(ids) > aggregates.MAX_IN_LIST:
        ids = None
    where, params = _in_list("client_id", ids)
    rows = _mysql_rows(
        f"SELECT client_id, active_contracts, CAST(active_amount * 100 AS SIGNED) "
        f"FROM {TOTALS_TABLE} WHERE tenant_id = %s AND active_amount > 0{where}",
        [tenant.pk, *params],
    )
    return {client_id: (n, cents) for client_id, n, cents in rows}


def active_totals(*, tenant: Tenant, client_ids: ClientIds = None) -> tuple[int, int, Decimal]:
    ids = ids_list(client_ids)
    if ids == []:
        return 0, 0, ZERO
    where, params = _in_list("client_id", ids)
    [(clients, contracts, amount)] = _mysql_rows(
        f"SELECT COUNT(*), COALESCE(SUM(active_contracts), 0), COALESCE(SUM(active_amount), 0) "
        f"FROM {TOTALS_TABLE} WHERE tenant_id = %s AND active_amount > 0{where}",
        [tenant.pk, *params],
    )
    return clients, int(contracts), amount


def active_totals_by_client(*, tenant: Tenant, client_ids: ClientIds = None) -> Cents:
    ids = ids_list(client_ids)
    if ids == []:
        return {}
    where, params = _in_list("client_id", ids)
    rows = _mysql_rows(
        f"SELECT client_id, COUNT(*), CAST(SUM(amount) * 100 AS SIGNED) FROM {CONTRACT_TABLE} "
        # "is_active = 1", not a bare "is_active": with an IN list, Spider (MariaDB
        # 10.11) sends its shards invalid SQL for the bare form.
        f"WHERE tenant_id = %s AND is_active = 1{where} GROUP BY client_id",
        [tenant.pk, *params],
    )
    return {client_id: (n, cents) for client_id, n, cents in rows}


def signed_per_month(
    *,
    tenant: Tenant,
    client_ids: ClientIds = None,
    months: int = 12,
    today: datetime.date | None = None,
) -> list[MonthRow]:
    ids = ids_list(client_ids)
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


def orphan_contracts_by_client(*, tenant: Tenant) -> dict[int, int]:
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


def totals_by_country(*, tenant: Tenant, client_ids: ClientIds = None) -> list[CountryRow]:
    ids = ids_list(client_ids)
    countries = client_countries(tenant=tenant, client_ids=ids)
    return join_by_country(countries, client_cents(tenant=tenant, client_ids=ids))


# --- The pairs compare_queries runs -------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryPair:
    name: str
    orm: Callable[..., Any]  # what the product runs
    raw: Callable[..., Any]
    databases: tuple[str, ...]  # aliases whose SQL compare_queries shows


PG = "default"
QUERY_PAIRS: tuple[QueryPair, ...] = tuple(
    QueryPair(name, getattr(aggregates, name), raw, databases)
    for name, raw, databases in (
        ("client_counts", client_counts, (PG,)),
        ("client_countries", client_countries, (PG,)),
        ("client_cents", client_cents, (MYSQL,)),
        ("active_totals", active_totals, (MYSQL,)),
        ("active_totals_by_client", active_totals_by_client, (MYSQL,)),
        ("signed_per_month", signed_per_month, (MYSQL,)),
        ("orphan_contracts_by_client", orphan_contracts_by_client, (MYSQL, PG)),
        ("totals_by_country", totals_by_country, (PG, MYSQL)),
    )
)
