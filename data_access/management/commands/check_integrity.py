"""Check what the databases cannot enforce across PostgreSQL and MySQL.

    manage.py check_integrity [--tenant SCHEMA]

For each tenant: contracts whose client does not exist in the tenant's schema
(orphans), and ClientTotals rows that disagree with the active contracts
(wrong, missing or stale). Exits non-zero when it finds any.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_public_schema_name

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
                stored=aggregates.client_cents(tenant=tenant),
                expected=aggregates.active_totals_by_client(tenant=tenant),
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
