"""The contracts' audit trail is written by the services, in their MySQL transaction."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES
from data_access import services
from data_access.audit import Kind, record_contracts
from data_access.history import acting_as
from data_access.models import Client, Contract

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)
SIGNED = datetime.date(2026, 3, 1)


def history_of(tenant, contract_id: int) -> list[tuple[str, Decimal, bool, int | None]]:
    rows = Contract.history.filter(tenant_id=tenant.pk, id=contract_id).order_by(
        "history_date", "history_id"
    )
    return [(r.history_type, r.amount, r.is_active, r.history_user_id) for r in rows]


@pytest.fixture
def ana(in_acme) -> Client:
    return Client.objects.create(name="Ana", email="ana@example.com", country="CL")


def test_every_service_write_leaves_a_snapshot_with_its_user(in_acme, ana):
    staff = User.objects.get(username="staff")
    with acting_as(staff):
        contract = services.create_contract(
            client_id=ana.pk, title="A", amount=Decimal("10.00"), signed_on=SIGNED
        )
        services.update_contract(contract_id=contract.pk, amount=Decimal("12.50"))
        services.update_contract(contract_id=contract.pk, is_active=False)
    services.delete_contract(contract_id=contract.pk)
    assert history_of(in_acme, contract.pk) == [
        ("+", Decimal("10.00"), True, staff.pk),
        ("~", Decimal("12.50"), True, staff.pk),
        ("~", Decimal("12.50"), False, staff.pk),
        ("-", Decimal("12.50"), False, None),  # no user signed in
    ]
    assert {row.tenant_id for row in Contract.history.all()} == {in_acme.pk}


def test_a_refused_change_leaves_no_history(in_acme, ana):
    contract = services.create_contract(
        client_id=ana.pk, title="A", amount=Decimal("10.00"), signed_on=SIGNED
    )
    with pytest.raises(ValidationError):
        services.update_contract(contract_id=contract.pk, amount=Decimal("-1"))
    with pytest.raises(ValidationError):
        services.update_contract(contract_id=contract.pk, client_id=ana.pk + 1000)
    assert [row[0] for row in history_of(in_acme, contract.pk)] == ["+"]


def test_a_record_names_one_tenant(in_acme, globex, ana):
    contract = services.create_contract(
        client_id=ana.pk, title="A", amount=Decimal("1.00"), signed_on=SIGNED
    )
    other = Contract(tenant_id=globex.pk, client_id=ana.pk, title="B", amount=1, signed_on=SIGNED)
    with pytest.raises(ValueError, match="one tenant"):
        record_contracts([contract, other], kind=Kind.CHANGED)


def test_client_saves_and_deletes_are_kept_in_the_tenants_schema(acme, globex):
    with tenant_context(acme):
        client = Client.objects.create(name="Ana", email="ana@example.com", country="CL")
        client.country = "BR"
        client.save()
        client_id = client.pk
        client.delete()
        kinds = list(
            Client.history.filter(id=client_id)
            .order_by("history_date", "history_id")
            .values_list("history_type", "country")
        )
    assert kinds == [("+", "CL"), ("~", "BR"), ("-", "BR")]
    with tenant_context(globex):
        assert not Client.history.exists()
