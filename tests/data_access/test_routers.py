import pytest
from django.db import connections

from conftest import BOTH_DATABASES
from data_access.models import Client, ClientTotals, Contract
from data_access.routers import ContractsRouter
from tenancy.models import Country, Tenant

router = ContractsRouter()


@pytest.mark.parametrize(
    ("model", "expected"),
    [(Contract, "mysql"), (ClientTotals, "mysql"), (Client, None), (Tenant, None), (Country, None)],
)
def test_reads_and_writes_go_to_the_models_database(model, expected):
    assert router.db_for_read(model) == expected
    assert router.db_for_write(model) == expected


@pytest.mark.parametrize(
    ("db", "app_label", "model_name", "expected"),
    [
        ("mysql", "data_access", "contract", True),
        ("mysql", "data_access", "clienttotals", True),
        ("mysql", "data_access", "historicalcontract", True),
        ("mysql", "data_access", "client", False),
        ("mysql", "data_access", "historicalclient", False),
        ("mysql", "data_access", None, False),
        ("mysql", "auth", "user", False),
        ("mysql", "tenancy", "tenant", False),
        ("default", "data_access", "contract", False),
        ("default", "data_access", "clienttotals", False),
        ("default", "data_access", "client", None),
        ("default", "data_access", "historicalcontract", False),
        ("default", "data_access", "historicalclient", None),
        ("default", "tenancy", "country", None),
        # The cache table (createcachetable), in PostgreSQL only.
        ("default", "django_cache", "cacheentry", True),
        ("mysql", "django_cache", "cacheentry", False),
    ],
)
def test_migrations_are_allowed_per_alias(db, app_label, model_name, expected):
    assert router.allow_migrate(db, app_label, model_name) is expected


def test_relations_across_databases_are_refused():
    contract = Contract(tenant_id=1, client_id=1)
    assert router.allow_relation(contract, Client(name="x")) is False
    assert router.allow_relation(Client(name="a"), Client(name="b")) is None
    assert router.allow_relation(contract, Contract(tenant_id=1, client_id=2)) is None


def _postgres_tables(table: str) -> set[str]:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = %s", [table]
        )
        return {row[0] for row in cursor.fetchall()}


def _mysql_tables() -> set[str]:
    with connections["mysql"].cursor() as cursor:
        cursor.execute("SHOW TABLES")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(databases=BOTH_DATABASES)
def test_contracts_exist_only_in_mysql_and_clients_only_in_tenant_schemas():
    mysql_tables = _mysql_tables()
    assert {Contract._meta.db_table, ClientTotals._meta.db_table} <= mysql_tables
    assert Client._meta.db_table not in mysql_tables
    assert not any(t.startswith(("auth_", "tenancy_", "django_session")) for t in mysql_tables)

    assert _postgres_tables(Client._meta.db_table) == {"acme", "globex"}
    assert _postgres_tables(Contract._meta.db_table) == set()
    assert _postgres_tables(ClientTotals._meta.db_table) == set()
    assert _postgres_tables(Country._meta.db_table) == {"public"}
    assert _postgres_tables(Tenant._meta.db_table) == {"public"}


@pytest.mark.django_db(databases=BOTH_DATABASES)
def test_each_history_lives_beside_its_model():
    contract_history, client_history = Contract.history.model, Client.history.model
    mysql_tables = _mysql_tables()
    assert contract_history._meta.db_table in mysql_tables
    assert client_history._meta.db_table not in mysql_tables
    assert _postgres_tables(client_history._meta.db_table) == {"acme", "globex"}
    assert _postgres_tables(contract_history._meta.db_table) == set()


@pytest.mark.django_db(databases=BOTH_DATABASES)
def test_mysql_contract_table_has_the_per_client_aggregate_index():
    with connections["mysql"].cursor() as cursor:
        cursor.execute(
            f"SHOW INDEX FROM {Contract._meta.db_table} WHERE Key_name = 'contract_client_totals'"
        )
        columns = [row[4] for row in sorted(cursor.fetchall(), key=lambda row: row[3])]
    assert columns == ["tenant_id", "client_id", "is_active", "amount"]
