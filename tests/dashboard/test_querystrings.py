"""dashboard.querystrings: the one way a query goes back into a URL."""

import datetime

from django.http import QueryDict

from dashboard.querystrings import querystring
from data_access.querying import ClientQuery, ContractQuery


def test_querystring_round_trips_and_resets_the_page_on_filter_changes():
    query = ClientQuery(search="a b", sort="-total", page=4)
    assert ClientQuery.parse(QueryDict(querystring(query)[1:])) == query
    assert querystring(query, country="CL") == "?q=a+b&country=CL&sort=-total"
    assert querystring(query, page=5) == "?q=a+b&sort=-total&page=5"
    assert querystring(ClientQuery()) == "?"


def test_a_new_sort_or_page_size_also_starts_at_page_one():
    query = ClientQuery(page=3, page_size=10)
    assert querystring(query, sort="-created") == "?sort=-created&per_page=10"
    assert querystring(query, page_size=50) == "?per_page=50"
    assert querystring(query, page=1) == "?per_page=10"


def test_defaults_are_left_out_for_either_query():
    assert querystring(ClientQuery(sort="name", page_size=25)) == "?"
    query = ContractQuery(status=False, signed_from=datetime.date(2026, 1, 2), client_id=7)
    assert querystring(query) == "?status=inactive&signed_from=2026-01-02&client=7"
    assert querystring(query, sort="-signed") == querystring(query)  # the default sort
    assert querystring(query, sort="amount") == (
        "?status=inactive&signed_from=2026-01-02&client=7&sort=amount"
    )
