import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES
from data_access import services
from data_access.models import Client, ClientTotals, Contract
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


def test_the_services_refuse_every_bad_row_before_writing(in_acme, two_clients):
    ana_pk = two_clients[0].pk
    rows = [
        {"client_id": ana_pk, "title": "ok", "amount": Decimal(1), "signed_on": datetime.date.today()},
        {"client_id": ana_pk, "title": "", "amount": Decimal(-1), "signed_on": datetime.date.today()},
    ]  # fmt: skip
    with pytest.raises(services.RowsRejected) as rejected:
        services.create_contracts(rows=rows)
    assert set(rejected.value.row_errors) == {1}
    assert {"title", "amount"} <= set(rejected.value.row_errors[1])
    assert not Contract.objects.exists()
