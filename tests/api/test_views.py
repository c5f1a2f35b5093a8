"""The API's endpoints against the tests' oracle, page by page, plus tenants,
contracts down, response headers, the browsable API, and property tests: whatever
a caller sends, the API answers JSON, never a 5xx (MySQL down included), and
never echoes input as markup."""

import json
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.models import ApiToken
from conftest import BOTH_DATABASES
from data_access.querying import CLIENT_COLUMNS, MAX_PAGE, PAGE_SIZES, ClientQuery
from data_access.selectors.clients import ClientRow
from tenancy.models import Country
from tests.helpers import (
    ACME,
    ACME_CLIENTS,
    GLOBEX,
    body,
    contracts_down,
    logged_in,
    make_clients,
    token_client,
)
from tests.oracle import oracle

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

CLIENT_ENDPOINTS = ["/api/clients/", "/api/clients/stats/", "/api/clients/amounts/"]
AUTHENTICATED_ENDPOINTS = [*CLIENT_ENDPOINTS, "/api/countries/"]


def expected(tenant, params: dict[str, str], *, default_active: bool = False) -> list[ClientRow]:
    """Every row the query asks for, in order, from the oracle (/api/clients/
    lists active clients unless `active` is given)."""
    if default_active:
        params = {"active": "yes", **params}
    query = ClientQuery.parse(params).with_changes(page=1, page_size=MAX_PAGE)
    with tenant_context(tenant):
        return oracle(query)[0]


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
    rows = expected(acme, params, default_active=True)
    assert results == [
        {
            "id": r.id,
            "name": r.name,
            "email": r.email,
            "country": r.country,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]
    assert {e["count"] for e in envelopes} == {len(rows)}
    assert envelopes[0]["previous"] is None
    per_page = int(params.get("per_page", 25))
    assert len(envelopes) == max(1, -(-len(rows) // per_page))


@pytest.mark.parametrize("params", QUERIES)
def test_stats_and_amounts_match_the_oracle(acme, acme_clients, acme_api, params):
    rows = expected(acme, params)
    stats, _ = walk(acme_api, "/api/clients/stats/", params)
    assert stats == [{"id": r.id, "name": r.name, "contract_count": r.contract_count} for r in rows]
    amounts, envelopes = walk(acme_api, "/api/clients/amounts/", params)
    assert amounts == [
        {"id": r.id, "name": r.name, "total_amount": f"{r.total_amount:.2f}"} for r in rows
    ]
    assert {e["currency"] for e in envelopes} == {"EUR"}


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


def test_only_get_is_allowed(acme_api):
    response = acme_api.post("/api/clients/")
    assert response.status_code == 405 and "error" in body(response)
    assert response["Allow"] == "GET, HEAD"
    assert acme_api.head("/api/clients/").status_code == 200


def test_mysql_down_every_client_page_degrades_and_says_so(acme, acme_clients, acme_api):
    params = {"sort": "-email", "q": "ANA", "active": ""}
    rows = expected(acme, params)
    assert len(rows) == 3
    up = body(acme_api.get("/api/clients/stats/", params))
    assert up["contracts_available"] is True and up["contract_terms_dropped"] is False
    with contracts_down():
        stats = body(acme_api.get("/api/clients/stats/", params))
        amounts = acme_api.get("/api/clients/amounts/", params)
        clients = body(acme_api.get("/api/clients/", params))
        # An order or a filter that only MySQL knows is dropped, as on the dashboard,
        # and the envelope says so: the rows are then sorted by name.
        by_total = acme_api.get(
            "/api/clients/amounts/", {"sort": "-total", "active": "", "per_page": "10"}
        )
        filtered = body(acme_api.get("/api/clients/", {"min_total": "1", "q": "ANA"}))
    assert stats["results"] == [{"id": r.id, "name": r.name, "contract_count": None} for r in rows]
    assert stats["contracts_available"] is False and stats["contract_terms_dropped"] is False
    assert amounts.status_code == 200 and "Retry-After" not in amounts
    assert [r["total_amount"] for r in body(amounts)["results"]] == [None, None, None]
    assert [r["id"] for r in clients["results"]] == [r.id for r in rows]
    by_name = expected(acme, {"sort": "name", "active": ""})
    assert by_total.status_code == 200
    assert body(by_total)["contract_terms_dropped"] is True
    assert [r["id"] for r in body(by_total)["results"]] == [r.id for r in by_name][:10]
    assert body(by_total)["next"].endswith("?page=2&per_page=10")  # by name, the default
    ana = expected(acme, {"q": "ANA"}, default_active=True)
    assert filtered["contract_terms_dropped"] is True
    assert [r["id"] for r in filtered["results"]] == [r.id for r in ana]
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


def test_staff_sessions_get_the_browsable_api(acme, acme_clients):
    browser = logged_in(ACME)
    for path in AUTHENTICATED_ENDPOINTS:
        response = browser.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
    page = browser.get("/api/clients/amounts/", {"q": "Émile"}, HTTP_ACCEPT="text/html")
    assert "1237.50" in page.content.decode()
    # Callers that ask for JSON (or for nothing in particular) get JSON.
    assert body(browser.get("/api/clients/amounts/", {"q": "Émile"}))["count"] == 1


# --- Property tests --------------------------------------------------------------------

ENDPOINTS = [*AUTHENTICATED_ENDPOINTS, "/api/schema/"]
PARAMS = sorted(param.name for param in ClientQuery.PARAMS)
SORT_KEYS = [column.key for column in CLIENT_COLUMNS]
FUZZ = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

MARKUP = "<script>alert(1)</script>"
plausible = st.sampled_from(
    ["", "yes", "no", "-", "0", "-1", "1", "99999999999999999", "1e999", "NaN", "Infinity",
     "1.005", "0.001", " 10 ", "CL", "cl", "ÇL", "ß", "Ⅻ", "١٢", "\uff11\uff12", "\x00", "\u202e",
     "%00", "' OR 1=1 --", MARKUP, "\"><img src=x onerror=alert(1)>"]
    + [str(size) for size in PAGE_SIZES]
    + [prefix + key for key in SORT_KEYS for prefix in ("", "-", "--", "+")]
)  # fmt: skip
value = st.one_of(
    plausible,
    st.text(max_size=120),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.builds(lambda a, b: a + MARKUP + b, st.text(max_size=5), st.text(max_size=5)),
)
values = st.one_of(value, st.lists(value, min_size=1, max_size=3))
params = st.dictionaries(
    st.one_of(st.sampled_from(PARAMS), st.text(max_size=8)), values, max_size=len(PARAMS) + 2
)


@pytest.fixture
def api(acme) -> HttpClient:
    make_clients(acme, ACME_CLIENTS)
    return token_client(acme, ACME)


def check(response, sent: dict, *, allowed: set[int]) -> None:
    assert response.status_code in allowed, (sent, response.status_code, response.content)
    assert response["Content-Type"] == "application/json"
    assert b"<script" not in response.content.lower(), response.content
    payload = json.loads(response.content)
    if response.status_code == 400:
        assert set(payload["errors"]) <= set(sent) & set(PARAMS)


@pytest.mark.parametrize("path", ENDPOINTS)
@FUZZ
@given(sent=params)
def test_random_parameters_never_break_an_endpoint(api, path, sent):
    check(api.get(path, sent), sent, allowed={200, 400})


@pytest.mark.parametrize("path", ENDPOINTS[:3])
@FUZZ
@given(sent=params)
def test_random_parameters_with_mysql_down(api, path, sent):
    with contracts_down():
        response = api.get(path, sent)
    check(response, sent, allowed={200, 400})


@FUZZ
@given(raw=st.text(alphabet=st.sampled_from("%&=+;?#/ax0-9ÿ<>\x00"), max_size=60))
def test_malformed_query_strings(api, raw):
    # Broken %-escapes and separators, kept as sent (only what HTTP itself forbids is quoted).
    query = quote(raw, safe="%&=+;?/<>")
    response = api.get("/api/clients/?" + query)
    check(response, dict(parse_qsl(query, keep_blank_values=True)), allowed={200, 400})


valid_query = st.fixed_dictionaries(
    {},
    optional={
        "q": st.sampled_from(["a", "AN", "lima", "example", "zz", "ó"]),
        "country": st.sampled_from(["cl", "BR", "es", "XX"]),
        "active": st.sampled_from(["", "yes", "no"]),
        "has_contracts": st.sampled_from(["", "yes", "no"]),
        "min_total": st.sampled_from(["0", "10", "350.50", "1000"]),
        "max_total": st.sampled_from(["2000", "5000.00", "999999"]),
        "sort": st.sampled_from([p + k for k in SORT_KEYS for p in ("", "-")]),
        "page": st.integers(min_value=1, max_value=3).map(str),
        "per_page": st.just("10"),
    },
)


@FUZZ
@given(sent=valid_query)
def test_random_valid_queries_match_the_oracle(acme, api, sent):
    rows = expected(acme, sent)
    page, size = int(sent.get("page", 1)), int(sent.get("per_page", 25))
    window = rows[(page - 1) * size : page * size]
    response = api.get("/api/clients/amounts/", sent)
    assert response.status_code == 200, response.content
    payload = json.loads(response.content)
    assert payload["count"] == len(rows)
    assert [(r["id"], r["total_amount"]) for r in payload["results"]] == [
        (r.id, f"{r.total_amount:.2f}") for r in window
    ]
