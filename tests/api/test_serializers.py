"""Each result's shape: fields, amounts as two-place strings, ISO timestamps."""

import pytest

from conftest import BOTH_DATABASES
from tests.helpers import body

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)


def test_amounts_are_two_place_strings_in_the_tenants_currency(acme_clients, acme_api):
    envelope = body(acme_api.get("/api/clients/amounts/", {"q": "Émile"}))
    assert envelope["currency"] == "EUR"
    assert envelope["results"][0]["total_amount"] == "1237.50"
    envelope = body(acme_api.get("/api/clients/amounts/", {"q": "Carla"}))
    assert envelope["results"][0]["total_amount"] == "0.00"


def test_each_endpoint_shapes_its_rows(acme_clients, acme_api):
    params = {"q": "Émile"}
    [client] = body(acme_api.get("/api/clients/", params))["results"]
    assert client == {
        "id": acme_clients[7].pk,
        "name": "Émile",
        "email": "client7@example.com",
        "country": "FR",
        "created_at": "2025-03-01T12:08:00+00:00",
    }
    [stats] = body(acme_api.get("/api/clients/stats/", params))["results"]
    assert stats == {"id": acme_clients[7].pk, "name": "Émile", "contract_count": 3}
    [country] = [c for c in body(acme_api.get("/api/countries/"))["results"] if c["code"] == "FR"]
    assert country == {"code": "FR", "name": "France"}
