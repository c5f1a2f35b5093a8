"""Bulk writes for seeding large tenants: PostgreSQL COPY for clients, MySQL
LOAD DATA for contracts, then ClientTotals (a zero row for every client without
active contracts) and the rollups rebuilt from the contracts, so they are exact
when loading ends. ClientCount follows the COPY by its trigger. `rebuild_rollups`
(check_integrity --repair) rebuilds them all. Both rebuild while the clients
table is locked against writers, then mark TotalsCoverage complete.

Loading stays linear in the rows loaded: the secondary indexes are dropped before
the load and built again after it, each in one sorted pass, instead of taking
every row at a random place of an index larger than memory. The tenant's own
clients table always loads so; the contracts table, shared by every tenant,
only when the load is at least as large as what the table already holds (its
indexes are then rebuilt over the whole table, at most about twice the load).
"""

import os
import time
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
# Memory for each index build after a load (PostgreSQL's maintenance_work_mem,
# MariaDB's innodb_sort_buffer_size is the server's own).
INDEX_BUILD_MEMORY = "256MB"
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


def _client_secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's indexes in the current schema
    that no constraint owns (the primary key and unique email stay)."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_class t ON t.oid = x.indrelid "
        "WHERE t.oid = to_regclass(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
        "ORDER BY i.relname",
        [table],
    )
    return cursor.fetchall()


def copy_clients(
    *, tenant: Tenant, rows: Iterable[tuple], last_id: int, timings: dict | None = None
) -> None:
    """COPY rows of CLIENT_COLUMNS into the tenant's schema; ids run up to `last_id`.

    The table's secondary indexes (sorts, trigram search) are dropped first and
    built again after the COPY, in the same transaction: readers of the schema wait
    for it, and a failure leaves the indexes as they were. `timings` gets each
    phase's seconds ("clients copy", "clients indexes")."""
    table = Client._meta.db_table
    timings = {} if timings is None else timings
    with schema_context(tenant.schema_name):
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            indexes = _client_secondary_indexes(cursor, table)
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            with cursor.copy(f"COPY {table} ({', '.join(CLIENT_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST(%s, 1))",
                [last_id],
            )
            timings["clients copy"] = time.perf_counter() - started
            started = time.perf_counter()
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
            for _, definition in indexes:
                cursor.execute(definition)
            timings["clients indexes"] = time.perf_counter() - started
        if not connection.in_atomic_block:
            # Fresh statistics and visibility map: index-only scans from the start.
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {table}")


def _contract_secondary_indexes(cursor, table: str) -> list[tuple[str, list[str]]]:
    """(name, [column, …]) of the table's non-unique indexes, in column order."""
    cursor.execute(
        "SELECT index_name, column_name, sub_part FROM information_schema.statistics "
        "WHERE table_schema = DATABASE() AND table_name = %s AND non_unique = 1 "
        "AND index_type = 'BTREE' ORDER BY index_name, seq_in_index",
        [table],
    )
    indexes: dict[str, list[str]] = {}
    for name, column, sub_part in cursor.fetchall():
        indexes.setdefault(name, []).append(
            f"`{column}`({sub_part})" if sub_part else f"`{column}`"
        )
    return list(indexes.items())


def _rows_held(cursor, table: str) -> int:
    """The table's row count as InnoDB estimates it (no scan)."""
    cursor.execute(
        "SELECT COALESCE(MAX(table_rows), 0) FROM information_schema.tables "
        "WHERE table_schema = DATABASE() AND table_name = %s",
        [table],
    )
    return int(cursor.fetchone()[0])


@contextmanager
def contract_loader(
    *, tenant: Tenant, rows: int = 0, timings: dict | None = None
) -> Iterator[Callable[[str], None]]:
    """`load(path)` loads (and deletes) one tab-separated file of CONTRACT_COLUMNS
    lines into the tenant; leaving the block rebuilds the tenant's ClientTotals,
    SegmentTotals and MonthTotals.

    When `rows` (the rows about to be loaded) is at least what the contracts table
    holds, its secondary indexes are dropped first and built again, all in one
    ALTER, before the rollups are rebuilt from them. `timings` gets each phase's
    seconds ("contracts load", "contracts indexes", "rollups").

    One dedicated connection, with LOAD DATA LOCAL allowed, unique checks off;
    mysqlclient releases the GIL while it loads, so the caller can write the next
    file meanwhile. When the contracts database is sharded, it is a connection to
    the tenant's shard.
    """
    contracts, totals = Contract._meta.db_table, ClientTotals._meta.db_table
    timings = {} if timings is None else timings
    with spider.loading_connection(
        connections[settings.CONTRACTS_DATABASE],
        tenant_id=tenant.pk,
        table=contracts,
        local_infile=True,
    ) as mysql:
        cursor = mysql.cursor()
        cursor.execute("SET SESSION unique_checks = 0, foreign_key_checks = 0")
        mysql.autocommit(False)
        started = time.perf_counter()
        deferred = []
        if rows and rows >= _rows_held(cursor, contracts):
            deferred = _contract_secondary_indexes(cursor, contracts)
        if deferred:
            cursor.execute(
                f"ALTER TABLE `{contracts}` "
                + ", ".join(f"DROP INDEX `{name}`" for name, _ in deferred)
            )

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

        try:
            yield load
        finally:
            timings["contracts load"] = time.perf_counter() - started
            started = time.perf_counter()
            if deferred:
                # Built again even when loading failed: the table keeps its indexes.
                cursor.execute(
                    f"ALTER TABLE `{contracts}` "
                    + ", ".join(
                        f"ADD INDEX `{name}` ({', '.join(cols)})" for name, cols in deferred
                    )
                )
            timings["contracts indexes"] = time.perf_counter() - started
        started = time.perf_counter()
        with schema_context(tenant.schema_name), transaction.atomic():
            _lock_clients()
            segments = _client_segments()
            _rebuild_contract_rollups(cursor, tenant=tenant, segments=segments)
            mysql.commit()
            _mark_zero_rows_complete()
        cursor.execute(f"ANALYZE TABLE {contracts}, {totals}")
        cursor.fetchall()
        timings["rollups"] = time.perf_counter() - started
