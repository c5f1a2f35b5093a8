import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from demo.seeding import TenantNotEmpty, seed_tenant
from tenancy.models import Tenant


class Command(BaseCommand):
    help = "Bulk-load deterministic demo clients (PostgreSQL) and contracts (MySQL) into a tenant."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="schema name")
        parser.add_argument("--clients", type=int, default=2_000)
        parser.add_argument("--contracts", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--until", type=datetime.date.fromisoformat, help="last signing date (default: today)"
        )
        parser.add_argument("--replace", action="store_true", help="delete the tenant's data first")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clients"] < 0 or options["contracts"] < 0:
            raise CommandError("--clients and --contracts must be >= 0")
        if options["contracts"] and not options["clients"]:
            raise CommandError("contracts need clients")
        try:
            tenant = Tenant.objects.get(schema_name=options["tenant"])
        except Tenant.DoesNotExist:
            raise CommandError(f"no tenant {options['tenant']!r}") from None
        started = time.perf_counter()
        with tqdm(
            total=options["clients"] + options["contracts"], unit="rows", unit_scale=True,
            desc=f"seeding {tenant.schema_name}", disable=options["verbosity"] == 0,
        ) as bar:  # fmt: skip
            try:
                result = seed_tenant(
                    tenant=tenant,
                    clients=options["clients"],
                    contracts=options["contracts"],
                    seed=options["seed"],
                    until=options["until"],
                    replace=options["replace"],
                    progress=bar.update,
                )
            except TenantNotEmpty as error:
                raise CommandError(str(error)) from None
        self.stdout.write(
            f"{tenant.schema_name}: {result.clients} clients, {result.contracts} contracts "
            f"({result.clients_without_contracts} clients without contracts) "
            f"in {time.perf_counter() - started:.1f} s"
        )
