"""How the audit trail is kept: django-simple-history, one history table per model.

- Clients: `HistoricalClient` lives beside `Client` in each tenant's schema and is
  written by the library's signals on every save and delete of a client.
- Contracts: `HistoricalContract` lives in the contracts database, keyed by
  tenant_id like every table there. The services change contracts with
  single-tenant queryset updates and deletes, which send no signals, so its rows
  are written explicitly by `data_access.audit`, in the same MySQL transaction as
  the change. Its signals are switched off: a post_delete receiver would make
  Django delete by primary key alone, a statement that names no tenant.

The acting user is the request's (simple-history's HistoryRequestMiddleware) or
the one named with `acting_as()`. Users live in each tenant's schema, so a history
row keeps the user's id only, never a foreign key across databases.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_delete
from simple_history.models import HistoricalRecords

_actor: ContextVar[AbstractBaseUser | None] = ContextVar("audit_actor", default=None)


@contextmanager
def acting_as(user: AbstractBaseUser | AnonymousUser | None) -> Iterator[None]:
    """Attribute the changes made inside the block to `user` (scripts, imports)."""
    token = _actor.set(user if user is not None and user.is_authenticated else None)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> AbstractBaseUser | None:
    """The user changes are attributed to: acting_as()'s, else the request's, else none."""
    user = _actor.get()
    if user is None:
        request = getattr(HistoricalRecords.context, "request", None)
        user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _get_user(**kwargs: Any) -> AbstractBaseUser | None:
    return current_actor()


class ContractHistoryRecords(HistoricalRecords):
    """The history of contracts: written by data_access.audit only, indexed by tenant."""

    def finalize(self, sender: type[models.Model], **kwargs: Any) -> None:
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            post_save.disconnect(self.post_save, sender=sender)
            post_delete.disconnect(self.post_delete, sender=sender)
            pre_delete.disconnect(self.pre_delete, sender=sender)

    def get_meta_options(self, model: type[models.Model]) -> dict[str, Any]:
        return super().get_meta_options(model) | {
            "indexes": [
                # A client's trail (client detail) and a contract's (admin history),
                # newest first, each within one tenant.
                models.Index(
                    fields=["tenant_id", "client_id", "history_date"],
                    name="contract_history_client",
                ),
                models.Index(
                    fields=["tenant_id", "id", "history_date"], name="contract_history_one"
                ),
            ]
        }


def tracked(records: type[HistoricalRecords] = HistoricalRecords) -> HistoricalRecords:
    """The history of a model, with the acting user kept by id."""
    return records(
        history_user_id_field=models.IntegerField(null=True, blank=True),
        get_user=_get_user,
    )
