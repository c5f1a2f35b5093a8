"""Session set-up shared by tests/ and e2e/: real PostgreSQL and MySQL test databases,
the public tenant and two tenants, acme and globex, whose client ids overlap."""

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation
from django_tenants.utils import tenant_context

from data_access.boundary import breaker
from site_config.tenant_middleware import tenants_by_host
from tenancy.models import Tenant
from tenancy.services import ensure_public_tenant, load_countries, provision_tenant

TENANTS = {"acme": ("Acme Corporation", "EUR"), "globex": ("Globex Brasil", "BRL")}
STAFF_PASSWORD = "staff-password-2026"

BOTH_DATABASES = ["default", "mysql"]


def provision_test_tenants() -> None:
    ensure_public_tenant(domain="localhost")
    for schema, (name, currency) in TENANTS.items():
        provision_tenant(
            schema_name=schema,
            name=name,
            currency=currency,
            admin_username="staff",
            admin_password=STAFF_PASSWORD,
        )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> None:
    with django_db_blocker.unblock():
        provision_test_tenants()


@pytest.fixture(autouse=True)
def _back_to_public_schema_and_english() -> Iterator[None]:
    yield
    breaker.reset()
    tenants_by_host.clear()  # tenants are re-created between transactional tests
    connection.set_schema_to_public()
    # LocaleMiddleware activates a request's language for the whole thread.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def acme(db) -> Tenant:
    return Tenant.objects.get(schema_name="acme")


@pytest.fixture
def globex(db) -> Tenant:
    return Tenant.objects.get(schema_name="globex")


@pytest.fixture
def in_acme(acme: Tenant) -> Iterator[Tenant]:
    with tenant_context(acme):
        yield acme


@pytest.fixture
def provisioned_transactional_db(request) -> None:
    """Transactional tests flush public tables (tenants, domains, countries) but
    not tenant schemas: recreate the tenants and countries and empty the tenants'
    tables first."""
    request.getfixturevalue("transactional_db")
    provision_test_tenants()
    load_countries()
    for schema in TENANTS:
        with connection.cursor() as cursor:
            cursor.execute(f'TRUNCATE "{schema}"."data_access_client" RESTART IDENTITY')
