"""Writes of the contracts' audit trail (see data_access.history).

`data_access.services` calls `record_contracts` inside the MySQL transaction of
every contract write, so a change and its history row commit together or not at
all. Each call inserts rows of one tenant only.
"""

from collections.abc import Iterable
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from data_access.history import current_actor
from data_access.models import Contract


class Kind(StrEnum):
    CREATED = "+"
    CHANGED = "~"
    DELETED = "-"


def record_contracts(contracts: Iterable[Contract], *, kind: Kind) -> None:
    """Keep a snapshot of each contract (its state after the change, or before a
    deletion), attributed to the acting user."""
    history_model = Contract.history.model
    actor = current_actor()
    when = timezone.now()
    fields = [field.attname for field in Contract._meta.concrete_fields]
    rows = [
        history_model(
            history_date=when,
            history_type=kind.value,
            history_user_id=actor.pk if actor else None,
            **{name: getattr(contract, name) for name in fields},
        )
        for contract in contracts
    ]
    if len({row.tenant_id for row in rows}) > 1:
        raise ValueError("one tenant's contracts at a time")
    history_model.objects.using(settings.CONTRACTS_DATABASE).bulk_create(rows)
