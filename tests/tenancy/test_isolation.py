import datetime
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES, STAFF_PASSWORD
from data_access import services
from data_access.models import Client, Contract
from data_access.tenants import NoTenantError
from tenancy.models import Country

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)


def _client_with_contract(
    tenant, name: str, amount: str, *, client_id: int | None = None
) -> Client:
    with tenant_context(tenant):
        client = Client.objects.create(
            id=client_id, name=name, email=f"{name.lower()}@example.com", country="CL"
        )
        services.create_contract(
            client_id=client.pk, title=f"{name} deal", amount=Decimal(amount),
            signed_on=datetime.date(2026, 1, 5),
        )  # fmt: skip
    return client


def test_tenants_with_overlapping_client_ids_never_see_each_others_rows(acme, globex):
    # The same id in both schemas: only the tenant keeps the rows apart.
    acme_client = _client_with_contract(acme, "Ada", "100.00", client_id=7)
    globex_client = _client_with_contract(globex, "Gus", "999.99", client_id=7)
    assert acme_client.pk == globex_client.pk

    with tenant_context(acme):
        assert list(Client.objects.values_list("name", flat=True)) == ["Ada"]
        assert [c.title for c in Contract.objects.all()] == ["Ada deal"]
    with tenant_context(globex):
        assert list(Client.objects.values_list("name", flat=True)) == ["Gus"]
        assert [c.amount for c in Contract.objects.all()] == [Decimal("999.99")]


def test_contracts_outside_a_tenant_raise_a_clear_error():
    with pytest.raises(NoTenantError, match="No tenant is active"):
        list(Contract.objects.all())
    with pytest.raises(NoTenantError):
        services.create_contract(
            client_id=1, title="x", amount=Decimal(1), signed_on=datetime.date(2026, 1, 1)
        )


def test_countries_are_shared_from_the_public_schema(acme, globex):
    with tenant_context(acme):
        acme_countries = list(Country.objects.values_list("code", "name"))
    with tenant_context(globex):
        globex_countries = list(Country.objects.values_list("code", "name"))
    assert acme_countries == globex_countries
    assert ("CL", "Chile") in acme_countries and len(acme_countries) > 200


def test_unknown_host_is_a_404():
    response = HttpClient().get("/", HTTP_HOST="nobody.localhost")
    assert response.status_code == 404


def test_public_host_shows_no_tenant_data(acme):
    _client_with_contract(acme, "Secretive", "5.00")
    response = HttpClient().get("/", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert b"Secretive" not in response.content
    assert HttpClient().get("/admin/", HTTP_HOST="localhost", follow=True).status_code == 200


def test_tenant_pages_need_a_login_of_that_tenant(acme, globex):
    browser = HttpClient()
    assert browser.get("/", HTTP_HOST="acme.localhost").status_code == 302
    response = browser.post(
        "/login/", {"username": "staff", "password": STAFF_PASSWORD}, HTTP_HOST="acme.localhost"
    )
    assert response.status_code == 302
    assert browser.get("/", HTTP_HOST="acme.localhost").status_code == 200
    # The same cookie jar on another tenant's host: that schema has no such session.
    assert browser.get("/", HTTP_HOST="globex.localhost").status_code == 302
    assert response.cookies["sessionid"]["domain"] == ""
