"""Writes for tenancy: provisioning tenants and their first staff user."""

from dataclasses import dataclass

import pycountry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from tenancy.models import Country, Domain, Tenant


@dataclass(frozen=True, slots=True)
class Provisioned:
    tenant: Tenant
    tenant_created: bool
    user_created: bool


def load_countries(*, model: type[Country] = Country) -> None:
    """Fill the shared country list from ISO 3166 (pycountry); keeps existing rows.

    `model` lets the data migration pass its historical model."""
    model.objects.bulk_create(
        [
            model(code=c.alpha_2, name=getattr(c, "common_name", c.name))
            for c in pycountry.countries
        ],
        ignore_conflicts=True,
    )


def tenant_domain(schema_name: str) -> str:
    return f"{schema_name}.{settings.BASE_DOMAIN}"


def ensure_public_tenant(*, domain: str | None = None) -> Tenant:
    """The public schema's tenant row and its domain (the platform host)."""
    with schema_context(get_public_schema_name()):
        tenant, _ = Tenant.objects.get_or_create(
            schema_name=get_public_schema_name(), defaults={"name": "Contrata platform"}
        )
        Domain.objects.get_or_create(
            domain=domain or settings.BASE_DOMAIN, defaults={"tenant": tenant, "is_primary": True}
        )
    return tenant


def ensure_staff_user(*, username: str, password: str, email: str = "") -> bool:
    """Create a superuser in the current schema unless it exists. True if created."""
    users = get_user_model().objects
    if users.filter(username=username).exists():
        return False
    users.create_superuser(username=username, email=email, password=password)
    return True


def provision_tenant(
    *,
    schema_name: str,
    name: str,
    currency: str = "EUR",
    domain: str | None = None,
    admin_username: str,
    admin_password: str,
    admin_email: str = "",
) -> Provisioned:
    """Create a tenant with its schema, domain and first staff user. Safe to repeat."""
    with schema_context(get_public_schema_name()), transaction.atomic():
        tenant = Tenant.objects.filter(schema_name=schema_name).first()
        tenant_created = tenant is None
        if tenant is None:
            tenant = Tenant(schema_name=schema_name, name=name, currency=currency)
            tenant.save(verbosity=0)  # creates and migrates the schema
        Domain.objects.get_or_create(
            domain=domain or tenant_domain(schema_name),
            defaults={"tenant": tenant, "is_primary": True},
        )
    with schema_context(schema_name):
        user_created = ensure_staff_user(
            username=admin_username, password=admin_password, email=admin_email
        )
    return Provisioned(tenant=tenant, tenant_created=tenant_created, user_created=user_created)
