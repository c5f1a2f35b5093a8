"""Writes of clients and contracts, with the foreign key the databases cannot hold.

Rules:
- a contract's client must exist in the contract's tenant;
- a client with contracts cannot be deleted (ClientHasContracts);
- ClientTotals changes in the same MySQL transaction as the contract.

MySQL failures surface as ContractsUnavailable (data_access.boundary), with
nothing written.

The client row is locked in PostgreSQL while MySQL is written, so a contract
cannot be added to a client that is being deleted.
"""

import datetime
import itertools
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from data_access.boundary import contracts_database
from data_access.models import Client, ClientTotals, Contract
from data_access.selectors.panels import forget_orphan_contracts
from data_access.tenants import resolve_tenant
from tenancy.models import Tenant

MYSQL = settings.CONTRACTS_DATABASE


class ClientHasContracts(ValidationError):
    pass


def _lock_client(client_id: int) -> None:
    if not Client.objects.select_for_update().filter(pk=client_id).exists():
        raise ValidationError(
            {"client_id": _("Client %(id)s does not exist in this tenant.") % {"id": client_id}},
            code="unknown_client",
        )


def _add_to_totals(*, tenant_id: int, client_id: int, contracts: int, amount: Decimal) -> None:
    """Apply a delta to one client's totals; drop the row when it reaches zero."""
    if contracts == 0 and amount == 0:
        return
    updated = ClientTotals.objects.filter(tenant_id=tenant_id, client_id=client_id).update(
        active_contracts=F("active_contracts") + contracts,
        active_amount=F("active_amount") + amount,
    )
    if not updated:
        ClientTotals.objects.create(
            tenant_id=tenant_id,
            client_id=client_id,
            active_contracts=contracts,
            active_amount=amount,
        )
    ClientTotals.objects.filter(
        tenant_id=tenant_id, client_id=client_id, active_contracts=0
    ).delete()


def _this_contract(contract: Contract, tenant: Tenant) -> QuerySet[Contract]:
    return Contract.unscoped.using(MYSQL).filter(pk=contract.pk, tenant_id=tenant.pk)


def _active_share(contract: Contract) -> tuple[int, Decimal]:
    return (1, contract.amount) if contract.is_active else (0, Decimal(0))


def create_contract(
    *,
    client_id: int,
    title: str,
    amount: Decimal,
    signed_on: datetime.date,
    is_active: bool = True,
    tenant: Tenant | None = None,
) -> Contract:
    tenant = resolve_tenant(tenant)
    contract = Contract(
        tenant_id=tenant.pk,
        client_id=client_id,
        title=title,
        amount=amount,
        signed_on=signed_on,
        is_active=is_active,
    )
    contract.full_clean()
    with tenant_context(tenant), transaction.atomic():
        _lock_client(client_id)
        with contracts_database(), transaction.atomic(using=MYSQL):
            contract.save(using=MYSQL)
            count, total = _active_share(contract)
            _add_to_totals(tenant_id=tenant.pk, client_id=client_id, contracts=count, amount=total)
    forget_orphan_contracts(tenant=tenant)
    return contract


def update_contract(
    *, contract_id: int, tenant: Tenant | None = None, **changes: object
) -> Contract:
    """Change a contract's fields (client_id, title, amount, signed_on, is_active)."""
    tenant = resolve_tenant(tenant)
    allowed = {"client_id", "title", "amount", "signed_on", "is_active"}
    if unknown := set(changes) - allowed:
        raise ValueError(f"cannot change {sorted(unknown)}")
    with (
        tenant_context(tenant),
        transaction.atomic(),
        contracts_database(),
        transaction.atomic(using=MYSQL),
    ):
        contract = (
            Contract.unscoped.using(MYSQL)
            .select_for_update()
            .get(pk=contract_id, tenant_id=tenant.pk)
        )
        before_client, (before_count, before_total) = (
            contract.client_id,
            _active_share(contract),
        )
        for field, value in changes.items():
            setattr(contract, field, value)
        contract.full_clean()
        if contract.client_id != before_client:
            _lock_client(contract.client_id)
        # By id and tenant, unlike contract.save(): a tenant-keyed router (Spider,
        # Vitess) then sends it to the tenant's shard alone.
        _this_contract(contract, tenant).update(
            **{field: getattr(contract, field) for field in changes}
        )
        _add_to_totals(
            tenant_id=tenant.pk,
            client_id=before_client,
            contracts=-before_count,
            amount=-before_total,
        )
        count, total = _active_share(contract)
        _add_to_totals(
            tenant_id=tenant.pk, client_id=contract.client_id, contracts=count, amount=total
        )
    forget_orphan_contracts(tenant=tenant)
    return contract


def delete_contract(*, contract_id: int, tenant: Tenant | None = None) -> None:
    tenant = resolve_tenant(tenant)
    with contracts_database(), transaction.atomic(using=MYSQL):
        contract = (
            Contract.unscoped.using(MYSQL)
            .select_for_update()
            .get(pk=contract_id, tenant_id=tenant.pk)
        )
        count, total = _active_share(contract)
        _this_contract(contract, tenant).delete()
        _add_to_totals(
            tenant_id=tenant.pk, client_id=contract.client_id, contracts=-count, amount=-total
        )
    forget_orphan_contracts(tenant=tenant)


@contracts_database()
def contracts_of_client_count(*, client_id: int, tenant: Tenant | None = None) -> int:
    tenant = resolve_tenant(tenant)
    return Contract.unscoped.using(MYSQL).filter(tenant_id=tenant.pk, client_id=client_id).count()


def delete_client(*, client_id: int, tenant: Tenant | None = None) -> None:
    """Delete a client that has no contracts; refuse otherwise (never orphan contracts)."""
    tenant = resolve_tenant(tenant)
    with tenant_context(tenant), transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client_id)
        if count := contracts_of_client_count(client_id=client_id, tenant=tenant):
            raise ClientHasContracts(
                _(
                    "%(client)s has %(count)d contract(s) and cannot be deleted. "
                    "Delete or reassign the contracts first."
                )
                % {"client": client.name, "count": count},
                code="client_has_contracts",
            )
        client.delete()
    forget_orphan_contracts(tenant=tenant)


BULK_BATCH = 200  # contracts per transaction in a bulk change


def set_contracts_active(
    *,
    contract_ids: Iterable[int],
    is_active: bool,
    tenant: Tenant | None = None,
    batch: int = BULK_BATCH,
) -> int:
    """Activate or deactivate these contracts of the tenant; return how many changed.

    Each contract changes through update_contract, like a single edit, so totals
    stay exact; each batch of `batch` ids is one transaction (a failure keeps the
    batches already done, and none of the failed one). Ids of other tenants, or
    of contracts already in that state, are skipped.
    """
    tenant = resolve_tenant(tenant)
    changed = 0
    for ids in itertools.batched(contract_ids, batch):
        with (
            tenant_context(tenant),
            transaction.atomic(),
            contracts_database(),
            transaction.atomic(using=MYSQL),
        ):
            to_change = list(
                Contract.unscoped.using(MYSQL)
                .filter(tenant_id=tenant.pk, pk__in=ids, is_active=not is_active)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            for contract_id in to_change:
                update_contract(contract_id=contract_id, is_active=is_active, tenant=tenant)
        changed += len(to_change)
    return changed
