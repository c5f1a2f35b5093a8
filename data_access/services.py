"""Writes of clients and contracts, with the foreign key the databases cannot hold.

Rules:
- a contract's client must exist in the contract's tenant;
- a client with contracts cannot be deleted (ClientHasContracts);
- ClientTotals, the rollups (SegmentTotals, MonthTotals) and the audit trail
  (data_access.audit) change in the same MySQL transaction as the contract, or
  as the client's country or active flag; ClientCount (PostgreSQL) is kept by
  triggers on the clients table;
- every client has a ClientTotals row, zero while it has no active contract:
  create_client and create_clients write it, delete_client removes it, and the
  clients they write do not clear TotalsCoverage (a trigger clears it for every
  other writer);
- these rules mean the services never make an orphan contract, so only a change
  or deletion of a contract whose client is already missing can change the orphan
  report: those alone mark it stale (panels.mark_orphan_report_stale), and no
  write ever runs or waits for the check itself.

MySQL failures surface as ContractsUnavailable (data_access.boundary), with
nothing written.

The client row is locked in PostgreSQL while MySQL is written, so a contract
cannot be added to a client that is being deleted.
"""

import datetime
import functools
import itertools
import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import F, Model, Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from data_access.audit import Kind, record_contracts
from data_access.boundary import ContractsUnavailable, contracts_database
from data_access.models import (
    Client,
    ClientTotals,
    Contract,
    MonthTotals,
    SavedView,
    SegmentTotals,
    TotalsCoverage,
)
from data_access.querying import ClientQuery, ContractQuery, InvalidQuery
from data_access.selectors.panels import mark_orphan_report_stale
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
    writers). Consecutive keys of one table that move the same way share a statement:
    one multi-row upsert for keys that gain, one UPDATE for keys that lose, whatever
    their number (a bulk change of 200 contracts over 200 clients is two statements
    on ClientTotals, not 200); rows that reach zero are dropped."""
    changes = [
        (model, key, count, amount)
        for (model, key), (count, amount) in sorted(deltas.items(), key=_delta_order)
        if count != 0 or amount != 0
    ]
    for (model, removal), run in itertools.groupby(
        changes, key=lambda change: (change[0], change[2] < 0)
    ):
        items = [(key, count, amount) for _, key, count, amount in run]
        (_remove if removal else _add)(model, items, tenant_id=tenant_id)


def _add(model: type[Model], items: list[tuple[tuple, int, Decimal]], *, tenant_id: int) -> None:
    """One upsert: the rows are created, or their figures increased."""
    key_columns, (count_column, amount_column) = ROLLUPS[model]
    connection = connections[MYSQL]
    columns = ("tenant_id", *key_columns, count_column, amount_column)
    table = connection.ops.quote_name(model._meta.db_table)
    row = f"({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES {', '.join([row] * len(items))} ON DUPLICATE KEY UPDATE "
            f"{count_column} = {count_column} + VALUES({count_column}), "
            f"{amount_column} = {amount_column} + VALUES({amount_column})",
            [value for key, count, amount in items for value in (tenant_id, *key, count, amount)],
        )


def _keys_filter(model: type[Model], keys: list[tuple]) -> Q:
    key_columns, _ = ROLLUPS[model]
    if len(key_columns) == 1:
        return Q(**{f"{key_columns[0]}__in": [key[0] for key in keys]})
    return functools.reduce(
        operator.or_, (Q(**dict(zip(key_columns, key, strict=True))) for key in keys)
    )


def _remove(model: type[Model], items: list[tuple[tuple, int, Decimal]], *, tenant_id: int) -> None:
    """One UPDATE lowers the rows' figures (they exist: the counts are unsigned, so no
    upsert), then one DELETE drops those at zero. A client keeps its zero
    ClientTotals row; an orphan's (no such client) goes. Written out rather than
    built with Case/When, whose compiling cost more than the statement's run."""
    key_columns, (count_column, amount_column) = ROLLUPS[model]
    connection = connections[MYSQL]
    table = connection.ops.quote_name(model._meta.db_table)
    match = " AND ".join(f"{column} = %s" for column in key_columns)
    keys = [key for key, _, _ in items]
    whens = " ".join([f"WHEN {match} THEN %s"] * len(items))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET "
            f"{count_column} = {count_column} + (CASE {whens} END), "
            f"{amount_column} = {amount_column} + (CASE {whens} END) "
            f"WHERE tenant_id = %s AND ({' OR '.join([f'({match})'] * len(keys))})",
            [
                *(value for key, count, _ in items for value in (*key, count)),
                *(value for key, _, amount in items for value in (*key, amount)),
                tenant_id,
                *(value for key in keys for value in key),
            ],
        )
    if model is ClientTotals:
        clients = set(
            Client.objects.filter(pk__in=[key[0] for key in keys]).values_list("pk", flat=True)
        )
        keys = [key for key in keys if key[0] not in clients]
    if keys:
        model.objects.using(MYSQL).filter(
            _keys_filter(model, keys), tenant_id=tenant_id, **{count_column: 0}
        ).delete()


def _delta_order(item: tuple[tuple[type[Model], tuple], list]) -> tuple[str, tuple]:
    (model, key), _ = item
    return model._meta.db_table, key


def _orphan_report_changed(tenant: Tenant) -> None:
    """Mark the orphan report stale once the write is committed (a caller's own
    MySQL transaction, such as the admin's, commits later): a refresh that read the
    mark before then could miss the write and still look current."""
    transaction.on_commit(functools.partial(mark_orphan_report_stale, tenant=tenant), using=MYSQL)


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
            record_contracts([contract], kind=Kind.CREATED)
            deltas = _new_deltas()
            _count_contract(deltas, contract, segment, 1)
            _apply(deltas, tenant_id=tenant.pk)
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
        before = _lock_segment(contract.client_id)
        _count_contract(deltas, contract, before, -1)
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
        record_contracts([contract], kind=Kind.CHANGED)
        _count_contract(deltas, contract, segment, 1)
        _apply(deltas, tenant_id=tenant.pk)
    if before is None:  # an orphan contract, maybe given an existing client now
        _orphan_report_changed(tenant)
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
        segment = _lock_segment(contract.client_id)
        _count_contract(deltas, contract, segment, -1)
        _this_contract(contract, tenant).delete()
        record_contracts([contract], kind=Kind.DELETED)
        _apply(deltas, tenant_id=tenant.pk)
    if segment is None:  # an orphan contract is gone
        _orphan_report_changed(tenant)


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
def _write_zero_rows(*, tenant: Tenant, client_ids: list[int]) -> None:
    """The clients' zero ClientTotals rows, in one statement (rows that exist stay)."""
    if not client_ids:
        return
    table = connections[MYSQL].ops.quote_name(ClientTotals._meta.db_table)
    with connections[MYSQL].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, client_id, active_contracts, active_amount) "
            f"VALUES {', '.join(['(%s, %s, 0, 0)'] * len(client_ids))} "
            "ON DUPLICATE KEY UPDATE client_id = client_id",
            [value for client_id in client_ids for value in (tenant.pk, client_id)],
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
            _write_zero_rows(tenant=tenant, client_ids=[client.pk])
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


# --- Imports: every row checked first, then all written in one transaction ------------


class RowsRejected(ValidationError):
    """Rows that cannot be written: {row index: {field: [messages]}}; nothing was written."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]) -> None:
        super().__init__(_("Some rows cannot be imported."), code="rows_rejected")
        self.row_errors = errors


def _row_errors(instances: list, *, exclude: list[str] | None = None) -> dict[int, dict]:
    errors = {}
    for index, instance in enumerate(instances):
        try:
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as error:
            errors[index] = error.message_dict
    return errors


def create_clients(
    *, rows: list[dict], tenant: Tenant | None = None, dry_run: bool = False
) -> list[Client]:
    """Create clients (name, email, country, is_active): all of them in one
    transaction, or none (RowsRejected lists every row's errors)."""
    tenant = resolve_tenant(tenant)
    with tenant_context(tenant), transaction.atomic():
        clients = [Client(**row) for row in rows]
        errors = _row_errors(clients)
        emails = [client.email.lower() for client in clients]
        # Case-insensitively, as mail servers compare addresses in practice.
        taken = set(
            Client.objects.annotate(lowered=Lower("email"))
            .filter(lowered__in=emails)
            .values_list("lowered", flat=True)
        )
        seen: set[str] = set()
        for index, email in enumerate(emails):
            if email in taken or email in seen:
                errors.setdefault(index, {}).setdefault("email", []).append(
                    _("A client with this email already exists.")
                )
            seen.add(email)
        if errors:
            raise RowsRejected(errors)
        if not dry_run:
            with _zero_rows_kept():
                for client in clients:
                    client.save()  # one by one: each save writes the client's history
            try:
                _write_zero_rows(tenant=tenant, client_ids=[client.pk for client in clients])
            except ContractsUnavailable:
                TotalsCoverage.objects.update(complete=False)
    return clients


def create_contracts(
    *, rows: list[dict], tenant: Tenant | None = None, dry_run: bool = False
) -> list[Contract]:
    """Create contracts (client_id, title, amount, signed_on, is_active): all in one
    MySQL transaction with their totals and history, or none (RowsRejected)."""
    tenant = resolve_tenant(tenant)
    contracts = [Contract(tenant_id=tenant.pk, **row) for row in rows]
    errors = _row_errors(contracts)
    with tenant_context(tenant), transaction.atomic():
        wanted = {contract.client_id for contract in contracts}
        # Locked until MySQL commits: none of these clients can be deleted meanwhile.
        known: dict[int, Segment] = {
            pk: (country, active)
            for pk, country, active in Client.objects.select_for_update()
            .filter(pk__in=wanted)
            .values_list("pk", "country", "is_active")
        }
        for index, contract in enumerate(contracts):
            if contract.client_id is not None and contract.client_id not in known:
                errors.setdefault(index, {}).setdefault("client_id", []).append(
                    _("Client %(id)s does not exist in this tenant.") % {"id": contract.client_id}
                )
        if errors:
            raise RowsRejected(errors)
        if dry_run:
            return contracts
        with contracts_database(), transaction.atomic(using=MYSQL):
            deltas = _new_deltas()
            for contract in contracts:
                contract.save(using=MYSQL)
                _count_contract(deltas, contract, known[contract.client_id], 1)
            record_contracts(contracts, kind=Kind.CREATED)
            _apply(deltas, tenant_id=tenant.pk)
    return contracts


# --- Saved views -------------------------------------------------------------------

SAVED_VIEW_TABLES = {"clients": ClientQuery, "contracts": ContractQuery}


def save_view(
    *, owner: AbstractBaseUser, table: str, name: str, params: Mapping[str, str], shared: bool
) -> SavedView:
    """Name a table's filters and sort (not its page) for its owner, or for every
    staff member of the tenant when shared; the same name again replaces it."""
    if table not in SAVED_VIEW_TABLES:
        raise ValidationError({"table": _("Unknown table.")}, code="unknown_table")
    try:
        query = SAVED_VIEW_TABLES[table].parse(params)
    except InvalidQuery as invalid:
        raise ValidationError(invalid.errors, code="invalid_query") from invalid
    kept = {key: value for key, value in query.to_params().items() if key != "page"}
    view = SavedView(owner_id=owner.pk, table=table, name=name.strip(), shared=shared)
    view.params = urlencode(kept)
    view.full_clean(exclude=["owner"], validate_unique=False)
    saved, _created = SavedView.objects.update_or_create(
        owner_id=owner.pk,
        table=table,
        name=view.name,
        defaults={"params": view.params, "shared": shared},
    )
    return saved


def delete_saved_view(*, view_id: int, user: AbstractBaseUser) -> None:
    """Only its owner deletes a view; anyone else's attempt is a DoesNotExist."""
    SavedView.objects.get(pk=view_id, owner_id=user.pk).delete()


BULK_BATCH = 200  # contracts per transaction in a bulk change


def set_contracts_active(
    *,
    contract_ids: Iterable[int],
    is_active: bool,
    tenant: Tenant | None = None,
    batch: int = BULK_BATCH,
) -> int:
    """Activate or deactivate these contracts of the tenant; return how many changed.

    Set-wise, `batch` ids per transaction (a failure keeps the batches already
    done, and none of the failed one): the batch's contracts are locked and read,
    their clients locked (as update_contract does, in the same order), then one
    UPDATE changes them all, one insert writes a history row for each, and the
    rollups get the batch's summed deltas (_apply). Ids of other tenants, or of
    contracts already in that state, are skipped.
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
            contracts = list(
                Contract.unscoped.using(MYSQL)
                .select_for_update()
                .filter(tenant_id=tenant.pk, pk__in=ids, is_active=not is_active)
                .order_by("pk")
            )
            if not contracts:
                continue
            segments: dict[int, Segment] = {
                pk: (country, active)
                for pk, country, active in Client.objects.select_for_update()
                .filter(pk__in={contract.client_id for contract in contracts})
                .order_by("pk")
                .values_list("pk", "country", "is_active")
            }
            deltas = _new_deltas()
            for contract in contracts:
                segment = segments.get(contract.client_id)  # None: an orphan contract
                _count_contract(deltas, contract, segment, -1)
                contract.is_active = is_active
                _count_contract(deltas, contract, segment, 1)
            # amount = amount: a Spider head reads only the columns a statement names
            # before checking the row's CHECK constraints (amount > 0) on its copy.
            Contract.unscoped.using(MYSQL).filter(
                tenant_id=tenant.pk, pk__in=[contract.pk for contract in contracts]
            ).update(is_active=is_active, amount=F("amount"))
            record_contracts(contracts, kind=Kind.CHANGED)
            _apply(deltas, tenant_id=tenant.pk)
        changed += len(contracts)
    return changed


@contracts_database()
def _delete_zero_row(*, tenant: Tenant, client_id: int) -> None:
    ClientTotals.objects.using(MYSQL).filter(
        tenant_id=tenant.pk, client_id=client_id, active_contracts=0
    ).delete()
