import tempfile

import pytest
from django.db import connections

from data_access import bulk_load
from data_access.models import Contract
from data_access.sharding import spider
from tests.helpers import make_book
from tests.oracle import rollups_from_base, stored_rollups


def _index_names(tenant) -> set[str]:
    """The contracts table's index names where the tenant's rows are stored: the
    server itself, or on a Spider head the tenant's shard (the loader's target)."""
    head, table = connections["mysql"], Contract._meta.db_table
    if spider.table_engine(head, table) == spider.ENGINE:
        where = spider.partition_of(head, table, tenant.pk)
    else:
        where = spider.storage(head, table)[0]
    with where.shard.connect(where.database) as server:
        cursor = server.cursor()
        cursor.execute(
            "SELECT DISTINCT index_name FROM information_schema.statistics "
            "WHERE table_schema = DATABASE() AND table_name = %s",
            [table],
        )
        return {name for (name,) in cursor.fetchall()}


def _contract_file(client_id: int, rows: int) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as out:
        for number in range(rows):
            out.write(f"{client_id}\tLoaded #{number}\t{number + 1}.50\t2026-01-15\t1\n")
    return out.name


@pytest.mark.django_db(transaction=True, databases=["default", "mysql"])
@pytest.mark.usefixtures("provisioned_transactional_db")
@pytest.mark.parametrize(("announced", "deferred"), [(1_000_000_000, True), (0, False)])
def test_a_large_load_builds_the_contract_indexes_after_the_rows(acme, announced, deferred):
    """Announced as at least the table's rows, the load runs without the contracts'
    secondary indexes, built again after it; a smaller one keeps them."""
    client_id = min(make_book(acme, seed=5, clients=3, contracts=4).clients)
    indexes = _index_names(acme)
    assert {index.name for index in Contract._meta.indexes} <= indexes
    timings: dict = {}
    with bulk_load.contract_loader(tenant=acme, rows=announced, timings=timings) as load:
        load(_contract_file(client_id, 50))
        during = _index_names(acme)
    assert (not (during & {i.name for i in Contract._meta.indexes})) is deferred
    assert _index_names(acme) == indexes
    assert {"contracts load", "contracts indexes", "rollups"} <= timings.keys()
    assert stored_rollups(acme) == rollups_from_base(acme)
