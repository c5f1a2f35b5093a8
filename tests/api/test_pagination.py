"""Pages in the {count, next, previous, results} envelope, linked with the query's
own parameters."""

from urllib.parse import urlsplit

import pytest

from conftest import BOTH_DATABASES
from data_access import querying
from tests.helpers import body

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)


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


def test_previous_links_and_pages_past_the_end(acme_clients, acme_api):
    second = body(acme_api.get("/api/clients/", {"per_page": 10, "page": 2, "active": ""}))
    assert second["next"] is None
    assert second["previous"] == "http://acme.localhost/api/clients/?per_page=10&active="
    beyond = body(acme_api.get("/api/clients/", {"per_page": 10, "page": 9, "active": ""}))
    assert beyond["results"] == [] and beyond["count"] == 12
    assert "page=2" in beyond["previous"]


def test_past_the_cap_the_count_is_a_lower_bound_and_next_links_reach_the_end(
    acme_clients, acme_api, monkeypatch
):
    monkeypatch.setattr(querying, "COUNT_LIMIT", 5)
    # A search, which no rollup counts, that all 12 clients pass.
    first = body(acme_api.get("/api/clients/", {"q": "example", "active": "", "per_page": 10}))
    assert (first["count"], first["count_is_exact"], len(first["results"])) == (11, False, 10)
    follow = urlsplit(first["next"])
    second = body(acme_api.get(follow.path + "?" + follow.query))
    assert (second["count"], second["count_is_exact"], second["next"]) == (12, False, None)
    assert len(second["results"]) == 2
    beyond = body(acme_api.get("/api/clients/", {"q": "example", "active": "", "page": 9}))
    assert (beyond["results"], beyond["count"], beyond["count_is_exact"]) == ([], 5, False)
    assert beyond["previous"] == "http://acme.localhost/api/clients/?q=example&active="
    amounts = body(acme_api.get("/api/clients/amounts/", {"min_total": "0", "per_page": 10}))
    assert amounts["count_is_exact"] is False and amounts["next"] is not None
    # ClientCount answers the active filter alone: exact past the cap.
    active = body(acme_api.get("/api/clients/", {"per_page": 10}))
    assert (active["count"], active["count_is_exact"]) == (9, True)


def test_links_carry_the_query_in_its_own_words_without_defaults(acme_clients, acme_api):
    first = body(
        acme_api.get(
            "/api/clients/stats/",
            {"q": " ana ", "country": "cl", "sort": "name", "per_page": "10", "junk": "x"},
        )
    )
    assert first["next"] is None and first["previous"] is None
    page = body(acme_api.get("/api/clients/stats/", {"country": "cl", "per_page": "10", "page": 2}))
    # The country as parsed (upper case), the default sort and page 1 left out.
    assert page["previous"] == "http://acme.localhost/api/clients/stats/?country=CL&per_page=10"
    page = body(acme_api.get("/api/clients/stats/", {"page": 2}))
    assert page["previous"] == "http://acme.localhost/api/clients/stats/"


def test_the_country_list_is_one_page_of_the_same_envelope(acme_api):
    countries = body(acme_api.get("/api/countries/", {"page": 2, "per_page": 10}))
    assert (countries["next"], countries["previous"]) == (None, None)
    assert countries["count"] == len(countries["results"]) > 200
