"""Who may read: a token of the tenant, or a staff session of the tenant."""

import pytest
from django.contrib.auth.models import User
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES, STAFF_PASSWORD
from tests.helpers import ACME, ACME_CLIENTS, GLOBEX, body, logged_in, make_clients

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

AUTHENTICATED_ENDPOINTS = [
    "/api/clients/",
    "/api/clients/stats/",
    "/api/clients/amounts/",
    "/api/countries/",
]


def test_a_staff_session_works_on_its_own_tenant_only(acme, globex, acme_clients):
    make_clients(globex, [("Globex only", "BR", True, 1, [("5.00", True)])])
    browser = logged_in(ACME)
    names = {r["name"] for r in body(browser.get("/api/clients/", {"active": ""}))["results"]}
    assert names == {row[0] for row in ACME_CLIENTS}
    for path in AUTHENTICATED_ENDPOINTS:
        assert browser.get(path).status_code == 200
    # The same cookies on globex's host: no such session in that schema. (A browser
    # would not even send them: session cookies are host-only.)
    for path in AUTHENTICATED_ENDPOINTS:
        response = browser.get(path, HTTP_HOST=GLOBEX)
        assert response.status_code == 401 and "Globex only" not in response.content.decode()


def test_a_non_staff_session_gets_a_403(acme):
    with tenant_context(acme):
        User.objects.create_user(username="viewer", password=STAFF_PASSWORD)
    browser = HttpClient(HTTP_HOST=ACME)
    browser.post("/login/", {"username": "viewer", "password": STAFF_PASSWORD})
    response = browser.get("/api/clients/")
    assert response.status_code == 403 and body(response) == {
        "error": "Only staff may use the API."
    }


def test_a_deactivated_staff_users_session_no_longer_opens_the_api(acme):
    browser = logged_in(ACME)
    with tenant_context(acme):
        User.objects.filter(username="staff").update(is_active=False)
    assert browser.get("/api/clients/").status_code == 401
