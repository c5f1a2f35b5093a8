import io

import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

from data_access.models import Client, Contract
from tenancy.models import Domain, Tenant


def _counts() -> dict[str, tuple[int, int]]:
    counts = {}
    for tenant in Tenant.objects.exclude(schema_name="public").order_by("schema_name"):
        with tenant_context(tenant):
            counts[tenant.schema_name] = (Client.objects.count(), Contract.objects.count())
    return counts


@pytest.mark.django_db(transaction=True, databases=["default", "mysql"])
@pytest.mark.usefixtures("provisioned_transactional_db")
def test_setup_demo_provisions_once_and_reuses_everything_after(settings):
    settings.CONTRATA_PORT = 8123  # from CONTRATA_ADDR
    first = io.StringIO()
    call_command("setup_demo", stdout=first, verbosity=0)
    assert (
        "acme           http://acme.localhost:8123/   staff / acme-staff-2026   (reused)"
        in first.getvalue()
    )
    assert "public admin   http://localhost:8123/admin/" in first.getvalue()
    after_first = _counts()
    assert after_first == {"acme": (2000, 20000), "globex": (1500, 15000)}

    second = io.StringIO()
    call_command("setup_demo", stdout=second, verbosity=0)
    assert second.getvalue().count("(reused)") == 2
    assert _counts() == after_first
    assert sorted(Domain.objects.values_list("domain", flat=True)) == [
        "acme.localhost", "globex.localhost", "localhost",
    ]  # fmt: skip
