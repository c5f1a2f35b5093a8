import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q
from django_tenants.utils import tenant_context

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
