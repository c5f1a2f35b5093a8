"""Bulk writes for seeding large tenants: PostgreSQL COPY for clients, MySQL
LOAD DATA for contracts, then ClientTotals rebuilt from the contracts in one
statement, so the totals are exact when loading ends."""

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, connections
from django_tenants.utils import schema_context

from data_access.models import Client, ClientTotals, Contract
from data_access.sharding import spider
from tenancy.models import Tenant

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
    ClientTotals.objects.filter(tenant_id=tenant.pk).delete()


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
    lines into the tenant; leaving the block rebuilds the tenant's ClientTotals.

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
        cursor.execute(
            f"INSERT INTO {totals} (tenant_id, client_id, active_contracts, active_amount) "
            f"SELECT tenant_id, client_id, COUNT(*), SUM(amount) FROM {contracts} "
            "WHERE tenant_id = %s AND is_active GROUP BY tenant_id, client_id",
            [tenant.pk],
        )
        mysql.commit()
        cursor.execute(f"ANALYZE TABLE {contracts}, {totals}")
        cursor.fetchall()
