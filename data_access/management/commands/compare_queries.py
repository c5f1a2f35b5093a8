"""Run each aggregate the product reads (ORM) beside its hand-written SQL twin
(data_access.raw_sql) against a tenant: SQL, rows, timings, agreement.

    manage.py compare_queries --tenant acme --repeat 5

Exits non-zero when any pair disagrees.
"""

import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.test.utils import CaptureQueriesContext

from data_access.raw_sql import QUERY_PAIRS, QueryPair
from tenancy.models import Tenant

SQL_PREVIEW = 600  # characters; whole-tenant id lists would flood the terminal


def _rows(result: Any) -> int:
    return len(result) if isinstance(result, list | dict | set) else 1


def _preview(sql: str) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= SQL_PREVIEW else f"{sql[:SQL_PREVIEW]}… ({len(sql)} chars)"


def _run(function: Callable[..., Any], pair: QueryPair, tenant: Tenant, repeat: int):
    """The result, the SQL of the first run (per alias) and the median time in ms."""
    with ExitStack() as stack:
        captured = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in pair.databases
        }
        result = function(tenant=tenant)
    sql = [(alias, q["sql"]) for alias, ctx in captured.items() for q in ctx.captured_queries]
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function(tenant=tenant)
        timings.append((time.perf_counter() - started) * 1000)
    return result, sql, statistics.median(timings)


class Command(BaseCommand):
    help = "Compare each aggregate's ORM version with its hand-written SQL on a tenant's data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="schema name")
        parser.add_argument("--repeat", type=int, default=5, help="timed runs per version")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["repeat"] < 1:
            raise CommandError("--repeat must be at least 1")
        try:
            tenant = Tenant.objects.get(schema_name=options["tenant"])
        except Tenant.DoesNotExist:
            raise CommandError(f"no tenant {options['tenant']!r}") from None
        mismatches = []
        for pair in QUERY_PAIRS:
            orm, orm_sql, orm_ms = _run(pair.orm, pair, tenant, options["repeat"])
            raw, raw_sql, raw_ms = _run(pair.raw, pair, tenant, options["repeat"])
            match = orm == raw
            if not match:
                mismatches.append(pair.name)
            self.stdout.write(self.style.MIGRATE_HEADING(f"== {pair.name}"))
            for label, statements in (("ORM", orm_sql), ("raw", raw_sql)):
                for alias, sql in statements:
                    self.stdout.write(f"  {label} [{alias}]: {_preview(sql)}")
            ratio = orm_ms / raw_ms if raw_ms else float("inf")
            self.stdout.write(
                f"  rows: orm {_rows(orm)}, raw {_rows(raw)}; "
                f"median ms: orm {orm_ms:.2f}, raw {raw_ms:.2f} (orm/raw {ratio:.2f}); "
                + (self.style.SUCCESS("match") if match else self.style.ERROR("MISMATCH"))
            )
        if mismatches:
            raise CommandError(f"ORM and raw SQL disagree: {', '.join(mismatches)}")
        self.stdout.write(self.style.SUCCESS(f"all {len(QUERY_PAIRS)} pairs match"))
