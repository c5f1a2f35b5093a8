"""Writes of clients and contracts, with the foreign key the databases cannot hold.

Rules:
- a contract's client must exist in the contract's tenant;
- a client with contracts cannot be deleted (ClientHasContracts);
- ClientTotals and the rollups (SegmentTotals, MonthTotals) change in the same
  MySQL transaction as the contract, or as the client's country or active flag;
  ClientCount (PostgreSQL) is kept by triggers on the clients table;
- every client has a ClientTotals row, zero while it has no active contract:
  create_client writes it, delete_client removes it, and the clients they write
  do not clear TotalsCoverage (a trigger clears it for every other writer).

MySQL failures surface as ContractsUnavailable (data_access.boundary), with
nothing written.

The client row is locked in PostgreSQL while MySQL is written, so a contract
cannot be added to a client that is being deleted.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import F, Model, QuerySet
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from data_access.boundary import ContractsUnavailable, contracts_database
from data_access.models import (
    Client,
    ClientTotals,
    Contract,
    MonthTotals,
    SegmentTotals,
    TotalsCoverage,
)
from data_access.selectors.panels import forget_orphan_contracts
from data_access.tenants import resolve_tenant
from tenancy.models import Tenant

MYSQL = settings.CONTRACTS_DATABASE


class ClientHasContracts(ValidationError):
    pass


# (country, is_active) of a client: the key of its SegmentTotals row.
Segment = tuple[str, bool]


def _lock_segment(client_id: int) -> Segment | None:
    """Lock the client's row; its segment, or None when there is no such client."""
    return (
        Client.objects.select_for_update()
        .filter(pk=client_id)
        .values_list("country", "is_active")
        .first()
    )


def _lock_client(client_id: int) -> Segment:
    segment = _lock_segment(client_id)
    if segment is None:
        raise ValidationError(
            {"client_id": _("Client %(id)s does not exist in this tenant.") % {"id": client_id}},
            code="unknown_client",
        )
    return segment


# Each derived table: its key columns and its (count, amount) columns.
ROLLUPS: dict[type[Model], tuple[tuple[str, ...], tuple[str, str]]] = {
    ClientTotals: (("client_id",), ("active_contracts", "active_amount")),
    SegmentTotals: (("country", "client_active"), ("active_contracts", "active_amount")),
    MonthTotals: (("month",), ("contracts", "amount")),
}
# {(model, key values): [count, amount]}: what one write changes.
Deltas = defaultdict[tuple[type[Model], tuple], list]


def _new_deltas() -> Deltas:
    return defaultdict(lambda: [0, Decimal(0)])


def _count_contract(deltas: Deltas, contract: Contract, segment: Segment | None, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) one contract's share of every rollup."""
    amount = sign * Decimal(contract.amount)
    shares = [(MonthTotals, (contract.signed_on.replace(day=1),))]
    if contract.is_active:
        shares.append((ClientTotals, (contract.client_id,)))
        if segment is not None:  # an orphan contract counts in no segment
            shares.append((SegmentTotals, segment))
    for model, key in shares:
        delta = deltas[model, key]
        delta[0] += sign
        delta[1] += amount


def _apply(deltas: Deltas, *, tenant_id: int) -> None:
    """Add the deltas to the tenant's rollups, in key order (no deadlock between two
    writers), with one upsert each; rows that reach zero are dropped."""
    connection = connections[MYSQL]
    for (model, key), (count, amount) in sorted(deltas.items(), key=_delta_order):
        if count == 0 and amount == 0:
            continue
        key_columns, (count_column, amount_column) = ROLLUPS[model]
        row = model.objects.using(MYSQL).filter(
            tenant_id=tenant_id, **dict(zip(key_columns, key, strict=True))
        )
        if count < 0:
            # A removal: the row exists (the counts are unsigned, so no upsert).
            row.update(
                **{count_column: F(count_column) + count, amount_column: F(amount_column) + amount}
            )
            # A client keeps its zero row; an orphan's (no such client) goes.
            if model is not ClientTotals or not Client.objects.filter(pk=key[0]).exists():
                row.filter(**{count_column: 0}).delete()
            continue
        columns = ("tenant_id", *key_columns, count_column, amount_column)
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join(['%s'] * len(columns))}) ON DUPLICATE KEY UPDATE "
                f"{count_column} = {count_column} + VALUES({count_column}), "
                f"{amount_column} = {amount_column} + VALUES({amount_column})",
                [tenant_id, *key, count, amount],
            )


def _delta_order(item: tuple[tuple[type[Model], tuple], list]) -> tuple[str, tuple]:
    (model, key), _ = item
    return model._meta.db_table, key


def _this_contract(contract: Contract, tenant: Tenant) -> QuerySet[Contract]:
    return Contract.unscoped.using(MYSQL).filter(pk=contract.pk, tenant_id=tenant.pk)


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
        segment = _lock_client(client_id)
        with contracts_database(), transaction.atomic(using=MYSQL):
            contract.save(using=MYSQL)
            deltas = _new_deltas()
            _count_contract(deltas, contract, segment, 1)
            _apply(deltas, tenant_id=tenant.pk)
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
        deltas = _new_deltas()
        _count_contract(deltas, contract, _lock_segment(contract.client_id), -1)
        before_client = contract.client_id
        for field, value in changes.items():
            setattr(contract, field, value)
        contract.full_clean()
        segment = (
            _lock_client(contract.client_id)
            if contract.client_id != before_client
            else _lock_segment(contract.client_id)
        )
        # By id and tenant, unlike contract.save(): a tenant-keyed router (Spider,
        # Vitess) then sends it to the tenant's shard alone.
        _this_contract(contract, tenant).update(
            **{field: getattr(contract, field) for field in changes}
        )
        _count_contract(deltas, contract, segment, 1)
        _apply(deltas, tenant_id=tenant.pk)
    forget_orphan_contracts(tenant=tenant)
    return contract


def delete_contract(*, contract_id: int, tenant: Tenant | None = None) -> None:
    tenant = resolve_tenant(tenant)
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
        deltas = _new_deltas()
        _count_contract(deltas, contract, _lock_segment(contract.client_id), -1)
        _this_contract(contract, tenant).delete()
        _apply(deltas, tenant_id=tenant.pk)
    forget_orphan_contracts(tenant=tenant)


CLIENT_FIELDS = frozenset({"name", "email", "country", "is_active", "created_at"})


# Read by the coverage trigger (migration 0007): 'kept' while the services write
# clients whose zero rows they write themselves.
COVERAGE_SETTING = "contrata.client_totals"


@contextmanager
def _zero_rows_kept() -> Iterator[None]:
    """Client inserts and deletes in the block leave TotalsCoverage alone. Local to
    the transaction, and undone with it on error; reset on the way out, so that
    writes by others later in the same transaction still clear it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'kept', true)", [COVERAGE_SETTING])
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, '', true)", [COVERAGE_SETTING])


@contracts_database()
def _write_zero_row(*, tenant: Tenant, client_id: int) -> None:
    table = connections[MYSQL].ops.quote_name(ClientTotals._meta.db_table)
    with connections[MYSQL].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, client_id, active_contracts, active_amount) "
            "VALUES (%s, %s, 0, 0) ON DUPLICATE KEY UPDATE client_id = client_id",
            [tenant.pk, client_id],
        )


def create_client(*, tenant: Tenant | None = None, **fields: object) -> Client:
    """Create a client (name, email, country, is_active, created_at), with its zero
    ClientTotals row.

    ClientCount follows by trigger. With MySQL down the client is still created,
    without its zero row, and TotalsCoverage is cleared until check_integrity
    --repair writes it."""
    tenant = resolve_tenant(tenant)
    if unknown := set(fields) - CLIENT_FIELDS:
        raise ValueError(f"cannot set {sorted(unknown)}")
    with tenant_context(tenant), transaction.atomic():
        client = Client(**fields)
        client.full_clean()
        with _zero_rows_kept():
            client.save()
        try:
            _write_zero_row(tenant=tenant, client_id=client.pk)
        except ContractsUnavailable:
            TotalsCoverage.objects.update(complete=False)
    return client


def update_client(*, client_id: int, tenant: Tenant | None = None, **changes: object) -> Client:
    """Change a client's fields; a new country or active flag moves the client's
    active totals between SegmentTotals rows in the same transaction."""
    tenant = resolve_tenant(tenant)
    if unknown := set(changes) - CLIENT_FIELDS:
        raise ValueError(f"cannot change {sorted(unknown)}")
    with tenant_context(tenant), transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client_id)
        before: Segment = (client.country, client.is_active)
        for field, value in changes.items():
            setattr(client, field, value)
        client.full_clean()
        client.save(update_fields=list(changes) or None)
        after: Segment = (client.country, client.is_active)
        if after != before:
            with contracts_database(), transaction.atomic(using=MYSQL):
                totals = (
                    ClientTotals.objects.using(MYSQL)
                    .select_for_update()
                    .filter(tenant_id=tenant.pk, client_id=client_id)
                    .values_list("active_contracts", "active_amount")
                    .first()
                )
                if totals is not None:
                    deltas = _new_deltas()
                    count, amount = totals
                    deltas[SegmentTotals, before] = [-count, -amount]
                    deltas[SegmentTotals, after] = [count, amount]
                    _apply(deltas, tenant_id=tenant.pk)
    return client


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
        with _zero_rows_kept():
            client.delete()
        _delete_zero_row(tenant=tenant, client_id=client_id)
    forget_orphan_contracts(tenant=tenant)


@contracts_database()
def _delete_zero_row(*, tenant: Tenant, client_id: int) -> None:
    ClientTotals.objects.using(MYSQL).filter(
        tenant_id=tenant.pk, client_id=client_id, active_contracts=0
    ).delete()
