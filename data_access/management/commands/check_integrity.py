"""Check what the databases cannot enforce across PostgreSQL and MySQL.

    manage.py check_integrity [--tenant SCHEMA] [--repair]

For each tenant: contracts whose client does not exist in the tenant's schema
(orphans), ClientTotals rows that disagree with the active contracts (wrong,
missing or stale), zero ClientTotals rows of clients that do not exist or, while
TotalsCoverage says they are complete, missing ones, and rollups (ClientCount,
SegmentTotals, MonthTotals) that disagree with the clients and contracts. Exits
non-zero when it finds any. Incomplete zero rows (clients written outside the
services) are noted, not a failure: the client table then reads every id for
the orders they bound, and stays exact.

--repair rebuilds the derived tables of each tenant with problems or incomplete
zero rows from its clients and contracts, then checks again; orphan contracts
are reported, never deleted.

The orphan report it computes is stored as the dashboard's data-health panel
shows it, so a cron job running this keeps that panel's report fresh.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_public_schema_name

from data_access import bulk_load
from data_access.selectors import aggregates, panels
from data_access.selectors.aggregates import Cents, cents_to_decimal
from tenancy.models import Tenant

MAX_LISTED = 20


def _shown(totals: tuple[int, int]) -> str:
    count, cents = totals
    return f"({count}, {cents_to_decimal(cents)})"


def totals_problems(*, stored: Cents, expected: Cents) -> list[str]:
    problems = []
    for client_id in sorted(stored.keys() | expected.keys()):
        have, want = stored.get(client_id), expected.get(client_id)
        if have == want:
            continue
        if have is None:
            problems.append(f"client {client_id}: totals row missing, expected {_shown(want)}")
        elif want is None:
            problems.append(
                f"client {client_id}: stale totals row {_shown(have)}, no active contracts"
            )
        else:
            problems.append(
                f"client {client_id}: totals {_shown(have)}, contracts say {_shown(want)}"
            )
    return problems


def _listed(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    return [*lines[:MAX_LISTED], f"... and {len(lines) - MAX_LISTED} more"]


def zero_row_problems(
    *, clients: set[int], with_totals: set[int], zeros: set[int], complete: bool
) -> list[str]:
    """Zero rows of clients that do not exist; and, when the zero rows are said to be
    complete, clients with no ClientTotals row at all."""
    problems = [
        f"client {i}: stale zero totals row, no such client" for i in sorted(zeros - clients)
    ]
    if complete:
        problems += [
            f"client {i}: zero totals row missing, though zero rows are marked complete"
            for i in sorted(clients - with_totals - zeros)
        ]
    return _listed(problems)


def rollup_problems(*, name: str, stored: dict, expected: dict) -> list[str]:
    """One line per key whose stored rollup differs from the recomputed one."""
    return [
        f"{name} {key}: stored {stored.get(key, 'nothing')}, base rows say "
        f"{expected.get(key, 'nothing')}"
        for key in sorted(stored.keys() | expected.keys(), key=str)
        if stored.get(key) != expected.get(key)
    ]


def _months(rows: list) -> dict:
    return {f"{month:%Y-%m}": (n, amount) for month, n, amount in rows}


def problems_of(tenant: Tenant) -> tuple[list[str], bool]:
    """(problems, whether a rebuild of the derived tables would fix some of them)."""
    stored = aggregates.client_cents(tenant=tenant)
    derived = totals_problems(
        stored=stored, expected=aggregates.active_totals_by_client(tenant=tenant)
    )
    derived += zero_row_problems(
        clients=set(aggregates.client_countries(tenant=tenant)),
        with_totals=set(stored),
        zeros=aggregates.zero_row_ids(tenant=tenant),
        complete=aggregates.zero_rows_complete(tenant=tenant),
    )
    derived += rollup_problems(
        name="client count",
        stored=aggregates.client_count_segments(tenant=tenant),
        expected=aggregates.client_count_segments_from_clients(tenant=tenant),
    )
    derived += rollup_problems(
        name="segment totals",
        stored=aggregates.segment_cents(tenant=tenant),
        expected=aggregates.segment_cents_from_contracts(tenant=tenant),
    )
    derived += rollup_problems(
        name="month totals",
        stored=_months(aggregates.stored_month_totals(tenant=tenant)),
        expected=_months(aggregates.month_totals_from_contracts(tenant=tenant)),
    )
    orphans = panels.refresh_orphan_report(tenant=tenant)  # stored for the dashboard too
    problems = list(derived)
    if orphans.contracts:
        shown = ", ".join(map(str, orphans.clients[:MAX_LISTED]))
        more = (
            f" and {len(orphans.clients) - MAX_LISTED} more"
            if len(orphans.clients) > MAX_LISTED
            else ""
        )
        problems.insert(
            0, f"{orphans.contracts} orphan contract(s) of missing client(s) {shown}{more}"
        )
    return problems, bool(derived)


class Command(BaseCommand):
    help = "Find orphan contracts and derived tables that disagree with the base rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="schema name (default: every tenant)")
        parser.add_argument(
            "--repair",
            action="store_true",
            help="rebuild ClientTotals and the rollups of tenants whose ones are wrong",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = Tenant.objects.exclude(schema_name=get_public_schema_name()).order_by(
            "schema_name"
        )
        if options["tenant"]:
            tenants = tenants.filter(schema_name=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"no tenant {options['tenant']!r}")
        failing = []
        for tenant in tenants:
            problems, repairable = problems_of(tenant)
            if problems:
                self._report(tenant, problems)
            incomplete = not aggregates.zero_rows_complete(tenant=tenant)
            if incomplete:
                self.stdout.write(
                    f"{tenant.schema_name}: zero totals rows incomplete (clients written "
                    "outside the services); --repair writes them"
                )
            if (repairable or incomplete) and options["repair"]:
                bulk_load.rebuild_rollups(tenant=tenant)
                problems, _ = problems_of(tenant)
                self.stdout.write(
                    f"{tenant.schema_name}: derived tables rebuilt, {len(problems)} problem(s) left"
                )
            if problems:
                failing.append(tenant.schema_name)
            else:
                self.stdout.write(self.style.SUCCESS(f"{tenant.schema_name}: ok"))
        if failing:
            raise CommandError(f"integrity problems in {', '.join(failing)}")

    def _report(self, tenant: Tenant, problems: list[str]) -> None:
        self.stdout.write(self.style.ERROR(f"{tenant.schema_name}: {len(problems)} problem(s)"))
        for problem in problems:
            self.stdout.write(f"  {problem}")
