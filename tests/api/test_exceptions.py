"""Every error as JSON: 400 naming each bad parameter, 401 with WWW-Authenticate,
405."""

import pytest
from django.test import Client as HttpClient

from conftest import BOTH_DATABASES
from tests.helpers import ACME, body

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

CLIENT_ENDPOINTS = ["/api/clients/", "/api/clients/stats/", "/api/clients/amounts/"]
AUTHENTICATED_ENDPOINTS = [*CLIENT_ENDPOINTS, "/api/countries/"]


@pytest.mark.parametrize("path", AUTHENTICATED_ENDPOINTS)
def test_anonymous_callers_get_a_json_401(acme, path):
    response = HttpClient(HTTP_HOST=ACME).get(path)
    assert response.status_code == 401
    assert "error" in body(response)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", CLIENT_ENDPOINTS)
@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"page": "0"}, {"page"}),
        ({"page": "two"}, {"page"}),
        ({"per_page": "7"}, {"per_page"}),
        ({"sort": "salary"}, {"sort"}),
        ({"active": "maybe", "has_contracts": "1"}, {"active", "has_contracts"}),
        ({"country": "Chile", "min_total": "-1"}, {"country", "min_total"}),
        ({"min_total": "10", "max_total": "5"}, {"max_total"}),
        ({"min_total": "NaN", "max_total": "1e999"}, {"min_total", "max_total"}),
        ({"q": "x" * 101}, {"q"}),
    ],
)
def test_bad_parameters_are_a_400_naming_each_one(acme_api, path, params, bad):
    response = acme_api.get(path, params)
    assert response.status_code == 400
    errors = body(response)["errors"]
    assert set(errors) == bad
    assert all(isinstance(message, str) and message for m in errors.values() for message in m)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_other_methods_are_a_json_405(acme_api, method):
    response = getattr(acme_api, method)("/api/clients/")
    assert response.status_code == 405
    assert body(response) == {"error": f'Method "{method.upper()}" not allowed.'}
    assert response["Allow"] == "GET, HEAD"
