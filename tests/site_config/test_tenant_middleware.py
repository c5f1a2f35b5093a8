"""Host names reach their tenant however they are spelled; unknown ones are refused;
each process remembers a host's tenant until a domain or tenant changes."""

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from conftest import STAFF_PASSWORD
from tenancy.models import Domain

pytestmark = pytest.mark.django_db(databases=["default", "mysql"])


@pytest.mark.parametrize(
    "host", ["acme.localhost", "ACME.LOCALHOST", "Acme.LocalHost:8000", "acme.localhost."]
)
def test_host_names_match_case_insensitively_and_without_a_trailing_dot(acme, host):
    browser = HttpClient()
    response = browser.post(
        "/login/", {"username": "staff", "password": STAFF_PASSWORD}, HTTP_HOST=host
    )
    assert response.status_code == 302
    page = browser.get("/", HTTP_HOST=host)
    assert page.status_code == 200
    assert page.wsgi_request.tenant.schema_name == "acme"


def test_the_public_host_with_a_trailing_dot_is_the_public_site():
    response = HttpClient().get("/", HTTP_HOST="LOCALHOST.")
    assert response.status_code == 200
    assert response.wsgi_request.tenant.schema_name == "public"


@pytest.mark.parametrize("host", ["evil.example.com", "acme.localhost.evil.com", "127.0.0.1"])
def test_a_host_outside_allowed_hosts_is_a_400(host):
    assert HttpClient().get("/", HTTP_HOST=host).status_code == 400


def test_an_allowed_host_without_a_tenant_is_still_a_404():
    assert HttpClient().get("/", HTTP_HOST="NOBODY.localhost.").status_code == 404


def test_each_process_remembers_the_tenant_of_a_host_until_a_domain_changes(acme, globex):
    browser = HttpClient(HTTP_HOST="acme.localhost")
    browser.get("/login/")
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/login/").status_code == 200
    assert not [q for q in queries if "tenancy_domain" in q["sql"]]
    # Moving the host to another tenant is seen by the next request.
    Domain.objects.filter(domain="acme.localhost").update(domain="old-acme.localhost")
    Domain.objects.create(domain="acme.localhost", tenant=globex, is_primary=False)
    assert browser.get("/login/").wsgi_request.tenant == globex
