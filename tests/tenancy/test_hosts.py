"""Host names reach their tenant however they are spelled; unknown ones are refused."""

import pytest
from django.test import Client as HttpClient

from conftest import STAFF_PASSWORD

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
