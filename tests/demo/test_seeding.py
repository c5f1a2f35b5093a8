import datetime
import io
from contextlib import nullcontext

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.db.models import Q
from django_tenants.utils import schema_context, tenant_context

from data_access.models import Client, Contract
from tests.oracle import kept_totals, totals_from_contracts

UNTIL = datetime.date(2026, 6, 30)


def _snapshot(tenant):
    with tenant_context(tenant):
        clients = list(Client.objects.order_by("id").values_list())
        contracts = list(
            Contract.objects.order_by("id").values_list(
                "client_id", "title", "amount", "signed_on", "is_active"
            )
        )
    return clients, contracts


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--tenant=acme", f"--until={UNTIL}", *args, stdout=out, verbosity=0)
    return out.getvalue()


@pytest.mark.django_db(transaction=True, databases=["default", "mysql"])
@pytest.mark.usefixtures("provisioned_transactional_db")
def test_seed_demo_is_deterministic_and_realistic(acme):
    acme = type(acme).objects.get(schema_name="acme")
    assert "300 clients, 3000 contracts" in _seed("--clients=300", "--contracts=3000", "--seed=7")
    first = _snapshot(acme)
    with pytest.raises(CommandError, match="already has data"):
        _seed("--clients=300", "--contracts=3000", "--seed=7")
    _seed("--clients=300", "--contracts=3000", "--seed=7", "--replace")
    assert _snapshot(acme) == first
    _seed("--clients=300", "--contracts=3000", "--seed=8", "--replace")
    assert _snapshot(acme) != first

    clients, contracts = _snapshot(acme)
    assert len(clients) == 300 and len(contracts) == 3000
    with_contracts = {row[0] for row in contracts}
    assert 0 < 300 - len(with_contracts) < 60  # some clients have none
    inactive = sum(1 for row in contracts if not row[4])
    assert 0.05 < inactive / 3000 < 0.3
    years = {row[3].year for row in contracts}
    assert len(years) >= 5 and max(row[3] for row in contracts) <= UNTIL
    assert len({row[2] for row in contracts}) > 2500  # amounts vary

    # The derived totals match the contracts exactly.
    assert kept_totals(acme) == totals_from_contracts(acme)
    assert not Contract.unscoped.filter(~Q(tenant_id=acme.pk)).exists()


def _indexes(alias: str, table: str, schema: str | None = None) -> dict:
    """{index name: (columns, unique)} of a table, as the database describes it."""
    connection = connections[alias]
    with (
        schema_context(schema) if schema else nullcontext(),
        connection.cursor() as cursor,
    ):
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: (tuple(info["columns"]), bool(info["unique"]))
        for name, info in constraints.items()
        if info["index"] or info["primary_key"]
    }


@pytest.mark.django_db(transaction=True, databases=["default", "mysql"])
@pytest.mark.usefixtures("provisioned_transactional_db")
def test_a_seed_leaves_every_index_and_passes_check_integrity(acme):
    """Seeding drops the secondary indexes while it loads and builds them again."""
    clients, contracts = Client._meta.db_table, Contract._meta.db_table
    migrated = (_indexes("default", clients, "acme"), _indexes("mysql", contracts))
    defined = {index.name for index in Client._meta.indexes} | {
        "client_name_trgm",  # migration 0002
        "client_email_trgm",
    }
    assert defined <= migrated[0].keys()
    assert {index.name for index in Contract._meta.indexes} <= migrated[1].keys()

    _seed("--clients=200", "--contracts=2000", "--seed=3")
    assert (_indexes("default", clients, "acme"), _indexes("mysql", contracts)) == migrated
    out = io.StringIO()
    call_command("check_integrity", "--tenant=acme", stdout=out)
    assert out.getvalue().strip() == "acme: ok"
