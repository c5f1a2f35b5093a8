"""`migrate` that hands non-tenant aliases to Django's own command.

django-tenants replaces `migrate` with `migrate_schemas`, which sets a schema
on the connection and so fails on the MySQL alias (also when pytest-django
creates the test database). Only the tenant alias goes to django-tenants.
"""

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.utils import get_tenant_database_alias


class Command(MigrateSchemasCommand):
    def execute(self, *args: Any, **options: Any) -> str | None:
        if options.get("database", get_tenant_database_alias()) != get_tenant_database_alias():
            django_migrate = DjangoMigrateCommand(stdout=self.stdout._out, stderr=self.stderr._out)
            defaults = {
                action.dest: action.default
                for action in django_migrate.create_parser("manage.py", "migrate")._actions
            }
            return django_migrate.execute(*args, **{**defaults, **options})
        return super().execute(*args, **options)
