"""The benchmark's scenarios, each answered three ways that must agree:

- naive: what the seed did, load every client and every contract aggregate of
  the tenant, join the dicts in Python, filter, sort and slice;
- product: data_access.selectors.clients.client_page / data_access.selectors.panels;
- floor: the hand-written SQL an expert would run for the same answer, on bare
  psycopg / MySQLdb connections (no ORM, no Django cursor wrappers).

Every approach returns the same normalised value, so the runner checks that
they agree before it trusts any timing.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import MySQLdb
import psycopg
from django.conf import settings
from django.db import connections
from django.db.models import Count, Sum
from django_tenants.utils import tenant_context

from data_access import querying
from data_access.models import Client, ClientTotals, Contract
from data_access.querying import ClientQuery
from data_access.selectors import panels
from data_access.selectors.aggregates import month_start, month_window
from data_access.selectors.clients import ClientPage, client_page
from tenancy.models import Tenant

ZERO = Decimal("0.00")
PAGE_SIZE = 25
CLIENTS = Client._meta.db_table
CONTRACTS = Contract._meta.db_table
TOTALS = ClientTotals._meta.db_table
FIELDS = ("id", "name", "email", "country", "is_active", "created_at")
SELECT_CLIENTS = f"SELECT {', '.join(FIELDS)} FROM {CLIENTS}"
SEARCH_SQL = "(UPPER(name::text) LIKE UPPER(%s) OR UPPER(email::text) LIKE UPPER(%s))"

# (count as shown, [(id, name, email, country, is_active, created_at, contracts, total), ...])
PageResult = tuple[int | None, list[tuple]]


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    label: str
    first_page: bool  # held to the 15 ms target
    query: ClientQuery | None  # None: the contract panels
    # approach -> function(ctx) -> normalised result
    approaches: dict[str, Callable[["Context"], Any]]


@dataclass
class Context:
    tenant: Tenant
    today: datetime.date
    pg: psycopg.Connection  # bare, search_path set to the tenant's schema
    my: MySQLdb.Connection  # bare, autocommit


# --- Connections for the floor --------------------------------------------------


def bare_connections(tenant: Tenant) -> tuple[psycopg.Connection, MySQLdb.Connection]:
    pg_settings = settings.DATABASES["default"]
    pg = psycopg.connect(
        host=pg_settings["HOST"] or "127.0.0.1",
        port=int(pg_settings["PORT"] or 5432),
        user=pg_settings["USER"],
        password=pg_settings["PASSWORD"] or None,
        dbname=pg_settings["NAME"],
        autocommit=True,
    )
    pg.execute(f'SET search_path = "{tenant.schema_name}", public')
    params = connections[settings.CONTRACTS_DATABASE].get_connection_params()
    my = MySQLdb.connect(**params)
    my.autocommit(True)
    return pg, my


# --- Normalisation ------------------------------------------------------------------


def shown_count(count: int, query: ClientQuery) -> int | None:
    """A count as the table shows it: exact, or None ("more than COUNT_LIMIT") past
    the cap for a query that no rollup counts (selectors.clients.ClientPage)."""
    if query.segment_filters_only or count <= querying.COUNT_LIMIT:
        return count
    return None


def _page(page: ClientPage) -> PageResult:
    return page.paginator.count if page.count_is_exact else None, [
        (
            r.id,
            r.name,
            r.email,
            r.country,
            r.is_active,
            r.created_at,
            r.contract_count,
            r.total_amount,
        )
        for r in page.rows
    ]


def _joined_rows(clients: list[tuple], totals: dict[int, tuple[int, Decimal]]) -> list[tuple]:
    return [(*client, *totals.get(client[0], (0, ZERO))) for client in clients]


# --- Naive: load everything, join in Python -----------------------------------------


def _naive_all(ctx: Context) -> tuple[list[tuple], dict[int, tuple[int, Decimal]]]:
    with tenant_context(ctx.tenant):
        clients = list(Client.objects.values_list(*FIELDS))
    aggregates = {
        client_id: (n, total)
        for client_id, n, total in Contract.unscoped.filter(tenant_id=ctx.tenant.pk, is_active=True)
        .values("client_id")
        .annotate(n=Count("id"), total=Sum("amount"))
        .values_list("client_id", "n", "total")
    }
    return clients, aggregates


def naive_page(query: ClientQuery) -> Callable[[Context], PageResult]:
    def run(ctx: Context) -> PageResult:
        clients, aggregates = _naive_all(ctx)
        rows = _joined_rows(clients, aggregates)
        if query.search:
            needle = query.search.upper()
            rows = [r for r in rows if needle in r[1].upper() or needle in r[2].upper()]
        if query.country:
            rows = [r for r in rows if r[3] == query.country]
        column = {"name": 1, "total": 7}[query.column.key]
        rows.sort(key=lambda r: (r[column], r[0]), reverse=query.descending)
        return shown_count(len(rows), query), rows[query.offset : query.offset + query.page_size]

    return run


def naive_panels(ctx: Context) -> tuple:
    clients, aggregates = _naive_all(ctx)
    contracts = sum(n for n, _ in aggregates.values())
    total = sum((t for _, t in aggregates.values()), ZERO)
    start, end = month_window(months=12, today=ctx.today)
    months: dict[datetime.date, list] = defaultdict(lambda: [0, ZERO])
    for signed_on, amount in Contract.unscoped.filter(tenant_id=ctx.tenant.pk).values_list(
        "signed_on", "amount"
    ):
        if start <= signed_on < end:
            month = months[signed_on.replace(day=1)]
            month[0] += 1
            month[1] += amount
    return _panels_result(
        clients=len(clients),
        active=sum(1 for c in clients if c[4]),
        contracts=contracts,
        total=total,
        months=months,
        today=ctx.today,
    )


def naive_countries(ctx: Context) -> list[tuple]:
    clients, aggregates = _naive_all(ctx)
    groups: dict[str, list] = defaultdict(lambda: [0, 0, ZERO])
    for client in clients:
        n, total = aggregates.get(client[0], (0, ZERO))
        group = groups[client[3]]
        group[0], group[1], group[2] = group[0] + 1, group[1] + n, group[2] + total
    return sorted(((k, *v) for k, v in groups.items()), key=lambda row: (-row[3], row[0]))


def _panels_result(
    *, clients: int, active: int, contracts: int, total: Decimal, months: dict, today: datetime.date
) -> tuple:
    series = []
    for back in range(11, -1, -1):
        month = month_start(today, months_back=back)
        n, amount = months.get(month, (0, ZERO))
        series.append((month, n, amount))
    return clients, active, contracts, total, series


# --- Product ------------------------------------------------------------------------


def product_page(query: ClientQuery) -> Callable[[Context], PageResult]:
    return lambda ctx: _page(client_page(query, tenant=ctx.tenant))


def product_panels(ctx: Context) -> tuple:
    everything = ClientQuery()
    kpis = panels.kpis(everything, tenant=ctx.tenant)
    months = panels.signed_per_month(everything, months=12, tenant=ctx.tenant, today=ctx.today)
    return (
        kpis.clients,
        kpis.active_clients,
        kpis.active_contracts,
        kpis.total_amount,
        [(m.month, m.contracts, m.amount) for m in months],
    )


def product_countries(ctx: Context) -> list[tuple]:
    return [
        (row.country, row.clients, row.active_contracts, row.total_amount)
        for row in panels.totals_by_country(ClientQuery(), tenant=ctx.tenant)
    ]


# --- Floor: hand-written SQL on bare connections -------------------------------------


def _my(ctx: Context, sql: str, params: list) -> list[tuple]:
    cursor = ctx.my.cursor()
    cursor.execute(sql, params)
    return list(cursor.fetchall())


def _totals_of(ctx: Context, ids: list[int]) -> dict[int, tuple[int, Decimal]]:
    if not ids:
        return {}
    rows = _my(
        ctx,
        f"SELECT client_id, active_contracts, active_amount FROM {TOTALS} "
        f"WHERE tenant_id = %s AND client_id IN ({', '.join(['%s'] * len(ids))})",
        [ctx.tenant.pk, *ids],
    )
    return {client_id: (n, amount) for client_id, n, amount in rows}


def _clients_in_order(ctx: Context, ids: list[int]) -> list[tuple]:
    by_id = {row[0]: row for row in ctx.pg.execute(f"{SELECT_CLIENTS} WHERE id = ANY(%s)", [ids])}
    return [by_id[i] for i in ids]


def floor_name_page(query: ClientQuery) -> Callable[[Context], PageResult]:
    """Count (a search up to the cap only), one index-ordered page (deferred join),
    then the page's totals from MySQL."""
    where, params = "", []
    counted = f"SELECT COUNT(*) FROM {CLIENTS}"
    if query.search:
        like = f"%{query.search}%"
        where, params = f" WHERE {SEARCH_SQL}", [like, like]
        # As the product does: no rollup counts a search, so it is counted to the cap.
        limit = querying.COUNT_LIMIT + 1
        counted = f"SELECT COUNT(*) FROM (SELECT 1 FROM {CLIENTS}{where} LIMIT {limit}) AS capped"

    def run(ctx: Context) -> PageResult:
        [(count,)] = ctx.pg.execute(counted, params).fetchall()
        # Deferred join: OFFSET walks the (name, id) index only (index-only scan),
        # and just the page's rows are read from the heap.
        clients = ctx.pg.execute(
            f"SELECT {', '.join('c.' + f for f in FIELDS)} FROM ("
            f'SELECT id, name COLLATE "C" AS sort_name FROM {CLIENTS}{where} '
            'ORDER BY name COLLATE "C", id LIMIT %s OFFSET %s'
            f") AS page JOIN {CLIENTS} AS c USING (id) ORDER BY page.sort_name, page.id",
            [*params, query.page_size, query.offset],
        ).fetchall()
        return shown_count(count, query), _joined_rows(
            clients, _totals_of(ctx, [c[0] for c in clients])
        )

    return run


def floor_total_page(ctx: Context) -> PageResult:
    """Walk MySQL's (tenant, amount, client) index for the top page, then the clients."""
    [(count,)] = ctx.pg.execute(f"SELECT COUNT(*) FROM {CLIENTS}").fetchall()
    top = _my(
        ctx,
        f"SELECT client_id, active_contracts, active_amount FROM {TOTALS} "
        "WHERE tenant_id = %s ORDER BY active_amount DESC, client_id DESC LIMIT %s",
        [ctx.tenant.pk, PAGE_SIZE],
    )
    assert len(top) == PAGE_SIZE, "page 1 lies within the clients with contracts"
    ids = [client_id for client_id, _, _ in top]
    totals = {client_id: (n, amount) for client_id, n, amount in top}
    return count, _joined_rows(_clients_in_order(ctx, ids), totals)


def floor_country_total_page(country: str) -> Callable[[Context], PageResult]:
    """Count the country's clients; walk MySQL's (tenant, amount, client) index from
    the top in growing batches, loading the batch's clients of that country from
    PostgreSQL, until a page of them turns up."""

    def run(ctx: Context) -> PageResult:
        [(count,)] = ctx.pg.execute(
            f"SELECT COUNT(*) FROM {CLIENTS} WHERE country = %s", [country]
        ).fetchall()
        found: list[tuple] = []
        totals: dict[int, tuple[int, Decimal]] = {}
        offset, batch = 0, 20 * PAGE_SIZE
        while len(found) < PAGE_SIZE:
            rows = _my(
                ctx,
                f"SELECT client_id, active_contracts, active_amount FROM {TOTALS} "
                "WHERE tenant_id = %s ORDER BY active_amount DESC, client_id DESC "
                "LIMIT %s OFFSET %s",
                [ctx.tenant.pk, batch, offset],
            )
            totals.update((client_id, (n, amount)) for client_id, n, amount in rows)
            ids = [row[0] for row in rows]
            clients = {
                row[0]: row
                for row in ctx.pg.execute(
                    f"{SELECT_CLIENTS} WHERE country = %s AND id = ANY(%s)", [country, ids]
                )
            }
            found += [clients[i] for i in ids if i in clients]
            if len(rows) < batch:
                break
            offset, batch = offset + batch, batch * 8
        assert len(found) >= PAGE_SIZE, "page 1 lies within the clients with contracts"
        return count, _joined_rows(found[:PAGE_SIZE], totals)

    return run


def floor_panels(ctx: Context) -> tuple:
    [(clients, active)] = ctx.pg.execute(
        f"SELECT COUNT(*), COUNT(*) FILTER (WHERE is_active) FROM {CLIENTS}"
    ).fetchall()
    [(contracts, total)] = _my(
        ctx,
        f"SELECT COALESCE(SUM(active_contracts), 0), COALESCE(SUM(active_amount), 0) "
        f"FROM {TOTALS} WHERE tenant_id = %s",
        [ctx.tenant.pk],
    )
    start, end = month_window(months=12, today=ctx.today)
    # Per day, in contract_signed_cover order (tenant_id, signed_on, ..., amount):
    # an index-only range read, no temporary table, no filesort.
    days = _my(
        ctx,
        f"SELECT signed_on, COUNT(*), SUM(amount) FROM {CONTRACTS} "
        "WHERE tenant_id = %s AND signed_on >= %s AND signed_on < %s GROUP BY signed_on",
        [ctx.tenant.pk, start, end],
    )
    months: dict[datetime.date, list] = defaultdict(lambda: [0, ZERO])
    for day, n, amount in days:
        month = months[day.replace(day=1)]
        month[0] += n
        month[1] += amount
    return _panels_result(
        clients=clients,
        active=active,
        contracts=int(contracts),
        total=total,
        months=months,
        today=ctx.today,
    )


def floor_countries(ctx: Context) -> list[tuple]:
    """Every client's country from PostgreSQL, every totals row in cents from MySQL
    (integers convert faster than Decimals), summed per country here."""
    countries = dict(ctx.pg.execute(f"SELECT id, country FROM {CLIENTS}").fetchall())
    totals = _my(
        ctx,
        f"SELECT client_id, active_contracts, CAST(active_amount * 100 AS SIGNED) "
        f"FROM {TOTALS} WHERE tenant_id = %s",
        [ctx.tenant.pk],
    )
    clients: dict[str, int] = defaultdict(int)
    for country in countries.values():
        clients[country] += 1
    contracts: dict[str, int] = defaultdict(int)
    cents: dict[str, int] = defaultdict(int)
    for client_id, n, amount in totals:
        if (country := countries.get(client_id)) is not None:
            contracts[country] += n
            cents[country] += amount
    rows = [(k, v, contracts[k], Decimal(cents[k]).scaleb(-2)) for k, v in clients.items()]
    return sorted(rows, key=lambda row: (-row[3], row[0]))


# --- The list ----------------------------------------------------------------------------


def scenarios(*, deep_page: int, country: str = "CL", search: str = "silva") -> list[Scenario]:
    def page(name: str, label: str, query: ClientQuery, floor, *, first: bool = True) -> Scenario:
        return Scenario(
            name=name,
            label=label,
            first_page=first,
            query=query,
            approaches={"naive": naive_page(query), "product": product_page(query), "floor": floor},
        )

    by_name = ClientQuery(sort="name")
    by_total = ClientQuery(sort="-total")
    country_total = ClientQuery(country=country, sort="-total")
    searched = ClientQuery(search=search)
    deep = ClientQuery(sort="name", page=deep_page)
    return [
        page("first_page_name", "first page by name", by_name, floor_name_page(by_name)),
        page("sort_total_desc", "sort by total desc", by_total, floor_total_page),
        page(
            "country_total_desc",
            f"country {country} + total desc",
            country_total,
            floor_country_total_page(country),
        ),
        page("search", f'search "{search}"', searched, floor_name_page(searched)),
        page(
            "deep_page_name",
            f"page {deep_page} by name",
            deep,
            floor_name_page(deep),
            first=False,
        ),
        Scenario(
            name="panels",
            label="panels (kpis + signed/month)",
            first_page=False,
            query=None,
            approaches={"naive": naive_panels, "product": product_panels, "floor": floor_panels},
        ),
        Scenario(
            name="countries",
            label="totals by country (all)",
            first_page=False,
            query=None,
            approaches={
                "naive": naive_countries,
                "product": product_countries,
                "floor": floor_countries,
            },
        ),
    ]
