"""Check what the databases cannot enforce across PostgreSQL and MySQL.

    manage.py check_integrity [--tenant SCHEMA]

For each tenant: contracts whose client does not exist in the tenant's schema
(orphans), and ClientTotals rows that disagree with the active contracts
(wrong, missing or stale). Exits non-zero when it finds any.
"""

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_public_schema_name

from data_access import panels, queries
from tenancy.models import Tenant

Totals = dict[int, tuple[int, Decimal]]
MAX_LISTED = 20


def expected_totals(*, tenant: Tenant) -> Totals:
    """What ClientTotals must hold, recomputed from the contracts."""
    counts = dict(queries.contracts_per_client_orm(tenant=tenant))
    amounts = dict(queries.amount_per_client_orm(tenant=tenant))
    return {client_id: (n, amounts[client_id]) for client_id, n in counts.items()}


def totals_problems(*, stored: Totals, expected: Totals) -> list[str]:
    problems = []
    for client_id in sorted(stored.keys() | expected.keys()):
        have, want = stored.get(client_id), expected.get(client_id)
        if have == want:
            continue
        if have is None:
            problems.append(f"client {client_id}: totals row missing, expected {want}")
        elif want is None:
            problems.append(f"client {client_id}: stale totals row {have}, no active contracts")
        else:
            problems.append(f"client {client_id}: totals {have}, contracts say {want}")
    return problems


class Command(BaseCommand):
    help = "Find orphan contracts and ClientTotals rows that disagree with the contracts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="schema name (default: every tenant)")

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
            orphans = panels.orphan_contracts(tenant=tenant, fresh=True)
            problems = totals_problems(
                stored=queries.client_totals_orm(tenant=tenant),
                expected=expected_totals(tenant=tenant),
            )
            if orphans.contracts:
                shown = ", ".join(map(str, orphans.clients[:MAX_LISTED]))
                more = (
                    f" and {len(orphans.clients) - MAX_LISTED} more"
                    if len(orphans.clients) > MAX_LISTED
                    else ""
                )
                problems.insert(
                    0,
                    f"{orphans.contracts} orphan contract(s) of missing client(s) {shown}{more}",
                )
            if problems:
                failing.append(tenant.schema_name)
                self.stdout.write(
                    self.style.ERROR(f"{tenant.schema_name}: {len(problems)} problem(s)")
                )
                for problem in problems:
                    self.stdout.write(f"  {problem}")
            else:
                self.stdout.write(self.style.SUCCESS(f"{tenant.schema_name}: ok"))
        if failing:
            raise CommandError(f"integrity problems in {', '.join(failing)}")
