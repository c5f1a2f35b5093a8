"""The contracts page's query: parameters, filters, sorting, paging, tenant scope."""

import datetime
from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES
from data_access import querying, services
from data_access.boundary import ContractsUnavailable
from data_access.models import Client, Contract, MonthTotals
from data_access.querying import ContractQuery, InvalidQuery
from data_access.selectors import contracts as contract_selectors
from data_access.selectors.contracts import (
    client_choices,
    contract_page,
    contract_rows,
    contract_summary,
    filtered_contracts,
)
from tests.helpers import contracts_down

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

# client name, title, amount, signed on, active
CONTRACTS = [
    ("Ana", "A1", "100.00", (2026, 1, 10), True),
    ("Ana", "A2", "300.00", (2026, 3, 1), False),
    ("Bruno", "B1", "300.00", (2026, 2, 15), True),
    ("Bruno", "B2", "50.00", (2025, 12, 31), True),
    ("Carla", "C1", "999.99", (2026, 6, 30), True),
]


@pytest.fixture
def contracts(acme) -> dict[str, Contract]:
    made = {}
    with tenant_context(acme):
        clients = {}
        for name, title, amount, signed, active in CONTRACTS:
            if name not in clients:
                clients[name] = Client.objects.create(
                    name=name, email=f"{name.lower()}@example.com", country="CL"
                )
            made[title] = services.create_contract(
                client_id=clients[name].pk, title=title, amount=Decimal(amount),
                signed_on=datetime.date(*signed), is_active=active,
            )  # fmt: skip
    return made


def titles(query: ContractQuery, tenant) -> list[str]:
    return [row.title for row in contract_page(query, tenant=tenant).rows]


def test_defaults_are_newest_first(acme, contracts):
    page = contract_page(ContractQuery(), tenant=acme)
    assert [row.title for row in page.rows] == ["C1", "A2", "B1", "A1", "B2"]
    assert page.paginator.count == 5 and page.paginator.num_pages == 1 and not page.has_next()
    assert page.rows[0].client_name == "Carla"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "active"}, ["C1", "B1", "A1", "B2"]),
        ({"status": "inactive"}, ["A2"]),
        ({"signed_from": "2026-01-01", "signed_to": "2026-02-28"}, ["B1", "A1"]),
        ({"min_amount": "100", "max_amount": "300"}, ["A2", "B1", "A1"]),
        # Equal amounts: ties go by id in the sort's direction.
        ({"sort": "-amount"}, ["C1", "B1", "A2", "A1", "B2"]),
        ({"sort": "amount"}, ["B2", "A1", "A2", "B1", "C1"]),
        ({"sort": "title"}, ["A1", "A2", "B1", "B2", "C1"]),
    ],
)
def test_filters_and_sorts(acme, contracts, params, expected):
    assert titles(ContractQuery.parse(params), acme) == expected


def test_filter_by_client(acme, contracts):
    client_id = contracts["B1"].client_id
    query = ContractQuery.parse({"client": str(client_id), "sort": "signed"})
    assert titles(query, acme) == ["B2", "B1"]


def test_paging_never_repeats_or_skips(acme, contracts):
    seen = []
    for page_number in (1, 2, 3):
        query = ContractQuery.parse({"sort": "amount", "per_page": "10", "page": page_number})
        seen += titles(query.with_changes(page_size=2), acme)
    assert seen == ["B2", "A1", "A2", "B1", "C1"]


def test_other_tenants_see_none_of_it(globex, contracts):
    assert contract_page(ContractQuery(), tenant=globex).paginator.count == 0


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"status": "maybe"}, {"status"}),
        ({"signed_from": "yesterday"}, {"signed_from"}),
        ({"signed_from": "2026-02-01", "signed_to": "2026-01-01"}, {"signed_to"}),
        ({"min_amount": "5", "max_amount": "1"}, {"max_amount"}),
        ({"min_amount": "-1", "client": "0"}, {"min_amount", "client"}),
        ({"sort": "owner", "page": "0", "per_page": "7"}, {"sort", "page", "per_page"}),
    ],
)
def test_bad_parameters_name_each_one(params, bad):
    with pytest.raises(InvalidQuery) as error:
        ContractQuery.parse(params)
    assert set(error.value.errors) == bad


def test_parameters_leave_out_defaults():
    query = ContractQuery.parse({"status": "active", "page": "3", "sort": "-signed"})
    assert query.to_params() == {"status": "active", "page": "3"}
    assert query.with_changes(sort="amount").to_params()["sort"] == "amount"
    assert ContractQuery().to_params() == {}


def test_mysql_down_is_contracts_unavailable(acme, contracts):
    with contracts_down(), pytest.raises(ContractsUnavailable):
        contract_page(ContractQuery(), tenant=acme)
    assert contract_page(ContractQuery(), tenant=acme).paginator.count == 5


# --- Date presets -------------------------------------------------------------------


def test_a_period_narrows_the_signing_dates(acme, contracts):
    today = datetime.date(2026, 3, 20)
    query = ContractQuery.parse({"period": "last_month"})
    with tenant_context(acme):
        found = filtered_contracts(query, today=today).order_by("title")
        assert [c.title for c in found] == ["B1"]
        query = ContractQuery.parse({"period": "this_year", "signed_to": "2026-02-28"})
        found = filtered_contracts(query, today=today).order_by("title")
        assert [c.title for c in found] == ["A1", "B1"]


# --- Count, estimate and sum ----------------------------------------------------------


def test_past_the_count_limit_the_count_is_a_labelled_lower_bound(acme, contracts, monkeypatch):
    monkeypatch.setattr(querying, "COUNT_LIMIT", 2)
    first = contract_page(ContractQuery(page_size=2), tenant=acme)
    assert not first.count_is_exact and first.has_next()
    assert [row.title for row in first.rows] == ["C1", "A2"]
    last = contract_page(ContractQuery(page_size=2, page=3), tenant=acme)
    assert [row.title for row in last.rows] == ["B2"] and not last.has_next()
    narrow = contract_page(ContractQuery(status=False), tenant=acme)
    assert narrow.count_is_exact and narrow.paginator.count == 1


def test_the_summary_counts_and_sums_every_match_exactly(acme, globex, contracts):
    summary = contract_summary(ContractQuery(), tenant=acme)
    assert (summary.count, summary.total) == (5, Decimal("1749.99"))
    active = contract_summary(ContractQuery(status=True, min_amount=Decimal(100)), tenant=acme)
    assert (active.count, active.total) == (3, Decimal("1399.99"))
    assert contract_summary(ContractQuery(), tenant=globex).total == Decimal("0.00")
    with contracts_down(), pytest.raises(ContractsUnavailable):
        contract_summary(ContractQuery(), tenant=acme)


def _summed(first: datetime.date | None, last: datetime.date | None) -> tuple[int, Decimal]:
    """The oracle: count and sum of CONTRACTS signed in [first, last]."""
    amounts = [
        Decimal(amount)
        for _, _, amount, signed, _ in CONTRACTS
        if (first is None or datetime.date(*signed) >= first)
        and (last is None or datetime.date(*signed) <= last)
    ]
    return len(amounts), sum(amounts, Decimal("0.00"))


@pytest.mark.parametrize(
    ("signed_from", "signed_to", "from_rollup"),
    [
        (None, None, True),
        (datetime.date(2026, 1, 1), datetime.date(2026, 2, 28), True),
        (None, datetime.date(2025, 12, 31), True),
        (datetime.date(2026, 3, 1), None, True),
        (datetime.date(2026, 1, 11), datetime.date(2026, 2, 28), False),  # part of January
        (datetime.date(2026, 1, 1), datetime.date(2026, 6, 29), False),  # part of June
    ],
)
def test_a_summary_of_whole_months_is_read_from_the_month_rollup(
    acme, globex, contracts, signed_from, signed_to, from_rollup
):
    query = ContractQuery(signed_from=signed_from, signed_to=signed_to)
    with CaptureQueriesContext(connections["mysql"]) as queries:
        summary = contract_summary(query, tenant=acme)
    assert (summary.count, summary.total) == _summed(signed_from, signed_to)
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert (MonthTotals._meta.db_table in read) is from_rollup
    assert (Contract._meta.db_table in read) is not from_rollup
    assert contract_summary(query, tenant=globex) == type(summary)(0, Decimal("0.00"))


# --- Export rows ----------------------------------------------------------------------


@pytest.mark.parametrize("sort", [sign + key for key in ("title", "client", "amount",
                                                         "signed", "status") for sign in "-+"])  # fmt: skip
def test_export_batches_follow_the_page_order_with_ties(acme, contracts, sort):
    query = ContractQuery.parse({"sort": sort.lstrip("+"), "per_page": "100"})
    expected = [row.id for row in contract_page(query, tenant=acme).rows]
    assert [row.id for row in contract_rows(query, tenant=acme, batch=2)] == expected


def test_export_rows_are_the_tenants_and_fail_at_once_when_mysql_is_down(acme, globex, contracts):
    assert list(contract_rows(ContractQuery(), tenant=globex)) == []
    assert {row.client_name for row in contract_rows(ContractQuery(), tenant=acme)} == {
        "Ana", "Bruno", "Carla",
    }  # fmt: skip
    with contracts_down(), pytest.raises(ContractsUnavailable):
        contract_rows(ContractQuery(), tenant=acme)


# --- Client autocomplete --------------------------------------------------------------


def test_client_choices_put_name_prefixes_first_and_stay_in_the_tenant(acme, globex, contracts):
    with tenant_context(acme):
        Client.objects.create(name="Mariana", email="m@example.com", country="CL")
        Client.objects.create(name="Zed", email="ana.z@example.com", country="CL")
    with tenant_context(globex):
        Client.objects.create(name="Anabel", email="anabel@example.com", country="BR")
    names = [choice.name for choice in client_choices("ana", tenant=acme)]
    assert names == ["Ana", "Mariana", "Zed"]
    assert [c.name for c in client_choices("ana", limit=1, tenant=acme)] == ["Ana"]
    assert client_choices("  ", tenant=acme) == []
    assert [c.name for c in client_choices("ANA", tenant=globex)] == ["Anabel"]


def test_client_totals_count_every_active_contract_of_the_client(acme, globex, contracts):
    ana = contracts["A1"].client_id
    totals = contract_selectors.client_contract_totals(client_id=ana, tenant=acme)
    assert (totals.active_count, totals.active_total) == (1, Decimal("100.00"))
    other = contract_selectors.client_contract_totals(client_id=ana, tenant=globex)
    assert (other.active_count, other.active_total) == (0, Decimal("0.00"))


# --- Selections for bulk actions --------------------------------------------------------


def test_matching_ids_come_in_keyset_batches_even_while_rows_change(acme, globex, contracts):
    query = ContractQuery(status=True)
    seen = []
    for contract_id in contract_selectors.matching_contract_ids(query, tenant=acme, batch=2):
        seen.append(contract_id)
        # Deactivating as we go must neither skip nor repeat the rows still ahead.
        services.update_contract(contract_id=contract_id, is_active=False, tenant=acme)
    expected = sorted(contracts[t].pk for t in ("A1", "B1", "B2", "C1"))
    assert seen == expected
    assert list(contract_selectors.matching_contract_ids(ContractQuery(), tenant=globex)) == []


def test_rows_by_id_keep_only_the_tenants(acme, globex, contracts):
    ids = [contracts["C1"].pk, contracts["A1"].pk, 10**12]
    rows = contract_selectors.contract_rows_by_id(ids, tenant=acme)
    assert [row.title for row in rows] == ["A1", "C1"] and rows[1].client_name == "Carla"
    assert contract_selectors.contract_rows_by_id(ids, tenant=globex) == []
