"""The API's routes on a tenant host; anything else under /api/ is a JSON 404."""

import pytest
from django.test import Client as HttpClient
from django.urls import resolve

from conftest import BOTH_DATABASES
from tests.helpers import ACME, body, logged_in

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)


@pytest.mark.parametrize(
    "path", ["/api/", "/api/nope/", "/api/clients/1/", "/api/clients", "/api/<script>/"]
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_paths_under_api_are_a_json_404(acme, acme_api, path, method):
    for caller in (acme_api, HttpClient(HTTP_HOST=ACME)):
        response = getattr(caller, method)(path)
        assert response.status_code == 404
        assert body(response) == {"error": "No such API endpoint."}


def test_pages_outside_api_keep_their_own_404(acme):
    assert resolve("/api/anything/", urlconf="site_config.urls_tenant").url_name == "not-found"
    response = logged_in(ACME).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
