import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_tenants.utils import schema_context, schema_exists

from tenancy.models import Domain, Tenant

pytestmark = pytest.mark.django_db(databases=["default", "mysql"])


def test_provision_tenant_creates_schema_domain_and_staff_user_and_is_safe_twice():
    out = io.StringIO()
    call_command(
        "provision_tenant", "initech", "--currency=USD", "--admin-password=pw-123456", stdout=out
    )
    assert "tenant initech: created; user staff: created" in out.getvalue()
    tenant = Tenant.objects.get(schema_name="initech")
    assert tenant.currency == "USD"
    assert schema_exists("initech")
    assert Domain.objects.get(tenant=tenant).domain == "initech.localhost"
    with schema_context("initech"):
        assert get_user_model().objects.get(username="staff").is_staff

    out = io.StringIO()
    call_command("provision_tenant", "initech", "--admin-password=pw-123456", stdout=out)
    assert "tenant initech: exists; user staff: exists" in out.getvalue()
    assert Tenant.objects.filter(schema_name="initech").count() == 1
    assert Domain.objects.filter(tenant=tenant).count() == 1
    # PostgreSQL DDL is transactional: the test's rollback drops the schema again.
