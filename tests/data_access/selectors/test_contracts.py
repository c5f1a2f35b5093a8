"""The contracts page's query: parameters, filters, sorting, paging, tenant scope."""

import datetime
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES
from data_access import services
from data_access.boundary import ContractsUnavailable
from data_access.models import Client, Contract
from data_access.querying import ContractQuery, InvalidQuery
from data_access.selectors.contracts import contract_page
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
