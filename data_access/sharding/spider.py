"""A MariaDB Spider head over MariaDB shards, for the contracts database.

The head holds no rows. Each tenant-keyed table on the head is a Spider table
partitioned by HASH (tenant_id), one partition per shard, each partition a link
(CREATE SERVER ... FOREIGN DATA WRAPPER mysql) to the same table on its shard.
A tenant's rows therefore all live on one shard, and a statement that names one
tenant (data_access.sharding.statements) runs on that shard alone.

The tables are never written by hand: after `migrate` has built them on the head
as usual, `build()` copies each one's `SHOW CREATE TABLE` to every shard and
replaces the head's copy by its Spider twin. Migrating a database again converts
new tables; a migration that alters a table already sharded must be applied to
the shards too, which this module does not do.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import dj_database_url
import MySQLdb
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

from data_access.sharding.statements import SHARD_KEY, tenant_keyed_tables

ENGINE = "SPIDER"
# The head numbers new rows itself (Spider's "quick" auto-increment mode). The
# default mode asks the shard for its largest id on every insert, by the head's
# primary key (id, tenant_id), which the shard can only answer with a sort of the
# whole table. One counter per head: this topology has one head.
HEAD_COUNTER = 'auto_increment_mode "1"'


@dataclass(frozen=True, slots=True)
class Shard:
    """One backend server, as the head reaches it (also how tests and loaders reach it)."""

    host: str
    port: int
    user: str
    password: str

    @classmethod
    def from_url(cls, url: str) -> "Shard":
        config = dj_database_url.parse(url)
        return cls(
            host=config["HOST"] or "127.0.0.1",
            port=int(config["PORT"] or 3306),
            user=config["USER"],
            password=config["PASSWORD"] or "",
        )

    @contextmanager
    def connect(self, database: str = "", **options: Any) -> Iterator[MySQLdb.Connection]:
        connection = MySQLdb.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database,
            charset="utf8mb4",
            **{"autocommit": True, **options},
        )
        try:
            yield connection
        finally:
            connection.close()


def configured_shards() -> list[Shard]:
    """The shards named by CONTRACTS_SHARD_URLS (host, port and credentials; each
    shard's database has the head's database name)."""
    if not settings.CONTRACTS_SHARD_URLS:
        raise RuntimeError("a Spider head needs CONTRACTS_SHARD_URLS: the URLs of its shards")
    return [Shard.from_url(url) for url in settings.CONTRACTS_SHARD_URLS]


def server_name(database: str, index: int) -> str:
    return f"{database}_shard{index}"


# --- DDL --------------------------------------------------------------------------------------


def shard_table_ddl(create_table: str) -> str:
    """The table as the migrations made it, for a shard: only the counter is reset."""
    return re.sub(r"\s+AUTO_INCREMENT=\d+", "", create_table)


def head_table_ddl(create_table: str, *, table: str, servers: list[str]) -> str:
    """The Spider twin of a table made by the migrations: same columns, keys and
    checks, partitioned by tenant_id over `servers`.

    A partitioned table's unique keys must contain the partitioning column, so
    tenant_id is appended to those that lack it (the shards keep the original
    keys, which are stricter).
    """
    lines = shard_table_ddl(create_table).splitlines()
    for index, line in enumerate(lines):
        key = re.match(r"(\s*(?:PRIMARY KEY|UNIQUE KEY `[^`]+`) \()(.*)(\),?)$", line)
        if key and f"`{SHARD_KEY}`" not in key.group(2).split(","):
            lines[index] = f"{key.group(1)}{key.group(2)},`{SHARD_KEY}`{key.group(3)}"
    ddl = "\n".join(lines)
    ddl, engines = re.subn(r"ENGINE=\w+", f"ENGINE={ENGINE}", ddl)
    if engines != 1:
        raise ValueError(f"no ENGINE in the definition of {table}")
    partitions = ",\n ".join(
        f"PARTITION `p{index}` COMMENT = 'srv \"{server}\"'" for index, server in enumerate(servers)
    )
    return (
        f'{ddl} COMMENT=\'wrapper "mysql", table "{table}", {HEAD_COUNTER}\'\n'
        f"PARTITION BY HASH (`{SHARD_KEY}`)\n({partitions})"
    )


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def create_server_sql(name: str, shard: Shard, database: str) -> str:
    return (
        f"CREATE OR REPLACE SERVER `{name}` FOREIGN DATA WRAPPER mysql OPTIONS ("
        f"HOST {_literal(shard.host)}, PORT {shard.port}, USER {_literal(shard.user)}, "
        f"PASSWORD {_literal(shard.password)}, DATABASE {_literal(database)})"
    )


# --- The head ---------------------------------------------------------------------------------


def table_engine(head: BaseDatabaseWrapper, table: str) -> str | None:
    with head.cursor() as cursor:
        cursor.execute(
            "SELECT ENGINE FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
            [table],
        )
        row = cursor.fetchone()
    return row[0].upper() if row else None


def build(head: BaseDatabaseWrapper, shards: list[Shard]) -> list[str]:
    """Shard every tenant-keyed table the head still holds itself (fresh from the
    migrations, so empty); return the tables converted."""
    database = head.settings_dict["NAME"]
    servers = [server_name(database, index) for index in range(len(shards))]
    converted = []
    for table in sorted(tenant_keyed_tables()):
        engine = table_engine(head, table)
        if engine in (None, ENGINE):
            continue
        with head.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM `{table}` LIMIT 1")
            if cursor.fetchone():
                raise RuntimeError(f"{database}.{table} holds rows: refusing to shard it")
            cursor.execute(f"SHOW CREATE TABLE `{table}`")
            create_table = cursor.fetchone()[1]
        for shard, server in zip(shards, servers, strict=True):
            with shard.connect() as connection:
                cursor = connection.cursor()
                cursor.execute(
                    f"CREATE DATABASE IF NOT EXISTS `{database}` "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
                cursor.execute(f"USE `{database}`")
                cursor.execute(f"DROP TABLE IF EXISTS `{table}`")
                cursor.execute(shard_table_ddl(create_table))
            with head.cursor() as cursor:
                cursor.execute(create_server_sql(server, shard, database))
        with head.cursor() as cursor:
            cursor.execute(f"DROP TABLE `{table}`")
            cursor.execute(head_table_ddl(create_table, table=table, servers=servers))
        converted.append(table)
    return converted


def drop(database: str, shards: list[Shard], head: BaseDatabaseWrapper) -> None:
    """Drop the shards' copies of `database` and the head's links to them."""
    for index, shard in enumerate(shards):
        with shard.connect() as connection:
            connection.cursor().execute(f"DROP DATABASE IF EXISTS `{database}`")
        with head.cursor() as cursor:
            cursor.execute(f"DROP SERVER IF EXISTS `{server_name(database, index)}`")


# --- Where rows live --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Partition:
    name: str
    server: str
    shard: Shard
    database: str


def storage(connection: BaseDatabaseWrapper, table: str) -> list[Partition]:
    """Where a table's rows are stored: each partition's shard on a Spider head, or
    the server itself (one unnamed partition) otherwise."""
    if table_engine(connection, table) == ENGINE:
        return partitions(connection, table)
    config = connection.settings_dict
    server = Shard(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 3306),
        user=config["USER"],
        password=config["PASSWORD"] or "",
    )
    return [Partition(name="", server="", shard=server, database=config["NAME"])]


def partitions(head: BaseDatabaseWrapper, table: str) -> list[Partition]:
    """The head's own account of a Spider table: each partition, its server and shard."""
    with head.cursor() as cursor:
        cursor.execute(
            "SELECT p.PARTITION_NAME, s.Server_name, s.Host, s.Port, s.Username, s.Password, s.Db "
            "FROM information_schema.PARTITIONS p JOIN mysql.servers s "
            "ON p.PARTITION_COMMENT = CONCAT('srv \"', s.Server_name, '\"') "
            "WHERE p.TABLE_SCHEMA = DATABASE() AND p.TABLE_NAME = %s "
            "ORDER BY p.PARTITION_ORDINAL_POSITION",
            [table],
        )
        return [
            Partition(
                name=name,
                server=server,
                shard=Shard(host=host, port=int(port), user=user, password=password),
                database=database,
            )
            for name, server, host, port, user, password, database in cursor.fetchall()
        ]


def partition_of(head: BaseDatabaseWrapper, table: str, tenant_id: int) -> Partition:
    """The partition, hence the shard, that holds a tenant's rows of a Spider table:
    PARTITION BY HASH puts tenant_id in partition tenant_id MOD partitions."""
    found = partitions(head, table)
    return found[tenant_id % len(found)]


# --- Bulk loads -------------------------------------------------------------------------------


def _next_id(cursor: Any, table: str) -> int:
    cursor.execute(
        "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
        [table],
    )
    row = cursor.fetchone()
    return int(row[0] or 1) if row else 1


@contextmanager
def loading_connection(
    connection: BaseDatabaseWrapper, *, tenant_id: int, table: str, **options: Any
) -> Iterator[MySQLdb.Connection]:
    """A dedicated connection that bulk-loads one tenant's rows of `table` (and of the
    other tenant-keyed tables, partitioned alike): to the server itself, or, on a
    Spider head, straight to the tenant's shard, since a head forwards LOAD DATA
    one row at a time.

    On a shard the id counter first moves past every id in use on any shard and on
    the head, and the head re-reads its counter afterwards, so ids stay unique
    across shards. Loading is maintenance: nothing else should insert meanwhile.
    """
    if table_engine(connection, table) != ENGINE:
        params = connection.get_connection_params()
        params.pop("init_command", None)
        # Bulk loads and the totals' INSERT ... SELECT outlast the request timeouts.
        params.pop("read_timeout", None)
        params.pop("write_timeout", None)
        loader = MySQLdb.connect(**{**params, **options})
        try:
            yield loader
        finally:
            loader.close()
        return
    target = partition_of(connection, table, tenant_id)
    with connection.cursor() as cursor:
        next_ids = [_next_id(cursor, table)]
    for partition in partitions(connection, table):
        with partition.shard.connect(partition.database) as shard:
            next_ids.append(_next_id(shard.cursor(), table))
    with target.shard.connect(target.database, autocommit=False, **options) as loader:
        loader.cursor().execute(f"ALTER TABLE `{table}` AUTO_INCREMENT = {max(next_ids)}")
        try:
            yield loader
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"FLUSH TABLES `{table}`")
