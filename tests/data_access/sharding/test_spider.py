"""Where contracts live. On one server this is trivially one place; on the sharded
topology (`make test-sharded`) the same tests connect to the shards themselves."""

import datetime
import re
import tempfile
from decimal import Decimal

import pytest
from django.db import DatabaseError, connections
from django_tenants.utils import tenant_context

from data_access import bulk_load, services
from data_access.boundary import ContractsUnavailable
from data_access.models import Client, ClientTotals, Contract
from data_access.sharding import spider
from data_access.sharding.statements import SHARD_KEY, tenant_keyed_tables
from tenancy.models import Tenant
from tests.helpers import make_book
from tests.oracle import kept_totals, totals_from_contracts

transactional = pytest.mark.django_db(transaction=True, databases=["default", "mysql"])
SIGNED = datetime.date(2026, 3, 1)


def _rows_per_partition(table: str, tenant: Tenant) -> list[int]:
    """The tenant's rows counted on each partition's own server, not through the head."""
    counts = []
    for partition in spider.storage(connections["mysql"], table):
        with partition.shard.connect(partition.database) as connection:
            cursor = connection.cursor()
            cursor.execute(f"SELECT COUNT(*) FROM `{table}` WHERE `{SHARD_KEY}` = %s", [tenant.pk])
            counts.append(cursor.fetchone()[0])
    return counts


@transactional
@pytest.mark.usefixtures("provisioned_transactional_db")
def test_a_tenants_rows_are_stored_on_exactly_one_shard_the_one_its_id_hashes_to():
    tenants = list(Tenant.objects.filter(schema_name__in=["acme", "globex"]).order_by("pk"))
    books = [make_book(tenant, seed=n, clients=8, contracts=30) for n, tenant in enumerate(tenants)]
    holders = set()
    for book in books:
        for table, expected in (
            (Contract._meta.db_table, len(book.contracts)),
            (ClientTotals._meta.db_table, len(book.active_totals())),
        ):
            counts = _rows_per_partition(table, book.tenant)
            assert sorted(counts, reverse=True)[:2] in ([expected], [expected, 0])
            # PARTITION BY HASH (tenant_id): partition number tenant_id MOD partitions.
            assert counts.index(expected) == book.tenant.pk % len(counts)
            holders.add((table, counts.index(expected)))
    partitions = len(spider.storage(connections["mysql"], Contract._meta.db_table))
    # Two tenants with consecutive ids: on two shards, one each.
    assert {index for _, index in holders} == set(range(min(partitions, 2)))


@transactional
@pytest.mark.usefixtures("provisioned_transactional_db")
def test_a_contract_and_its_totals_commit_together_on_the_shard_or_not_at_all(monkeypatch):
    acme = Tenant.objects.get(schema_name="acme")
    with tenant_context(acme):
        client = Client.objects.create(name="Ana", email="ana@example.com", country="CL")
    services.create_contract(
        client_id=client.pk, title="kept", amount=Decimal("5.00"), signed_on=SIGNED, tenant=acme
    )

    def fail(*args, **kwargs):
        raise DatabaseError("the totals write failed")

    monkeypatch.setattr(services, "_apply", fail)
    with pytest.raises(ContractsUnavailable, match="totals write failed"):
        services.create_contract(
            client_id=client.pk, title="lost", amount=Decimal("7.00"), signed_on=SIGNED, tenant=acme
        )
    assert sum(_rows_per_partition(Contract._meta.db_table, acme)) == 1
    assert sum(_rows_per_partition(ClientTotals._meta.db_table, acme)) == 1
    with tenant_context(acme):
        assert list(Contract.objects.values_list("title", flat=True)) == ["kept"]


@transactional
@pytest.mark.usefixtures("provisioned_transactional_db")
def test_a_bulk_load_goes_to_the_tenants_shard_and_keeps_ids_unique_across_shards():
    acme, globex = Tenant.objects.filter(schema_name__in=["acme", "globex"]).order_by("pk")
    # The loader fills a tenant without contracts (seeding empties it first).
    books = {acme: make_book(acme, seed=1, clients=3, contracts=0)}
    books[globex] = make_book(globex, seed=2, clients=3, contracts=4)
    clients = sorted(books[acme].clients)
    with bulk_load.contract_loader(tenant=acme) as load:
        with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as out:
            for n in range(50):
                out.write(f"{clients[n % 3]}\tLoaded {n}\t{n + 1}.00\t2026-01-{n % 28 + 1:02}\t1\n")
        load(out.name)
    assert _rows_per_partition(Contract._meta.db_table, acme) in ([50], [50, 0], [0, 50])
    # The head numbers the next rows past the loaded ones, on either shard.
    for tenant in (acme, globex):
        with tenant_context(tenant):
            services.create_contract(
                client_id=next(iter(books[tenant].clients)),
                title="after the load",
                amount=Decimal("1.00"),
                signed_on=SIGNED,
                tenant=tenant,
            )
    ids = []
    for tenant in (acme, globex):
        with tenant_context(tenant):
            ids += list(Contract.objects.values_list("id", flat=True))
    assert len(ids) == len(set(ids)) == 50 + 1 + 4 + 1
    with tenant_context(acme):
        assert Contract.objects.count() == 51
    assert kept_totals(acme) == totals_from_contracts(acme)


def _columns(create_table: str) -> list[str]:
    return re.findall(r"^\s+`(\w+)` ", create_table, flags=re.MULTILINE)


@pytest.mark.django_db(databases=["default", "mysql"])
@pytest.mark.parametrize("table", sorted(tenant_keyed_tables()))
def test_every_server_holds_the_table_the_migrations_made(table):
    model = next(m for m in Contract._meta.apps.get_models() if m._meta.db_table == table)
    migrated = [f.column for f in model._meta.concrete_fields]
    assert SHARD_KEY in migrated  # every table of the contracts database is keyed by tenant
    head = connections["mysql"]
    partitions = spider.storage(head, table)
    for partition in partitions:
        with partition.shard.connect(partition.database) as connection:
            cursor = connection.cursor()
            cursor.execute(f"SHOW CREATE TABLE `{table}`")
            create_table = cursor.fetchone()[1]
        assert "ENGINE=InnoDB" in create_table
        assert _columns(create_table) == migrated
    engine = spider.table_engine(head, table)
    assert engine == ("SPIDER" if len(partitions) > 1 or partitions[0].server else "INNODB")


def test_the_head_table_is_the_migrated_table_partitioned_by_tenant():
    migrated = (
        "CREATE TABLE `data_access_contract` (\n"
        "  `id` bigint(20) NOT NULL AUTO_INCREMENT,\n"
        "  `tenant_id` int(10) unsigned NOT NULL CHECK (`tenant_id` >= 0),\n"
        "  `title` varchar(200) NOT NULL,\n"
        "  PRIMARY KEY (`id`),\n"
        "  UNIQUE KEY `one_title` (`tenant_id`,`title`),\n"
        "  KEY `contract_signed_sort` (`tenant_id`,`id`)\n"
        ") ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
    )
    head = spider.head_table_ddl(migrated, table="data_access_contract", servers=["s0", "s1"])
    assert "PRIMARY KEY (`id`,`tenant_id`)," in head
    assert "UNIQUE KEY `one_title` (`tenant_id`,`title`)," in head
    assert "KEY `contract_signed_sort` (`tenant_id`,`id`)\n" in head
    assert "AUTO_INCREMENT=42" not in head and "ENGINE=InnoDB" not in head
    assert head.endswith(
        "ENGINE=SPIDER DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci "
        'COMMENT=\'wrapper "mysql", table "data_access_contract", auto_increment_mode "1"\'\n'
        "PARTITION BY HASH (`tenant_id`)\n"
        "(PARTITION `p0` COMMENT = 'srv \"s0\"',\n PARTITION `p1` COMMENT = 'srv \"s1\"')"
    )
    assert spider.shard_table_ddl(migrated) == migrated.replace(" AUTO_INCREMENT=42", "")
