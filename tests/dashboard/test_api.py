"""The JSON API against a brute-force oracle, plus auth, errors, headers and schema."""

import datetime
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client as HttpClient
from django.urls import resolve
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES, STAFF_PASSWORD
from dashboard import api_urls
from dashboard.models import ApiToken
from dashboard.openapi import OPENAPI
from data_access import services
from data_access.models import Client, Contract
from data_access.params import ClientQueryForm
from tenancy.models import Country
from tests.mysql_down import contracts_down

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

ACME = "acme.localhost"
GLOBEX = "globex.localhost"
CLIENT_ENDPOINTS = ["/api/clients/", "/api/clients/stats/", "/api/clients/amounts/"]
AUTHENTICATED_ENDPOINTS = [*CLIENT_ENDPOINTS, "/api/countries/"]
SORT_FIELDS = {
    "name": "name",
    "email": "email",
    "country": "country",
    "created": "created_at",
    "contracts": "contract_count",
    "total": "total_amount",
}
BASE_TIME = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC)

# name, country, active, minutes after BASE_TIME, contracts as (amount, active).
# Duplicate names, equal totals and equal counts make the id tie-break matter.
ACME_CLIENTS = [
    ("Ana Lima", "CL", True, 5, [("100.00", True), ("250.50", True)]),
    ("Bruno", "BR", True, 1, [("350.50", True)]),
    ("ana lópez", "ES", False, 9, [("999.99", True), ("10.00", False)]),
    ("Carla", "CL", True, 3, []),
    ("Ana Lima", "CL", True, 5, [("350.50", True)]),
    ("Zoë", "AR", False, 7, []),
    ("Diego", "MX", True, 2, [("0.01", True), ("5.00", False)]),
    ("Émile", "FR", True, 8, [("1234.50", True), ("1.00", True), ("2.00", True)]),
    ("<script>alert(1)</script>", "CL", True, 4, [("42.00", True)]),
    ("bob", "US", True, 6, [("10.00", False)]),
    ("Fern", "CL", True, 10, [("2000.00", True)]),
    ("Gus", "BR", False, 11, [("75.25", True)]),
]


# --- Helpers shared with test_api_fuzz and test_tokens --------------------------


def make_clients(tenant, rows, *, email_domain: str = "example.com") -> list[Client]:
    created = []
    with tenant_context(tenant):
        for index, (name, country, active, minutes, contracts) in enumerate(rows):
            client = Client.objects.create(
                name=name,
                email=f"client{index}@{email_domain}",
                country=country,
                is_active=active,
                created_at=BASE_TIME + datetime.timedelta(minutes=minutes),
            )
            for number, (amount, is_active) in enumerate(contracts):
                services.create_contract(
                    client_id=client.pk, title=f"{name} #{number}", amount=Decimal(amount),
                    signed_on=datetime.date(2026, 1, 5), is_active=is_active,
                )  # fmt: skip
            created.append(client)
    return created


@pytest.fixture
def acme_clients(acme) -> list[Client]:
    return make_clients(acme, ACME_CLIENTS)


def token_client(tenant, host: str) -> HttpClient:
    """A test client sending a fresh API token of `tenant` to `host`."""
    with tenant_context(tenant):
        raw = ApiToken.issue(name="tests")[1]
    return HttpClient(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def acme_api(acme) -> HttpClient:
    return token_client(acme, ACME)


def logged_in(host: str) -> HttpClient:
    browser = HttpClient(HTTP_HOST=host)
    response = browser.post("/login/", {"username": "staff", "password": STAFF_PASSWORD})
    assert response.status_code == 302
    return browser


def body(response) -> Any:
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


# --- Oracle ----------------------------------------------------------------------


def oracle_rows(tenant) -> list[dict[str, Any]]:
    """Every client with its active-contract count and total, from the raw rows."""
    with tenant_context(tenant):
        clients = list(Client.objects.values())
        contracts = list(Contract.unscoped.filter(tenant_id=tenant.pk).values())
    rows = []
    for client in clients:
        mine = [c for c in contracts if c["client_id"] == client["id"] and c["is_active"]]
        total = sum((c["amount"] for c in mine), Decimal("0.00"))
        rows.append({**client, "contract_count": len(mine), "total_amount": total})
    return rows


def oracle(tenant, params: dict[str, str], *, default_active: bool = False) -> list[dict]:
    rows = oracle_rows(tenant)
    active = params.get("active", "yes" if default_active else "")
    needle = params.get("q", "").upper()
    if needle:
        rows = [r for r in rows if needle in r["name"].upper() or needle in r["email"].upper()]
    if params.get("country"):
        rows = [r for r in rows if r["country"] == params["country"].upper()]
    if active:
        rows = [r for r in rows if r["is_active"] == (active == "yes")]
    if params.get("has_contracts"):
        wanted = params["has_contracts"] == "yes"
        rows = [r for r in rows if (r["contract_count"] > 0) == wanted]
    if params.get("min_total"):
        rows = [r for r in rows if r["total_amount"] >= Decimal(params["min_total"])]
    if params.get("max_total"):
        rows = [r for r in rows if r["total_amount"] <= Decimal(params["max_total"])]
    sort = params.get("sort", "name")
    field = SORT_FIELDS[sort.lstrip("-")]
    rows.sort(key=lambda r: (r[field], r["id"]), reverse=sort.startswith("-"))
    return rows


def walk(api: HttpClient, path: str, params: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """Every result of every page, following `next` links; and the envelopes."""
    response = api.get(path, params)
    envelopes, results = [], []
    while True:
        assert response.status_code == 200, response.content
        envelope = body(response)
        envelopes.append(envelope)
        results.extend(envelope["results"])
        if envelope["next"] is None:
            return results, envelopes
        link = urlsplit(envelope["next"])
        assert (link.scheme, link.netloc, link.path) == ("http", ACME, path)
        response = api.get(f"{link.path}?{link.query}")


QUERIES = [
    {},
    {"active": ""},
    {"active": "no"},
    {"sort": "-name", "per_page": "10", "active": ""},
    {"q": "an", "active": ""},
    {"country": "cl"},
    {"sort": "-total", "active": "", "per_page": "10"},
    {"sort": "contracts", "per_page": "10", "active": ""},
    {"sort": "-contracts", "per_page": "10"},
    {"has_contracts": "yes", "sort": "email"},
    {"has_contracts": "no", "active": ""},
    {"min_total": "100", "max_total": "1000", "sort": "-created", "active": ""},
    {"min_total": "350.50", "sort": "total", "q": "a", "per_page": "10", "active": ""},
    {"sort": "country", "per_page": "10", "active": ""},
]


@pytest.mark.parametrize("params", QUERIES)
def test_clients_match_the_oracle_page_by_page(acme, acme_clients, acme_api, params):
    results, envelopes = walk(acme_api, "/api/clients/", params)
    expected = oracle(acme, params, default_active=True)
    assert results == [
        {
            "id": r["id"],
            "name": r["name"],
            "email": r["email"],
            "country": r["country"],
            "created_at": r["created_at"].isoformat(),
        }
        for r in expected
    ]
    assert {e["count"] for e in envelopes} == {len(expected)}
    assert envelopes[0]["previous"] is None
    per_page = int(params.get("per_page", 25))
    assert len(envelopes) == max(1, -(-len(expected) // per_page))


@pytest.mark.parametrize("params", QUERIES)
def test_stats_and_amounts_match_the_oracle(acme, acme_clients, acme_api, params):
    expected = oracle(acme, params)
    stats, _ = walk(acme_api, "/api/clients/stats/", params)
    assert stats == [
        {"id": r["id"], "name": r["name"], "contract_count": r["contract_count"]} for r in expected
    ]
    amounts, envelopes = walk(acme_api, "/api/clients/amounts/", params)
    assert amounts == [
        {"id": r["id"], "name": r["name"], "total_amount": f"{r['total_amount']:.2f}"}
        for r in expected
    ]
    assert {e["currency"] for e in envelopes} == {"EUR"}


def test_clients_default_to_active_ones_and_say_so_in_their_links(acme_clients, acme_api):
    active = body(acme_api.get("/api/clients/", {"per_page": 10, "page": 2}))
    everyone = body(acme_api.get("/api/clients/", {"per_page": 10, "active": ""}))
    assert (active["count"], everyone["count"]) == (9, 12)
    assert active["previous"] == "http://acme.localhost/api/clients/?active=yes&per_page=10"
    # "all" survives the trip through the next link instead of becoming "active only".
    follow = urlsplit(everyone["next"])
    second = body(acme_api.get(follow.path + "?" + follow.query))
    assert second["count"] == 12 and len(second["results"]) == 2
    assert "active=" in follow.query


def test_amounts_are_two_place_strings_in_the_tenants_currency(acme_clients, acme_api):
    envelope = body(acme_api.get("/api/clients/amounts/", {"q": "Émile"}))
    assert envelope["currency"] == "EUR"
    assert envelope["results"][0]["total_amount"] == "1237.50"
    envelope = body(acme_api.get("/api/clients/amounts/", {"q": "Carla"}))
    assert envelope["results"][0]["total_amount"] == "0.00"


def test_previous_links_and_pages_past_the_end(acme_clients, acme_api):
    second = body(acme_api.get("/api/clients/", {"per_page": 10, "page": 2, "active": ""}))
    assert second["next"] is None
    assert second["previous"] == "http://acme.localhost/api/clients/?per_page=10&active="
    beyond = body(acme_api.get("/api/clients/", {"per_page": 10, "page": 9, "active": ""}))
    assert beyond["results"] == [] and beyond["count"] == 12
    assert "page=2" in beyond["previous"]


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


def test_each_tenant_sees_only_its_own_clients(acme, globex, acme_clients, acme_api):
    make_clients(globex, [("Gus of Globex", "BR", True, 1, [("7.00", True)])])
    with tenant_context(globex):
        globex_token = ApiToken.issue(name="globex")[1]
    globex_api = HttpClient(HTTP_HOST=GLOBEX, HTTP_AUTHORIZATION=f"Bearer {globex_token}")
    globex_amounts = body(globex_api.get("/api/clients/amounts/"))
    acme_amounts = body(acme_api.get("/api/clients/amounts/", {"per_page": 100}))
    assert globex_amounts["results"] == [
        {"id": globex_amounts["results"][0]["id"], "name": "Gus of Globex", "total_amount": "7.00"}
    ]
    assert globex_amounts["currency"] == "BRL"
    assert "Gus of Globex" not in {r["name"] for r in acme_amounts["results"]}


def test_countries_are_the_same_on_every_tenant_host(acme, globex, acme_api):
    acme_countries = body(acme_api.get("/api/countries/"))
    globex_countries = body(logged_in(GLOBEX).get("/api/countries/"))
    assert acme_countries == globex_countries
    assert acme_countries["results"] == [
        {"code": code, "name": name}
        for code, name in Country.objects.order_by("code").values_list("code", "name")
    ]
    assert (
        acme_countries["count"] > 200
        and {"code": "CL", "name": "Chile"} in (acme_countries["results"])
    )


@pytest.mark.parametrize("path", AUTHENTICATED_ENDPOINTS)
def test_anonymous_callers_get_a_json_401(acme, path):
    response = HttpClient(HTTP_HOST=ACME).get(path)
    assert response.status_code == 401
    assert "error" in body(response)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_non_staff_session_gets_a_403(acme):
    with tenant_context(acme):
        from django.contrib.auth.models import User

        User.objects.create_user(username="viewer", password=STAFF_PASSWORD)
    browser = HttpClient(HTTP_HOST=ACME)
    browser.post("/login/", {"username": "viewer", "password": STAFF_PASSWORD})
    response = browser.get("/api/clients/")
    assert response.status_code == 403 and body(response) == {
        "error": "Only staff may use the API."
    }


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


def test_only_get_is_allowed(acme_api):
    response = acme_api.post("/api/clients/")
    assert response.status_code == 405 and "error" in body(response)
    assert response["Allow"] == "GET, HEAD"
    assert acme_api.head("/api/clients/").status_code == 200


def test_mysql_down_stats_and_amounts_503_clients_keep_working(acme, acme_clients, acme_api):
    params = {"sort": "-email", "q": "ANA", "active": ""}
    expected = oracle(acme, params)
    assert len(expected) == 3
    with contracts_down():
        for path in ["/api/clients/stats/", "/api/clients/amounts/"]:
            response = acme_api.get(path)
            assert response.status_code == 503
            assert "contract" in body(response)["error"].lower()
            assert response["Retry-After"]
        response = acme_api.get("/api/clients/", params)
        assert response.status_code == 200
        assert [r["id"] for r in body(response)["results"]] == [r["id"] for r in expected]
        # An order that only MySQL knows cannot be served.
        assert acme_api.get("/api/clients/", {"sort": "total"}).status_code == 503
        assert acme_api.get("/api/clients/", {"has_contracts": "yes"}).status_code == 503
    assert acme_api.get("/api/clients/stats/").status_code == 200


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/clients/", {}),
        ("/api/clients/amounts/", {}),
        ("/api/countries/", {}),
        ("/api/schema/", {}),
        ("/api/clients/", {"page": "0"}),
        ("/api/clients/", {"_": "anonymous"}),
    ],
)
def test_responses_are_private_json_varying_on_credentials(acme_api, path, params):
    api = HttpClient(HTTP_HOST=ACME) if params.get("_") == "anonymous" else acme_api
    response = api.get(path, params)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    vary = {part.strip().lower() for part in response["Vary"].split(",")}
    assert {"authorization", "cookie"} <= vary
    body(response)


def test_client_data_is_never_echoed_as_markup(acme_clients, acme_api):
    response = acme_api.get("/api/clients/", {"q": "<script>"})
    assert b"<script" not in response.content.lower()
    assert [r["name"] for r in body(response)["results"]] == ["<script>alert(1)</script>"]
    response = acme_api.get("/api/clients/", {"sort": "<script>"})
    assert response.status_code == 400 and b"<script" not in response.content.lower()


# --- The OpenAPI document stays true --------------------------------------------


def _schema(ref: dict[str, str]) -> dict[str, Any]:
    return OPENAPI["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def _ok_schema(path: str) -> dict[str, Any]:
    ok = OPENAPI["paths"][path]["get"]["responses"]["200"]
    return _schema(ok["content"]["application/json"]["schema"])


def test_the_schema_is_served_without_credentials(acme):
    response = HttpClient(HTTP_HOST=ACME).get("/api/schema/")
    assert response.status_code == 200
    assert body(response) == OPENAPI


def test_every_route_is_documented_and_every_documented_path_routes():
    routes = {f"/api/{pattern.pattern}" for pattern in api_urls.urlpatterns}
    assert routes == set(OPENAPI["paths"])
    for path in OPENAPI["paths"]:
        assert resolve(path, urlconf="site_config.urls_tenant").func.__module__ == "dashboard.api"


@pytest.mark.parametrize("path", CLIENT_ENDPOINTS)
def test_documented_parameters_are_the_tables_parameters(path):
    documented = {p["name"] for p in OPENAPI["paths"][path]["get"]["parameters"]}
    assert documented == set(ClientQueryForm.base_fields)


@pytest.mark.parametrize("path", [p for p in OPENAPI["paths"] if p != "/api/schema/"])
def test_documented_parameters_and_responses_are_true(acme_clients, acme_api, path):
    parameters = OPENAPI["paths"][path]["get"]["parameters"]
    envelope_schema = _ok_schema(path)
    item_schema = _schema(envelope_schema["properties"]["results"]["items"])
    calls = [{}] + [{p["name"]: p["example"]} for p in parameters]
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
def test_documented_error_shapes_are_true(acme_clients, acme_api, path):
    responses = OPENAPI["paths"][path]["get"]["responses"]
    bad = body(acme_api.get(path, {"per_page": "3"}))
    assert set(bad) == set(
        _schema(responses["400"]["content"]["application/json"]["schema"])["properties"]
    )
    anonymous = body(HttpClient(HTTP_HOST=ACME).get(path))
    assert set(anonymous) == set(
        _schema(responses["401"]["content"]["application/json"]["schema"])["properties"]
    )
    with contracts_down():
        down = acme_api.get(path, {"sort": "-total"})
    assert down.status_code == 503 and "503" in responses
    assert set(body(down)) == set(
        _schema(responses["503"]["content"]["application/json"]["schema"])["properties"]
    )
