"""One JSON line per request, with what an operator needs and nothing private."""

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from conftest import STAFF_PASSWORD
from data_access.models import Client

pytestmark = pytest.mark.django_db(databases=["default", "mysql"])
SECRET_SEARCH = "zz-private-search-term"


@pytest.fixture
def request_log(caplog):
    caplog.set_level(logging.INFO, logger="contrata.request")

    def lines() -> list[tuple[int, dict]]:
        return [
            (record.levelno, json.loads(record.getMessage()))
            for record in caplog.records
            if record.name == "contrata.request"
        ]

    return lines


@pytest.fixture
def staff_browser(acme) -> HttpClient:
    browser = HttpClient()
    assert browser.post(
        "/login/", {"username": "staff", "password": STAFF_PASSWORD}, HTTP_HOST="acme.localhost"
    ).status_code == 302  # fmt: skip
    return browser


def test_a_request_logs_one_line_with_tenant_user_status_timing_and_queries(
    acme, staff_browser, request_log, caplog
):
    with tenant_context(acme):  # a match, so the panel asks MySQL for its totals
        Client.objects.create(name=SECRET_SEARCH, email="secret@example.com", country="CL")
    caplog.clear()
    response = staff_browser.get(
        f"/panels/kpis/?q={SECRET_SEARCH}&sort=-total", HTTP_HOST="acme.localhost"
    )
    assert response.status_code == 200
    [(level, line)] = request_log()
    with tenant_context(acme):
        staff_id = get_user_model().objects.get(username="staff").pk
    assert level == logging.INFO
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert line["tenant"] == "acme"
    assert line["user"] == staff_id
    assert (line["method"], line["path"], line["status"]) == ("GET", "/panels/kpis/", 200)
    assert line["duration_ms"] >= 0
    assert line["queries"]["default"] >= 2  # tenant lookup, session, clients
    assert line["queries"]["mysql"] >= 1  # the matching clients' totals
    assert line["slow"] is False
    assert SECRET_SEARCH not in caplog.text


def test_an_incoming_request_id_is_kept_and_a_malformed_one_replaced(request_log, caplog):
    browser = HttpClient()
    kept = browser.get("/login/", HTTP_HOST="acme.localhost", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert kept["X-Request-ID"] == "lb-7f3a.42"
    replaced = browser.get(
        "/login/", HTTP_HOST="acme.localhost", HTTP_X_REQUEST_ID='x"}\n{"forged": 1'
    )
    assert replaced["X-Request-ID"] != 'x"}\n{"forged": 1'
    assert [line["request_id"] for _, line in request_log()] == [
        "lb-7f3a.42",
        replaced["X-Request-ID"],
    ]
    assert "forged" not in caplog.text


def test_a_login_post_logs_neither_the_body_nor_the_password(acme, request_log, caplog):
    HttpClient().post(
        "/login/", {"username": "staff", "password": "wrong-Pa55word"}, HTTP_HOST="acme.localhost"
    )
    [(_, line)] = request_log()
    assert (line["method"], line["path"], line["tenant"], line["user"]) == (
        "POST", "/login/", "acme", None,
    )  # fmt: skip
    assert "wrong-Pa55word" not in caplog.text


def test_slow_requests_and_slow_queries_are_flagged_without_their_parameters(
    staff_browser, request_log, caplog, settings
):
    settings.SLOW_REQUEST_MS = 0
    settings.SLOW_QUERY_MS = 0
    caplog.clear()
    staff_browser.get(f"/api/clients/?q={SECRET_SEARCH}", HTTP_HOST="acme.localhost")
    [(level, line)] = request_log()
    assert level == logging.WARNING
    assert line["slow"] is True
    assert {query["db"] for query in line["slow_queries"]} <= {"default", "mysql"}
    assert all(query["ms"] >= 0 for query in line["slow_queries"])
    # The search itself is there, with a placeholder where the term was.
    searches = [query["sql"] for query in line["slow_queries"] if "LIKE" in query["sql"]]
    assert searches
    assert all("%s" in sql for sql in searches)
    assert SECRET_SEARCH not in caplog.text
