"""Provision the public site and the demo tenants acme and globex. Idempotent."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from data_access.models import Client
from tenancy.services import (
    ensure_public_tenant,
    ensure_staff_user,
    provision_tenant,
    tenant_domain,
)

PUBLIC_ADMIN = ("admin", "contrata-admin")
DEMO_TENANTS = [
    # schema, name, currency, password, clients, contracts, seed
    ("acme", "Acme Corporation", "EUR", "acme-staff-2026", 2_000, 20_000, 1),
    ("globex", "Globex Brasil", "BRL", "globex-staff-2026", 1_500, 15_000, 2),
]


class Command(BaseCommand):
    help = "Create the public site, the acme and globex tenants, their staff logins and demo data."

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_public_tenant()
        with schema_context("public"):
            ensure_staff_user(username=PUBLIC_ADMIN[0], password=PUBLIC_ADMIN[1])
        # The address `make run` serves on (CONTRATA_ADDR), as a browser reaches it.
        port = settings.CONTRATA_PORT
        lines = [
            f"  public admin   http://{settings.BASE_DOMAIN}:{port}/admin/   "
            f"{PUBLIC_ADMIN[0]} / {PUBLIC_ADMIN[1]}"
        ]
        for schema, name, currency, password, clients, contracts, seed in DEMO_TENANTS:
            result = provision_tenant(
                schema_name=schema, name=name, currency=currency,
                admin_username="staff", admin_password=password,
            )  # fmt: skip
            with schema_context(schema):
                empty = not Client.objects.exists()
            if empty:
                call_command(
                    "seed_demo", tenant=schema, clients=clients, contracts=contracts, seed=seed,
                    verbosity=options["verbosity"],
                )  # fmt: skip
            state = "created" if result.tenant_created else "reused"
            lines.append(
                f"  {schema:<14} http://{tenant_domain(schema)}:{port}/   staff / {password}   ({state})"
            )
        self.stdout.write("\nDemo logins:\n" + "\n".join(lines) + "\n")
