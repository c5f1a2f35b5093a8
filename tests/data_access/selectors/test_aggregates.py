"""Each aggregate the product reads agrees with the oracle, per tenant, with exact
decimals, for the whole tenant and for a list of client ids."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from conftest import BOTH_DATABASES
from data_access.models import Contract
from data_access.raw_sql import QUERY_PAIRS
from data_access.selectors import aggregates
from tests.helpers import TODAY, Book
from tests.oracle import ZERO, aggregate

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

NAMES = [pair.name for pair in QUERY_PAIRS]
TAKE_IDS = [name for name in NAMES if name != "orphan_contracts_by_client"]


def call(name: str, book: Book, ids: list[int] | None) -> object:
    kwargs: dict = {"tenant": book.tenant}
    if name in TAKE_IDS:
        kwargs["client_ids"] = ids
    if name == "signed_per_month":
        kwargs["today"] = TODAY
    return getattr(aggregates, name)(**kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_each_aggregate_matches_the_oracle_for_each_tenant(books, name):
    for book in books:
        result = call(name, book, None)
        assert result == aggregate(name, book, None)
        if name != "orphan_contracts_by_client":
            assert result, "the fixture should make every aggregate return rows"


@pytest.mark.parametrize("name", TAKE_IDS)
def test_each_aggregate_matches_the_oracle_for_some_clients(books, name):
    acme_book = books[0]
    ids = [*sorted(acme_book.clients)[::3], 999_999]  # plus an id that does not exist
    assert call(name, acme_book, ids) == aggregate(name, acme_book, ids)
    # An empty list means no clients, not all of them.
    assert call(name, acme_book, []) == aggregate(name, acme_book, [])


def test_past_max_in_list_the_whole_tenant_is_read(books, monkeypatch):
    acme_book = books[0]
    monkeypatch.setattr(aggregates, "MAX_IN_LIST", 3)
    ids = sorted(acme_book.clients)[:5]
    with CaptureQueriesContext(connections["mysql"]) as captured:
        cents = aggregates.client_cents(tenant=acme_book.tenant, client_ids=ids)
    assert " IN (" not in captured[0]["sql"]
    assert cents == aggregate("client_cents", acme_book, None)  # more than asked, all exact


def test_a_pages_totals_run_the_statement_compiled_once_per_count(books):
    acme_book, globex_book = books[0], books[1]
    aggregates._cents_of_ids_statement.cache_clear()
    for book in (acme_book, globex_book, acme_book):
        everyone = sorted(book.clients)
        for ids in (everyone[:1], everyone[:3], everyone[1:4]):
            with CaptureQueriesContext(connections["mysql"]) as captured:
                cents = aggregates.client_cents(tenant=book.tenant, client_ids=ids)
            assert cents == aggregate("client_cents", book, ids)
            assert f"`tenant_id` = {book.tenant.pk} " in captured[0]["sql"]
    # Both tenants and every call shared two statements: one of 1 id, one of 3.
    assert aggregates._cents_of_ids_statement.cache_info().currsize == 2


def test_decimals_and_cents_are_exact(books):
    acme_book = books[0]
    _, _, amount = aggregates.active_totals(tenant=acme_book.tenant)
    assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2
    cents = aggregates.client_cents(tenant=acme_book.tenant)
    assert all(type(c) is int for _, c in cents.values())
    rows = aggregates.totals_by_country(tenant=acme_book.tenant)
    assert all(str(row[3]) == str(row[3].quantize(Decimal("0.01"))) for row in rows)
    # No totals at all: every country still shows, with an exact zero.
    empty = aggregates.join_by_country({1: "CL", 2: "AR"}, {})
    assert empty == [("AR", 1, 0, ZERO), ("CL", 1, 0, ZERO)]
    assert all(str(row[3]) == "0.00" for row in empty)


@pytest.mark.parametrize("ids", [None, [1, 2, 3]])
def test_signed_per_month_reads_only_columns_of_its_covering_index(books, ids):
    # contract_signed_cover holds every column the query reads, so MariaDB answers
    # it from the index alone (EXPLAIN on the L bench data: range, "Using index").
    # The primary key (id) is part of every InnoDB secondary index.
    index = next(i for i in Contract._meta.indexes if i.name == "contract_signed_cover")
    with CaptureQueriesContext(connections[aggregates.MYSQL]) as captured:
        aggregates.signed_per_month(tenant=books[0].tenant, client_ids=ids, today=TODAY)
    [statement] = [q["sql"] for q in captured]
    columns = set(
        re.findall(
            r"\b(id|tenant_id|client_id|title|amount|signed_on|is_active)\b",
            statement.replace("`data_access_contract`.", ""),
        )
    )
    assert columns <= {*index.fields, "id"}, statement
    assert {"signed_on", "amount"} <= columns


def test_orphans_are_found(books):
    acme_book = books[0]
    for client_id in (777_001, 777_001, 777_002):
        Contract.unscoped.create(
            tenant_id=acme_book.tenant.pk,
            client_id=client_id,
            title="Lost",
            amount=Decimal("1.00"),
            signed_on=TODAY,
        )
    expected = {777_001: 2, 777_002: 1}
    assert aggregates.orphan_contracts_by_client(tenant=acme_book.tenant) == expected
    # Globex shares client ids with acme but not its contracts.
    assert aggregates.orphan_contracts_by_client(tenant=books[1].tenant) == {}


def test_month_window_spans_whole_calendar_months():
    assert aggregates.month_window(months=12, today=TODAY) == (
        datetime.date(2025, 7, 1),
        datetime.date(2026, 7, 1),
    )
    assert aggregates.month_window(months=1, today=datetime.date(2026, 12, 31)) == (
        datetime.date(2026, 12, 1),
        datetime.date(2027, 1, 1),
    )
    assert aggregates.month_start(datetime.date(2026, 1, 20), months_back=13) == datetime.date(
        2024, 12, 1
    )
