"""/healthz and /readyz: any host, no login, no tenant data."""

import json

import pytest
from django.test import Client as HttpClient

from tests.helpers import contracts_down, postgres_down

pytestmark = pytest.mark.django_db(databases=["default", "mysql"])
HOSTS = ["acme.localhost", "localhost", "nobody.localhost", "10.0.0.7:8000"]


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_liveness_answers_on_every_host(host, path):
    response = HttpClient().get(path, HTTP_HOST=host)
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


@pytest.mark.parametrize("host", HOSTS)
def test_readiness_checks_both_databases_and_the_cache(host):
    response = HttpClient().get("/readyz", HTTP_HOST=host)
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "checks": {"postgresql": "ok", "mysql": "ok", "cache": "ok"},
    }
    assert "no-store" in response["Cache-Control"]


def test_readiness_is_503_while_mysql_is_down():
    with contracts_down():
        response = HttpClient().get("/readyz/", HTTP_HOST="acme.localhost")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "unavailable"
    assert body["checks"]["mysql"] == "error: OperationalError"
    assert body["checks"]["postgresql"] == "ok"
    assert HttpClient().get("/readyz/", HTTP_HOST="acme.localhost").status_code == 200


def test_readiness_is_503_and_liveness_200_while_postgresql_is_down():
    with postgres_down():
        ready = HttpClient().get("/readyz", HTTP_HOST="acme.localhost")
        alive = HttpClient().get("/healthz", HTTP_HOST="acme.localhost")
    assert ready.status_code == 503
    assert json.loads(ready.content)["checks"]["postgresql"] == "error: OperationalError"
    assert alive.status_code == 200
