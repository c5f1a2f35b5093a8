"""The audit trail as read back: old and new values, users, order, tenants, outages."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES
from data_access import services
from data_access.audit import Kind
from data_access.history import acting_as
from data_access.models import Client
from data_access.selectors.audit import (
    FieldChange,
    client_history,
    client_trail,
    contract_history,
)
from tests.helpers import contracts_down

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)
SIGNED = datetime.date(2026, 3, 1)


@pytest.fixture
def ana(in_acme) -> Client:
    return Client.objects.create(name="Ana", email="ana@example.com", country="CL")


def test_a_contracts_changes_name_old_and_new_values_and_the_user(in_acme, ana):
    staff = User.objects.get(username="staff")
    contract = services.create_contract(
        client_id=ana.pk, title="Plan", amount=Decimal("10.00"), signed_on=SIGNED
    )
    with acting_as(staff):
        services.update_contract(contract_id=contract.pk, amount=Decimal("12.50"), title="Plan+")
        services.update_contract(contract_id=contract.pk, amount=Decimal("12.50"))  # no change
    services.delete_contract(contract_id=contract.pk)

    deleted, unchanged, changed, created = contract_history(contract_id=contract.pk)
    assert [e.kind for e in (deleted, unchanged, changed, created)] == [
        Kind.DELETED, Kind.CHANGED, Kind.CHANGED, Kind.CREATED,
    ]  # fmt: skip
    assert changed.changes == (
        FieldChange(field="title", old="Plan", new="Plan+"),
        FieldChange(field="amount", old=Decimal("10.00"), new=Decimal("12.50")),
    )
    assert (changed.user_id, changed.user) == (staff.pk, "staff")
    assert unchanged.changes == () and deleted.changes == ()
    assert (created.user, deleted.user) == (None, None)
    assert {change.field: change.new for change in created.changes} == {
        "client": ana.pk, "title": "Plan", "amount": Decimal("10.00"),
        "signed on": SIGNED, "active": True,
    }  # fmt: skip
    assert all(change.old is None for change in created.changes)


def test_a_limited_window_still_diffs_its_oldest_entry(in_acme, ana):
    contract = services.create_contract(
        client_id=ana.pk, title="Plan", amount=Decimal("1.00"), signed_on=SIGNED
    )
    for cents in range(2, 6):
        services.update_contract(contract_id=contract.pk, amount=Decimal(cents))
    entries = contract_history(contract_id=contract.pk, limit=2)
    assert [entry.changes[0].old for entry in entries] == [Decimal(4), Decimal(3)]


def test_the_client_trail_merges_the_client_and_its_contracts_newest_first(in_acme, ana):
    other = Client.objects.create(name="Bruno", email="bruno@example.com", country="CL")
    first = services.create_contract(
        client_id=ana.pk, title="One", amount=Decimal("5.00"), signed_on=SIGNED
    )
    services.create_contract(client_id=other.pk, title="Not Ana's", amount=1, signed_on=SIGNED)
    ana.country = "BR"
    ana.save()
    services.update_contract(contract_id=first.pk, is_active=False)

    trail = client_trail(client_id=ana.pk)
    assert trail.contracts_available
    assert [(e.model, e.kind, e.label) for e in trail.entries] == [
        ("contract", Kind.CHANGED, "One"),
        ("client", Kind.CHANGED, "Ana"),
        ("contract", Kind.CREATED, "One"),
        ("client", Kind.CREATED, "Ana"),
    ]
    assert trail.entries[1].changes == (FieldChange(field="country", old="CL", new="BR"),)
    assert trail.entries[0].changes == (FieldChange(field="active", old=True, new=False),)
    assert len(client_trail(client_id=ana.pk, limit=3).entries) == 3


def test_another_tenant_never_sees_the_history(acme, globex):
    # The same client id exists in both schemas; contracts' history differs by tenant only.
    with tenant_context(acme):
        ana = Client.objects.create(name="Ana", email="ana@example.com", country="CL")
        contract = services.create_contract(
            client_id=ana.pk, title="Acme deal", amount=1, signed_on=SIGNED
        )
    with tenant_context(globex):
        gus = Client.objects.create(pk=ana.pk, name="Gus", email="gus@example.com", country="BR")
    trail = client_trail(client_id=gus.pk, tenant=globex)
    assert [(e.model, e.label) for e in trail.entries] == [("client", "Gus")]
    assert contract_history(contract_id=contract.pk, tenant=globex) == []
    assert [e.label for e in client_history(client_id=ana.pk, tenant=acme)] == ["Ana"]


def test_with_mysql_down_the_trail_keeps_the_clients_own_changes(in_acme, ana):
    services.create_contract(client_id=ana.pk, title="One", amount=1, signed_on=SIGNED)
    with contracts_down():
        trail = client_trail(client_id=ana.pk)
    assert not trail.contracts_available
    assert [e.model for e in trail.entries] == ["client"]
