"""PostgreSQL down: a 503 page (JSON under /api/), no stack trace, and recovery."""

import json

import pytest
from django.test import Client as HttpClient

from conftest import STAFF_PASSWORD
from tests.helpers import postgres_down, postgres_down_after_tenant_lookup

pytestmark = pytest.mark.django_db(databases=["default", "mysql"])


def _assert_outage_page(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    assert [t.name for t in response.templates] == ["503.html"]
    body = response.content.decode()
    assert "Temporarily unavailable" in body
    for leak in ("Traceback", "OperationalError", "Acme", "acme", "staff"):
        assert leak not in body


@pytest.mark.parametrize("host", ["acme.localhost", "localhost"])
def test_pages_answer_503_while_postgresql_is_down_then_recover(acme, host):
    browser = HttpClient()
    with postgres_down():
        _assert_outage_page(browser.get("/", HTTP_HOST=host))
        _assert_outage_page(browser.get("/admin/login/", HTTP_HOST=host))
    assert browser.get("/admin/login/", HTTP_HOST=host).status_code == 200


def test_api_answers_json_503_while_postgresql_is_down(acme):
    with postgres_down():
        response = HttpClient().get("/api/clients/", HTTP_HOST="acme.localhost")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "30"
    assert set(json.loads(response.content)) == {"error"}


def test_a_view_losing_postgresql_after_the_tenant_lookup_answers_503(acme):
    browser = HttpClient()
    assert browser.post(
        "/login/", {"username": "staff", "password": STAFF_PASSWORD}, HTTP_HOST="acme.localhost"
    ).status_code == 302  # fmt: skip
    with postgres_down_after_tenant_lookup():
        _assert_outage_page(browser.get("/", HTTP_HOST="acme.localhost"))
    with postgres_down_after_tenant_lookup():
        api = browser.get("/api/clients/", HTTP_HOST="acme.localhost")
    assert api.status_code == 503 and "error" in json.loads(api.content)
    assert browser.get("/", HTTP_HOST="acme.localhost").status_code == 200
