"""Property tests: whatever a caller sends, the API answers JSON, never a 5xx
(except 503 when MySQL is down), and never echoes input as markup."""

import json
from urllib.parse import parse_qsl, quote

import pytest
from django.test import Client as HttpClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BOTH_DATABASES
from data_access.params import PAGE_SIZES, SORT_KEYS, ClientQueryForm
from tests.dashboard.test_api import (
    ACME,
    ACME_CLIENTS,
    make_clients,
    oracle,
    token_client,
)
from tests.mysql_down import contracts_down

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

ENDPOINTS = [
    "/api/clients/",
    "/api/clients/stats/",
    "/api/clients/amounts/",
    "/api/countries/",
    "/api/schema/",
]
PARAMS = sorted(ClientQueryForm.base_fields)
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
    check(response, sent, allowed={200, 400, 503})


@FUZZ
@given(raw=st.text(alphabet=st.sampled_from("%&=+;?#/ax0-9ÿ<>\x00"), max_size=60))
def test_malformed_query_strings(api, raw):
    # Broken %-escapes and separators, kept as sent (only what HTTP itself forbids is quoted).
    query = quote(raw, safe="%&=+;?/<>")
    response = api.get("/api/clients/?" + query)
    check(response, dict(parse_qsl(query, keep_blank_values=True)), allowed={200, 400})


@FUZZ
@given(header=st.text(max_size=80))
def test_random_authorization_headers(api, header):
    response = api.get("/api/clients/", HTTP_AUTHORIZATION=header)
    check(response, {}, allowed={401})  # a random header is never a valid token


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
    expected = oracle(acme, sent)
    page, size = int(sent.get("page", 1)), int(sent.get("per_page", 25))
    window = expected[(page - 1) * size : page * size]
    response = api.get("/api/clients/amounts/", sent)
    assert response.status_code == 200, response.content
    payload = json.loads(response.content)
    assert payload["count"] == len(expected)
    assert [(r["id"], r["total_amount"]) for r in payload["results"]] == [
        (r["id"], f"{r['total_amount']:.2f}") for r in window
    ]
