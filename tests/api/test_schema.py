"""The OpenAPI document is generated from the code and stays true: every route
documented, the table's parameters, the real response and error shapes, and a
schemathesis run against the live document with no failure. Swagger UI is served
from vendored files with no inline script."""

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client as HttpClient
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer2
from hypothesis import HealthCheck, given, settings

from api import urls as api_urls
from conftest import BOTH_DATABASES
from data_access.querying import ClientQuery, InvalidQuery
from site_config.wsgi import application
from tests.helpers import ACME, body, contracts_down, token_client

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

CLIENT_ENDPOINTS = ["/api/clients/", "/api/clients/stats/", "/api/clients/amounts/"]
UNDOCUMENTED_ROUTES = {"docs", "not-found"}  # the Swagger UI page and the JSON 404


@pytest.fixture
def openapi(acme) -> dict[str, Any]:
    return body(HttpClient(HTTP_HOST=ACME).get("/api/schema/"))


def _schema(openapi: dict[str, Any], ref: dict[str, str]) -> dict[str, Any]:
    return openapi["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def _ok_schema(openapi: dict[str, Any], path: str) -> dict[str, Any]:
    ok = openapi["paths"][path]["get"]["responses"]["200"]
    return _schema(openapi, ok["content"]["application/json"]["schema"])


def _example(parameter: dict[str, Any]) -> Any:
    return next(iter(parameter["examples"].values()))["value"]


def test_the_schema_is_served_without_credentials(acme):
    response = HttpClient(HTTP_HOST=ACME).get("/api/schema/")
    assert response.status_code == 200
    generated = SchemaGenerator().get_schema(request=None, public=True)
    assert body(response) == json.loads(OpenApiJsonRenderer2().render(generated))
    # A bad token does not hide it either.
    bad = HttpClient(HTTP_HOST=ACME, HTTP_AUTHORIZATION="Bearer nope").get("/api/schema/")
    assert bad.status_code == 200


def test_every_route_is_documented_and_every_documented_path_routes(openapi):
    routes = {
        f"/api/{pattern.pattern}"
        for pattern in api_urls.urlpatterns
        if pattern.name not in UNDOCUMENTED_ROUTES
    }
    assert routes == set(openapi["paths"])
    for path in openapi["paths"]:
        match = resolve(path, urlconf="site_config.urls_tenant")
        assert match.func.view_class.__module__ == "api.views"


@pytest.mark.parametrize("path", CLIENT_ENDPOINTS)
def test_documented_parameters_are_the_tables_parameters(openapi, path):
    documented = {
        p["name"] for p in openapi["paths"][path]["get"]["parameters"] if p["in"] == "query"
    }
    assert documented == {param.name for param in ClientQuery.PARAMS}


@pytest.mark.parametrize("path", [*CLIENT_ENDPOINTS, "/api/countries/"])
def test_documented_parameters_and_responses_are_true(openapi, acme_clients, acme_api, path):
    parameters = [
        p for p in openapi["paths"][path]["get"].get("parameters", []) if p["in"] == "query"
    ]
    envelope_schema = _ok_schema(openapi, path)
    item_schema = _schema(openapi, envelope_schema["properties"]["results"]["items"])
    calls = [{}] + [{p["name"]: _example(p)} for p in parameters]
    calls += [
        {p["name"]: value, "active": ""}
        for p in parameters
        for value in p["schema"].get("enum", [])
        if p["name"] != "active"
    ]
    for params in calls:
        response = acme_api.get(path, params)
        assert response.status_code == 200, (params, response.content)
        envelope = body(response)
        assert set(envelope) == set(envelope_schema["properties"]), params
        assert set(envelope_schema["required"]) <= set(envelope)
        for item in envelope["results"]:
            assert set(item) == set(item_schema["properties"]) == set(item_schema["required"])
    assert any(body(acme_api.get(path))["results"])  # the item check above ran


@pytest.mark.parametrize("path", CLIENT_ENDPOINTS)
def test_documented_error_shapes_are_true(openapi, acme_clients, acme_api, path):
    responses = openapi["paths"][path]["get"]["responses"]

    def shape(status: str) -> set[str]:
        return set(
            _schema(openapi, responses[status]["content"]["application/json"]["schema"])[
                "properties"
            ]
        )

    bad = body(acme_api.get(path, {"per_page": "3"}))
    assert set(bad) == shape("400")
    anonymous = body(HttpClient(HTTP_HOST=ACME).get(path))
    assert set(anonymous) == shape("401")
    with contracts_down():
        down = acme_api.get(path, {"sort": "-total"})
    # Degraded, not an error: the documented 200 envelope, and no 5xx documented.
    assert down.status_code == 200 and not any(status.startswith("5") for status in responses)
    assert set(body(down)) == shape("200")


# --- schemathesis against the live document --------------------------------------------


@pytest.fixture
def wsgi_application() -> Iterator[Any]:
    """The project's WSGI application, inside the test's transaction: as Django's
    test client does, keep a request from closing the test's connections."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def ranges_in_order(case: Any) -> bool:
    """Each range's low end <= its high end (min_total/max_total, created_from/
    created_to): the one rule across parameters that a schema cannot state (the
    API answers 400 naming the high end)."""
    try:
        ClientQuery.parse(case.query or {})
    except InvalidQuery as invalid:
        return not {bound.high for bound in ClientQuery.RANGES} & set(invalid.errors)
    return True


def test_schemathesis_finds_no_failure_in_the_live_schema(acme, acme_clients, wsgi_application):
    token = token_client(acme, ACME).defaults["HTTP_AUTHORIZATION"]
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/", wsgi_application, headers={"Host": ACME}
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    # Every documented operation but the document's own, which schemathesis leaves out.
    assert {operation.path for operation in operations} == set(CLIENT_ENDPOINTS) | {
        "/api/countries/"
    }
    for operation in operations:

        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(case=operation.as_strategy().filter(ranges_in_order))
        def no_failure(case: Any) -> None:
            # Every check: no 5xx, statuses, content types, headers and bodies as
            # documented, schema-valid requests accepted, auth enforced.
            case.call_and_validate(base_url=f"http://{ACME}", headers={"Authorization": token})

        no_failure()


# --- Swagger UI --------------------------------------------------------------------------


class PageAssets(HTMLParser):
    """The scripts, stylesheets and icons a page loads, and anything inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self._in_script = True
            if attributes.get("src"):
                self.urls.append(attributes["src"])
            else:
                self.inline.append("<script> without src")
        elif tag == "link":
            self.urls.append(attributes["href"] or "")
        elif tag == "style":
            self.inline.append("<style>")
        self.inline += [
            f"{tag} {name}" for name in attributes if name == "style" or name.startswith("on")
        ]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("script text")


def test_swagger_ui_loads_only_same_origin_files_and_no_inline_code(acme):
    browser = HttpClient(HTTP_HOST=ACME)
    page = browser.get("/api/docs/")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assets = PageAssets()
    assets.feed(page.content.decode())
    assert assets.inline == []
    assert len(assets.urls) >= 5  # icon, 2 stylesheets, 2 bundles and the set-up script
    for url in assets.urls:
        assert url.startswith("/") and not url.startswith("//"), url  # same origin
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url  # vendored, present
    (setup,) = [url for url in assets.urls if url.startswith("/api/docs/")]
    script = browser.get(setup)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert '"/api/schema/"' in script.content.decode()
