"""Which tenant the current code runs for, as far as contracts are concerned."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django_tenants.utils import get_public_schema_name, tenant_context

from tenancy.models import Tenant


class NoTenantError(RuntimeError):
    """Contracts were touched with no tenant active and none named."""


def current_tenant() -> Tenant:
    schema = connection.schema_name
    if not schema or schema == get_public_schema_name():
        raise NoTenantError(
            "No tenant is active: contracts can only be read or written inside a tenant "
            "(a tenant host, schema_context(...)) or with tenant=... named explicitly."
        )
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant) and tenant.pk is not None:
        return tenant
    # schema_context() activates a schema with a stand-in tenant object.
    return Tenant.objects.get(schema_name=schema)


def resolve_tenant(tenant: Tenant | None) -> Tenant:
    return tenant if tenant is not None else current_tenant()


@contextmanager
def tenant_schema(tenant: Tenant) -> Iterator[None]:
    """tenant_context(tenant), without a switch when the connection is already in the
    tenant's schema: every switch makes django-tenants send SET search_path again
    before the next query, one more round trip per selector on each request."""
    if connection.schema_name == tenant.schema_name:
        yield
        return
    with tenant_context(tenant):
        yield
