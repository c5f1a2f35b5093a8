"""Reads of the audit trail: who changed a client or a contract, when, from what to what.

A history row is a snapshot of the object after a change (before it, for a
deletion); the changes are the differences with the object's previous snapshot.
Every read names one tenant: clients' history lives in the tenant's schema,
contracts' history is filtered by tenant_id. Raises ContractsUnavailable when a
contract's history is asked for and MySQL cannot be reached.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model, Q

from data_access.audit import Kind
from data_access.boundary import ContractsUnavailable, contracts_database
from data_access.models import Client, Contract
from data_access.selectors.aggregates import MYSQL
from data_access.tenants import resolve_tenant, tenant_schema
from tenancy.models import Tenant

# The fields a trail shows, in this order.
TRACKED_FIELDS: dict[type[Model], tuple[str, ...]] = {
    Client: ("name", "email", "country", "is_active"),
    Contract: ("client_id", "title", "amount", "signed_on", "is_active"),
}
TRAIL_LIMIT = 50


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str  # the model field's verbose name
    old: Any  # None when the object was created
    new: Any


@dataclass(frozen=True, slots=True)
class AuditEntry:
    when: datetime
    kind: Kind
    model: str  # "client" or "contract"
    object_id: int
    label: str  # the client's name or the contract's title
    user_id: int | None  # None when no user was signed in (scripts)
    user: str | None  # the username ("#id" for a user since deleted)
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class ClientTrail:
    entries: list[AuditEntry]
    contracts_available: bool  # False: MySQL was unreachable, the client's own changes only
    limit: int


def _previous_filter(row: Any) -> Q:
    return Q(history_date__lt=row.history_date) | Q(
        history_date=row.history_date, history_id__lt=row.history_id
    )


def _entries(rows: Sequence[Any], model: type[Model], earlier: dict[int, Any]) -> list[AuditEntry]:
    """Entries for rows (newest first); earlier holds, per object, the snapshot just
    before the oldest of its rows here, when there is one."""
    fields = [model._meta.get_field(name) for name in TRACKED_FIELDS[model]]
    label_field = "name" if model is Client else "title"
    previous: dict[int, Any] = dict(earlier)
    built = []
    for row in reversed(rows):  # oldest first, so each row's predecessor is known
        before = previous.get(row.id)
        if row.history_type == Kind.DELETED:
            changes: tuple[FieldChange, ...] = ()
        else:
            changes = tuple(
                FieldChange(
                    field=str(field.verbose_name),
                    old=None if before is None else getattr(before, field.attname),
                    new=getattr(row, field.attname),
                )
                for field in fields
                if before is None or getattr(before, field.attname) != getattr(row, field.attname)
            )
        built.append((row, changes))
        previous[row.id] = row
    return [
        AuditEntry(
            when=row.history_date,
            kind=Kind(row.history_type),
            model=model._meta.model_name,
            object_id=row.id,
            label=getattr(row, label_field),
            user_id=row.history_user_id,
            user=None,  # named by _named, with one query for all entries
            changes=changes,
        )
        for row, changes in reversed(built)
    ]


def _earlier_snapshots(history: Any, rows: Sequence[Any]) -> dict[int, Any]:
    """Per object of rows, its snapshot before its oldest row here (one query per
    object whose oldest row here is not its creation)."""
    oldest: dict[int, Any] = {}
    for row in rows:  # newest first: the last seen is the oldest
        oldest[row.id] = row
    return {
        object_id: found
        for object_id, row in oldest.items()
        if row.history_type != Kind.CREATED
        and (found := history.filter(id=object_id).filter(_previous_filter(row)).first())
        is not None
    }


def _named(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Usernames for the entries' user ids, from the current tenant's schema."""
    ids = {entry.user_id for entry in entries if entry.user_id is not None}
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    return [
        entry
        if entry.user_id is None
        else replace(entry, user=names.get(entry.user_id, f"#{entry.user_id}"))
        for entry in entries
    ]


def _client_entries(*, client_id: int, limit: int) -> list[AuditEntry]:
    history = Client.history.filter(id=client_id)
    rows = list(history.order_by("-history_date", "-history_id")[:limit])
    return _entries(rows, Client, _earlier_snapshots(history, rows))


def _contract_entries(*, tenant: Tenant, limit: int, **lookup: int) -> list[AuditEntry]:
    with contracts_database():
        history = Contract.history.using(MYSQL).filter(tenant_id=tenant.pk)
        rows = list(history.filter(**lookup).order_by("-history_date", "-history_id")[:limit])
        return _entries(rows, Contract, _earlier_snapshots(history, rows))


def client_history(
    *, client_id: int, limit: int = TRAIL_LIMIT, tenant: Tenant | None = None
) -> list[AuditEntry]:
    """The latest changes of one client itself, newest first."""
    tenant = resolve_tenant(tenant)
    with tenant_schema(tenant):
        return _named(_client_entries(client_id=client_id, limit=limit))


def contract_history(
    *, contract_id: int, limit: int = TRAIL_LIMIT, tenant: Tenant | None = None
) -> list[AuditEntry]:
    """The latest changes of one contract, newest first."""
    tenant = resolve_tenant(tenant)
    with tenant_schema(tenant):
        return _named(_contract_entries(tenant=tenant, limit=limit, id=contract_id))


def client_trail(
    *, client_id: int, limit: int = TRAIL_LIMIT, tenant: Tenant | None = None
) -> ClientTrail:
    """The latest changes of a client and of its contracts, newest first."""
    tenant = resolve_tenant(tenant)
    with tenant_schema(tenant):
        entries = _client_entries(client_id=client_id, limit=limit)
        try:
            entries += _contract_entries(tenant=tenant, limit=limit, client_id=client_id)
        except ContractsUnavailable:
            available = False
        else:
            available = True
        entries.sort(key=lambda entry: entry.when, reverse=True)
        return ClientTrail(
            entries=_named(entries[:limit]), contracts_available=available, limit=limit
        )
