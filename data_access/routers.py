"""Contracts (their derived totals and their history) live in MySQL; everything else in PostgreSQL.

Listed before django-tenants' router, which refuses every alias but the
tenant one: for anything that is not ours we return None and let it decide.
"""

from typing import Any

from django.conf import settings
from django.db.models import Model

CONTRACT_MODELS = frozenset(
    {"contract", "clienttotals", "segmenttotals", "monthtotals", "historicalcontract"}
)


def is_contracts_model(app_label: str, model_name: str | None) -> bool:
    return app_label == "data_access" and model_name in CONTRACT_MODELS


def database_for_model(model: type[Model]) -> str | None:
    if is_contracts_model(model._meta.app_label, model._meta.model_name):
        return settings.CONTRACTS_DATABASE
    return None


class ContractsRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return database_for_model(model)

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return database_for_model(model)

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        db1 = database_for_model(type(obj1)) or "default"
        db2 = database_for_model(type(obj2)) or "default"
        if db1 != db2:
            return False
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        if db == settings.CONTRACTS_DATABASE:
            return is_contracts_model(app_label, model_name)
        if is_contracts_model(app_label, model_name):
            return False
        if app_label == "django_cache":  # createcachetable's table: PostgreSQL, public
            return True
        return None
