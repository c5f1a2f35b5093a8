"""Bulk writes for seeding large tenants: PostgreSQL COPY for clients, MySQL
LOAD DATA for contracts, then ClientTotals (a zero row for every client without
active contracts) and the rollups rebuilt from the contracts, so they are exact
when loading ends. ClientCount follows the COPY by its trigger. `rebuild_rollups`
(check_integrity --repair) rebuilds them all. Both rebuild while the clients
table is locked against writers, then mark TotalsCoverage complete."""

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, connections, transaction
from django_tenants.utils import schema_context

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
from data_access.sharding import spider
from tenancy.models import Tenant

# Zero ClientTotals rows per INSERT statement when rebuilding.
ZERO_ROWS_BATCH = 5_000
CLIENT_COLUMNS = ("id", "name", "email", "country", "is_active", "created_at")
# Columns of each tab-separated contract line; tenant_id is set by the loader.
CONTRACT_COLUMNS = ("client_id", "title", "amount", "signed_on", "is_active")


def tenant_has_data(*, tenant: Tenant) -> bool:
    with schema_context(tenant.schema_name):
        return Client.objects.exists() or Contract.unscoped.filter(tenant_id=tenant.pk).exists()


def clear_tenant(*, tenant: Tenant) -> None:
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Client._meta.db_table} RESTART IDENTITY")
    Contract.unscoped.filter(tenant_id=tenant.pk).delete()
    for rollup in CONTRACT_ROLLUPS:
        rollup.objects.filter(tenant_id=tenant.pk).delete()


# The derived tables of the contracts database, rebuilt from the contracts.
CONTRACT_ROLLUPS = (ClientTotals, SegmentTotals, MonthTotals)


def _client_segments() -> dict[int, tuple[str, bool]]:
    """{client id: (country, active)} of the current schema's clients."""
    return {
        client_id: (country, active)
        for client_id, country, active in Client.objects.values_list("id", "country", "is_active")
    }


def _rebuild_contract_rollups(
    cursor, *, tenant: Tenant, segments: dict[int, tuple[str, bool]]
) -> None:
    """Replace the tenant's ClientTotals, SegmentTotals and MonthTotals with what its
    contracts say, through a DB-API cursor on the contracts database (the caller
    commits). Every statement names the one tenant."""
    contracts = Contract._meta.db_table
    totals, by_segment, by_month = (model._meta.db_table for model in CONTRACT_ROLLUPS)
    for table in (totals, by_segment, by_month):
        cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
    cursor.execute(
        f"INSERT INTO {totals} (tenant_id, client_id, active_contracts, active_amount) "
        f"SELECT tenant_id, client_id, COUNT(*), SUM(amount) FROM {contracts} "
        "WHERE tenant_id = %s AND is_active GROUP BY tenant_id, client_id",
        [tenant.pk],
    )
    cursor.execute(
        f"INSERT INTO {by_month} (tenant_id, month, contracts, amount) "
        "SELECT tenant_id, signed_on - INTERVAL DAYOFMONTH(signed_on) - 1 DAY, COUNT(*), "
        f"SUM(amount) FROM {contracts} WHERE tenant_id = %s GROUP BY tenant_id, 2",
        [tenant.pk],
    )
    # Clients live in PostgreSQL: the per-segment sums are joined here.
    cursor.execute(
        f"SELECT client_id, active_contracts, active_amount FROM {totals} WHERE tenant_id = %s",
        [tenant.pk],
    )
    sums: dict[tuple[str, bool], list] = {}
    zero_ids = set(segments)
    for client_id, count, amount in cursor.fetchall():
        zero_ids.discard(client_id)
        if (segment := segments.get(client_id)) is not None:
            row = sums.setdefault(segment, [0, 0])
            row[0] += count
            row[1] += amount
    if sums:
        cursor.executemany(
            f"INSERT INTO {by_segment} "
            "(tenant_id, country, client_active, active_contracts, active_amount) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                (tenant.pk, country, active, count, amount)
                for (country, active), (count, amount) in sorted(sums.items())
            ],
        )
    # Clients without active contracts, in primary-key order.
    ordered = sorted(zero_ids)
    for start in range(0, len(ordered), ZERO_ROWS_BATCH):
        batch = ordered[start : start + ZERO_ROWS_BATCH]
        cursor.execute(
            f"INSERT INTO {totals} (tenant_id, client_id, active_contracts, active_amount) "
            f"VALUES {', '.join(['(%s, %s, 0, 0)'] * len(batch))}",
            [value for client_id in batch for value in (tenant.pk, client_id)],
        )


def _lock_clients() -> None:
    """EXCLUSIVE: reads go on, every writer of the clients table waits (services
    and ORM alike) until the caller's transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {Client._meta.db_table} IN EXCLUSIVE MODE")


def _mark_zero_rows_complete() -> None:
    TotalsCoverage.objects.update_or_create(id=1, defaults={"complete": True})


def rebuild_rollups(*, tenant: Tenant) -> None:
    """Rebuild every rollup of the tenant from its clients and contracts.

    The clients table is locked (EXCLUSIVE: reads go on, the services' row locks
    wait) until the contracts database has committed, so no write slips between
    reading the base rows and storing their sums."""
    mysql = settings.CONTRACTS_DATABASE
    with schema_context(tenant.schema_name), transaction.atomic():
        _lock_clients()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ClientCount._meta.db_table}")
            cursor.execute(
                f"INSERT INTO {ClientCount._meta.db_table} (country, is_active, clients) "
                f"SELECT country, is_active, COUNT(*) FROM {Client._meta.db_table} "
                "GROUP BY country, is_active"
            )
        segments = _client_segments()
        with (
            contracts_database(),
            transaction.atomic(using=mysql),
            connections[mysql].cursor() as cursor,
        ):
            _rebuild_contract_rollups(cursor, tenant=tenant, segments=segments)
        _mark_zero_rows_complete()


def copy_clients(*, tenant: Tenant, rows: Iterable[tuple], last_id: int) -> None:
    """COPY rows of CLIENT_COLUMNS into the tenant's schema; ids run up to `last_id`."""
    table = Client._meta.db_table
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(CLIENT_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST(%s, 1))", [last_id]
        )
        if not connection.in_atomic_block:
            # Fresh statistics and visibility map: index-only scans from the start.
            cursor.execute(f"VACUUM ANALYZE {table}")


@contextmanager
def contract_loader(*, tenant: Tenant) -> Iterator[Callable[[str], None]]:
    """`load(path)` loads (and deletes) one tab-separated file of CONTRACT_COLUMNS
    lines into the tenant; leaving the block rebuilds the tenant's ClientTotals,
    SegmentTotals and MonthTotals.

    One dedicated connection, with LOAD DATA LOCAL allowed; mysqlclient releases
    the GIL while it loads, so the caller can write the next file meanwhile. When
    the contracts database is sharded, it is a connection to the tenant's shard.
    """
    contracts, totals = Contract._meta.db_table, ClientTotals._meta.db_table
    with spider.loading_connection(
        connections[settings.CONTRACTS_DATABASE],
        tenant_id=tenant.pk,
        table=contracts,
        local_infile=True,
    ) as mysql:

        def load(path: str) -> None:
            try:
                mysql.cursor().execute(
                    f"LOAD DATA LOCAL INFILE %s INTO TABLE {contracts} FIELDS TERMINATED BY '\\t' "
                    f"({', '.join(CONTRACT_COLUMNS)}) SET tenant_id = %s",
                    [path, tenant.pk],
                )
                mysql.commit()
            finally:
                os.unlink(path)

        yield load
        cursor = mysql.cursor()
        with schema_context(tenant.schema_name), transaction.atomic():
            _lock_clients()
            segments = _client_segments()
            _rebuild_contract_rollups(cursor, tenant=tenant, segments=segments)
            mysql.commit()
            _mark_zero_rows_complete()
        cursor.execute(f"ANALYZE TABLE {contracts}, {totals}")
        cursor.fetchall()
