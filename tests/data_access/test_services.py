import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES
from data_access import services
from data_access.boundary import ContractsUnavailable
from data_access.models import Client, ClientTotals, Contract
from tests.helpers import contracts_down, make_book
from tests.oracle import kept_totals, totals_from_contracts

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)
SIGNED = datetime.date(2026, 3, 1)


def totals_are_exact(tenant) -> bool:
    return kept_totals(tenant) == totals_from_contracts(tenant)


@pytest.fixture
def two_clients(in_acme):
    return [
        Client.objects.create(name=name, email=f"{name}@example.com", country="CL")
        for name in ("ana", "bruno")
    ]


def test_create_update_delete_keep_totals_exact(in_acme, two_clients):
    ana, bruno = two_clients
    first = services.create_contract(
        client_id=ana.pk, title="A", amount=Decimal("10.10"), signed_on=SIGNED
    )
    second = services.create_contract(
        client_id=ana.pk, title="B", amount=Decimal("5.05"), signed_on=SIGNED
    )
    assert ClientTotals.objects.get(
        tenant_id=in_acme.pk, client_id=ana.pk
    ).active_amount == Decimal("15.15")

    services.update_contract(contract_id=first.pk, is_active=False)
    assert totals_are_exact(in_acme)
    services.update_contract(contract_id=second.pk, client_id=bruno.pk, amount=Decimal("7.00"))
    assert totals_are_exact(in_acme)
    assert not ClientTotals.objects.filter(tenant_id=in_acme.pk, client_id=ana.pk).exists()
    services.update_contract(contract_id=first.pk, is_active=True)
    services.delete_contract(contract_id=second.pk)
    assert totals_are_exact(in_acme)
    assert list(
        ClientTotals.objects.filter(tenant_id=in_acme.pk).values_list("client_id", "active_amount")
    ) == [(ana.pk, Decimal("10.10"))]


def test_a_contract_needs_a_client_of_the_current_tenant(in_acme, globex):
    with tenant_context(globex):
        globex_only = Client.objects.create(name="g", email="g@example.com", country="BR")
    with tenant_context(in_acme):
        assert not Client.objects.filter(pk=globex_only.pk).exists()
        with pytest.raises(ValidationError, match="does not exist in this tenant"):
            services.create_contract(
                client_id=globex_only.pk, title="x", amount=Decimal(1), signed_on=SIGNED
            )
    assert not Contract.unscoped.exists()


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1"), Decimal("123456789012345")])
def test_bad_amounts_are_validation_errors(in_acme, two_clients, amount):
    with pytest.raises(ValidationError):
        services.create_contract(
            client_id=two_clients[0].pk, title="x", amount=amount, signed_on=SIGNED
        )


def test_another_tenants_contract_cannot_be_changed(in_acme, globex, two_clients):
    contract = services.create_contract(
        client_id=two_clients[0].pk, title="x", amount=Decimal(1), signed_on=SIGNED
    )
    with pytest.raises(Contract.DoesNotExist):
        services.update_contract(contract_id=contract.pk, tenant=globex, title="stolen")
    with pytest.raises(Contract.DoesNotExist):
        services.delete_contract(contract_id=contract.pk, tenant=globex)
    with tenant_context(globex):
        assert not Contract.objects.filter(pk=contract.pk).exists()


def test_a_client_with_contracts_cannot_be_deleted(in_acme, two_clients):
    ana = two_clients[0]
    contract = services.create_contract(
        client_id=ana.pk, title="x", amount=Decimal(1), signed_on=SIGNED
    )
    services.update_contract(contract_id=contract.pk, is_active=False)  # inactive ones count too
    with pytest.raises(services.ClientHasContracts, match="has 1 contract"):
        services.delete_client(client_id=ana.pk)
    assert Client.objects.filter(pk=ana.pk).exists()

    services.delete_contract(contract_id=contract.pk)
    services.delete_client(client_id=ana.pk)
    assert not Client.objects.filter(pk=ana.pk).exists()


# --- Bulk activate / deactivate ---------------------------------------------------------


def test_bulk_changes_go_row_by_row_in_batches_and_keep_totals_exact(acme, globex):
    book = make_book(acme, seed=12, clients=6, contracts=40)
    other = make_book(globex, seed=13, clients=2, contracts=5)
    with tenant_context(acme):
        active = list(Contract.objects.filter(is_active=True).values_list("pk", flat=True))
    with tenant_context(globex):
        foreign = list(Contract.objects.values_list("pk", flat=True))  # skipped
    changed = services.set_contracts_active(
        contract_ids=active + foreign, is_active=False, tenant=acme, batch=3
    )
    assert changed == len(active)
    assert kept_totals(acme) == totals_from_contracts(acme) == {}
    assert kept_totals(globex) == totals_from_contracts(globex) != {}
    # Again: nothing left to change.
    assert services.set_contracts_active(contract_ids=active, is_active=False, tenant=acme) == 0
    assert services.set_contracts_active(contract_ids=active[:5], is_active=True, tenant=acme) == 5
    assert kept_totals(acme) == totals_from_contracts(acme)
    assert len(book.contracts) == 40 and len(other.contracts) == 5


def test_a_bulk_change_with_mysql_down_raises_and_changes_nothing(acme):
    make_book(acme, seed=14, clients=2, contracts=4)
    with tenant_context(acme):
        ids = list(Contract.objects.values_list("pk", flat=True))
    with contracts_down(), pytest.raises(ContractsUnavailable):
        services.set_contracts_active(contract_ids=ids, is_active=False, tenant=acme)
    assert kept_totals(acme) == totals_from_contracts(acme)
