from decimal import Decimal

import pytest
from django.http import QueryDict

from data_access.params import ClientQuery, InvalidQuery, parse_client_query


def test_parses_every_parameter():
    query = parse_client_query(
        QueryDict(
            "q=+ana+&country=cl&active=no&min_total=10.5&max_total=20&has_contracts=yes"
            "&sort=-total&page=3&per_page=50"
        )
    )
    assert query == ClientQuery(
        search="ana", country="CL", active=False, min_total=Decimal("10.5"),
        max_total=Decimal("20"), has_contracts=True, sort="total", descending=True,
        page=3, page_size=50,
    )  # fmt: skip


def test_defaults():
    assert parse_client_query(QueryDict("")) == ClientQuery()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ("sort=salary", "sort"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("per_page=1000", "per_page"),
        ("min_total=ten", "min_total"),
        ("min_total=-1", "min_total"),
        ("min_total=5&max_total=1", "max_total"),
        ("country=Chile", "country"),
        ("active=maybe", "active"),
        ("has_contracts=1", "has_contracts"),
        ("min_total=NaN", "min_total"),
        ("page=99999999999999999999", "page"),
    ],
)
def test_bad_parameters_name_the_field(params, field):
    with pytest.raises(InvalidQuery) as error:
        parse_client_query(QueryDict(params))
    assert field in error.value.errors


def test_querystring_round_trips_and_resets_the_page_on_filter_changes():
    query = ClientQuery(search="a b", sort="total", descending=True, page=4)
    assert parse_client_query(QueryDict(query.querystring()[1:])) == query
    assert query.querystring(country="CL") == "?q=a+b&country=CL&sort=-total"
    assert query.querystring(page=5) == "?q=a+b&sort=-total&page=5"
    assert ClientQuery().querystring() == "?"
