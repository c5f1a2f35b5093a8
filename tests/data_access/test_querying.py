import datetime
from decimal import Decimal

import pytest
from django.http import QueryDict

from data_access import querying
from data_access.querying import (
    CLIENT_COLUMNS,
    CONTRACT_COLUMNS,
    ClientQuery,
    ContractQuery,
    InvalidQuery,
    ResultPage,
)


def test_parses_every_parameter():
    query = ClientQuery.parse(
        QueryDict(
            "q=+ana+&country=cl&active=no&min_total=10.5&max_total=20&has_contracts=yes"
            "&sort=-total&page=3&per_page=50"
        )
    )
    assert query == ClientQuery(
        search="ana", country="CL", active=False, min_total=Decimal("10.5"),
        max_total=Decimal("20"), has_contracts=True, sort="-total", page=3, page_size=50,
    )  # fmt: skip
    assert (query.column.key, query.descending, query.offset) == ("total", True, 100)


def test_defaults():
    assert ClientQuery.parse(QueryDict("")) == ClientQuery()
    assert ContractQuery.parse(QueryDict("")) == ContractQuery()
    assert (ContractQuery().column.key, ContractQuery().descending) == ("signed", True)


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
        ("country=C1", "country"),
        ("active=maybe", "active"),
        ("has_contracts=1", "has_contracts"),
        ("min_total=NaN", "min_total"),
        ("page=99999999999999999999", "page"),
    ],
)
def test_bad_parameters_name_the_field(params, field):
    with pytest.raises(InvalidQuery) as error:
        ClientQuery.parse(QueryDict(params))
    assert field in error.value.errors


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ("status=open", "status"),
        ("signed_from=2026-13-01", "signed_from"),
        ("signed_from=2026-02-01&signed_to=2026-01-01", "signed_to"),
        ("min_amount=5&max_amount=1", "max_amount"),
        ("client=0", "client"),
        ("sort=-salary", "sort"),
    ],
)
def test_bad_contract_parameters_name_the_field(params, field):
    with pytest.raises(InvalidQuery) as error:
        ContractQuery.parse(QueryDict(params))
    assert list(error.value.errors) == [field]


def test_every_error_is_reported_at_once():
    with pytest.raises(InvalidQuery) as error:
        ClientQuery.parse(QueryDict("page=0&country=xyz&min_total=2&max_total=1"))
    assert error.value.errors == {
        "country": ["Enter a two-letter ISO country code."],
        "page": ["Ensure this value is greater than or equal to 1."],
        "max_total": ["The maximum must not be below the minimum."],
    }


def test_parameters_round_trip_without_defaults():
    query = ClientQuery(search="a b", sort="-total", page=4, active=True)
    assert query.to_params() == {"q": "a b", "active": "yes", "sort": "-total", "page": "4"}
    assert ClientQuery.parse(query.to_params()) == query
    assert ClientQuery().to_params() == {}
    contracts = ContractQuery(
        status=False, signed_from=datetime.date(2026, 1, 2), client_id=7, sort="amount"
    )
    assert contracts.to_params() == {
        "status": "inactive",
        "signed_from": "2026-01-02",
        "client": "7",
        "sort": "amount",
    }
    assert ContractQuery.parse(contracts.to_params()) == contracts


def test_filters_ignore_sort_and_page():
    query = ClientQuery(country="CL", sort="-total", page=9, page_size=100)
    assert query.filters == ClientQuery(country="CL")


def test_without_contract_terms_keeps_what_postgresql_can_answer():
    query = ClientQuery(search="x", min_total=Decimal(1), has_contracts=True, sort="-total")
    assert query.without_contract_terms() == ClientQuery(search="x")
    assert ClientQuery(sort="-email").without_contract_terms() == ClientQuery(sort="-email")


@pytest.mark.parametrize(
    ("query", "contracts", "cents", "passes"),
    [
        (ClientQuery(has_contracts=True), 0, 0, False),
        (ClientQuery(has_contracts=False), 0, 0, True),
        (ClientQuery(min_total=Decimal("0.01")), 1, 1, True),
        (ClientQuery(min_total=Decimal("0.011")), 1, 1, False),  # bounds round inwards
        (ClientQuery(max_total=Decimal("9.999")), 1, 999, True),
        (ClientQuery(max_total=Decimal("9.999")), 1, 1000, False),
    ],
)
def test_aggregate_filters_in_cents(query, contracts, cents, passes):
    assert query.passes_aggregates(contracts, cents) is passes


def test_each_column_is_defined_once_with_its_label_and_direction():
    assert [c.key for c in CLIENT_COLUMNS] == [
        "name", "email", "country", "created", "contracts", "total",
    ]  # fmt: skip
    assert [c.key for c in CONTRACT_COLUMNS] == ["title", "client", "amount", "signed", "status"]
    by_key = {c.key: c for c in CLIENT_COLUMNS}
    assert by_key["total"].label == "Total" and by_key["total"].aggregate
    assert by_key["created"].descending_first and not by_key["name"].descending_first
    assert by_key["created"].attribute == "created_at"


def test_result_page_is_a_django_page_with_a_known_count():
    page = ResultPage(["r51", "r52"], query=ClientQuery(page=3, page_size=25), count=52)
    assert page.rows == ["r51", "r52"]
    assert (page.paginator.num_pages, page.start_index(), page.end_index()) == (3, 51, 52)
    assert page.has_previous() and not page.has_next()
    assert list(page.paginator.get_elided_page_range(3, on_each_side=1, on_ends=1)) == [1, 2, 3]


def test_a_page_reads_one_row_past_itself_and_splits_it_off():
    query = ClientQuery(page=3, page_size=10)
    assert (query.window.start, query.window.stop) == (20, 31)
    assert query.split_window(list(range(20, 31))) == (list(range(20, 30)), True)
    assert query.split_window(list(range(20, 27))) == (list(range(20, 27)), False)


def test_a_capped_count_is_exact_up_to_the_cap(monkeypatch):
    monkeypatch.setattr(querying, "COUNT_LIMIT", 40)
    query = ClientQuery(page=2, page_size=25)
    exact = ResultPage(["r"] * 15, query=query, count=40, capped=True)
    assert exact.count_is_exact and exact.paginator.count == 40 and not exact.has_next()
    # A rollup's count is exact whatever its size.
    rollup = ResultPage(["r"] * 25, query=query, count=41)
    assert rollup.count_is_exact and rollup.paginator.num_pages == 2


@pytest.mark.parametrize(
    ("page", "rows", "more", "count", "has_next"),
    [
        (1, 25, True, 40, True),  # the cap itself, below the page's reach
        (2, 25, True, 51, True),  # as far as the row after this page
        (2, 25, False, 50, False),  # nothing after: the last page
        (3, 3, False, 53, False),
        (9, 0, False, 40, False),  # past the end: the cap, never the page's offset
    ],
)
def test_past_the_cap_the_count_is_a_lower_bound_and_a_next_page_exists_while_rows_do(
    monkeypatch, page, rows, more, count, has_next
):
    monkeypatch.setattr(querying, "COUNT_LIMIT", 40)
    query = ClientQuery(page=page, page_size=25)
    result = ResultPage(["r"] * rows, query=query, count=41, capped=True, more=more)
    assert not result.count_is_exact and result.count_limit == 40
    assert (result.paginator.count, result.has_next()) == (count, has_next)
    assert (result.number > result.paginator.num_pages) == (rows == 0)


@pytest.mark.parametrize(
    ("period", "today", "expected"),
    [
        ("this_month", (2026, 2, 10), ((2026, 2, 1), (2026, 2, 28))),
        ("last_month", (2026, 1, 31), ((2025, 12, 1), (2025, 12, 31))),
        ("last_month", (2024, 3, 1), ((2024, 2, 1), (2024, 2, 29))),
        ("last_12_months", (2026, 3, 15), ((2025, 4, 1), (2026, 3, 31))),
        ("this_year", (2026, 12, 31), ((2026, 1, 1), (2026, 12, 31))),
    ],
)
def test_periods_are_whole_calendar_months_and_years(period, today, expected):
    query = ContractQuery.parse({"period": period})
    low, high = query.signed_range(today=datetime.date(*today))
    assert (low, high) == (datetime.date(*expected[0]), datetime.date(*expected[1]))
    assert query.to_params() == {"period": period}


def test_a_period_intersects_the_explicit_range():
    query = ContractQuery.parse({"period": "this_year", "signed_from": "2025-06-01",
                                 "signed_to": "2026-03-01"})  # fmt: skip
    assert query.signed_range(today=datetime.date(2026, 5, 5)) == (
        datetime.date(2026, 1, 1), datetime.date(2026, 3, 1),
    )  # fmt: skip
    with pytest.raises(InvalidQuery):
        ContractQuery.parse({"period": "next_week"})


def test_created_bounds_are_whole_days_as_instants_in_the_time_zone():
    query = ClientQuery.parse({"created": "last_month", "created_to": "2026-02-10"})
    low, before = query.created_bounds(today=datetime.date(2026, 3, 5))
    assert (low, before) == (
        datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC),
        datetime.datetime(2026, 2, 11, tzinfo=datetime.UTC),
    )
    assert ClientQuery().created_bounds(today=datetime.date(2026, 3, 5)) == (None, None)
    assert query.has_client_filters and query.to_params() == {
        "created": "last_month", "created_to": "2026-02-10",
    }  # fmt: skip
    with pytest.raises(InvalidQuery) as error:
        ClientQuery.parse({"created_from": "2026-02-02", "created_to": "2026-02-01"})
    assert set(error.value.errors) == {"created_to"}
