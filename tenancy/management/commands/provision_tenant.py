from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenancy.models import CURRENCIES
from tenancy.services import provision_tenant


class Command(BaseCommand):
    help = "Create a tenant with its domain, schema and first staff user. Safe to run twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("schema_name", help="lowercase letters, digits and underscores")
        parser.add_argument("--name", help="display name (default: the schema name)")
        parser.add_argument("--currency", default="EUR", choices=[code for code, _ in CURRENCIES])
        parser.add_argument("--domain", help="host name (default: <schema>.<BASE_DOMAIN>)")
        parser.add_argument("--admin-username", default="staff")
        parser.add_argument("--admin-password", required=True)
        parser.add_argument("--admin-email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        result = provision_tenant(
            schema_name=options["schema_name"],
            name=options["name"] or options["schema_name"].title(),
            currency=options["currency"],
            domain=options["domain"],
            admin_username=options["admin_username"],
            admin_password=options["admin_password"],
            admin_email=options["admin_email"],
        )
        tenant = result.tenant
        self.stdout.write(
            f"tenant {tenant.schema_name}: {'created' if result.tenant_created else 'exists'}; "
            f"user {options['admin_username']}: {'created' if result.user_created else 'exists'}"
        )
