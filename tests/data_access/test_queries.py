"""ORM and raw-SQL versions of each aggregate agree with each other and with
Python arithmetic over the loaded rows, per tenant, with exact decimals."""

import datetime
import io
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES
from data_access import queries, services
from data_access.management.commands import compare_queries
from data_access.models import Client, Contract

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

TODAY = datetime.date(2026, 6, 15)
ZERO = Decimal("0.00")
NAMES = ["Ana Silva", "Bruno Costa", "Carla Diaz", "Diego Silva", "Elena Novak", "Hugo Kim"]


@dataclass
class Book:
    """What one tenant holds, as written: clients and contracts."""

    tenant: object
    clients: dict[int, dict] = field(default_factory=dict)
    contracts: list[dict] = field(default_factory=list)

    def active_totals(self) -> dict[int, tuple[int, Decimal]]:
        totals: dict[int, list] = defaultdict(lambda: [0, ZERO])
        for contract in self.contracts:
            if contract["is_active"]:
                totals[contract["client_id"]][0] += 1
                totals[contract["client_id"]][1] += contract["amount"]
        return {client_id: (n, amount) for client_id, (n, amount) in totals.items()}


def make_book(tenant, *, seed: int, clients: int, contracts: int) -> Book:
    """Random but reproducible clients and contracts, written through the services."""
    rng = random.Random(seed)
    book = Book(tenant=tenant)
    with tenant_context(tenant):
        for number in range(clients):
            client = Client.objects.create(
                name=f"{rng.choice(NAMES)} {number}",
                email=f"c{seed}-{number}@example.com",
                country=rng.choice(["CL", "CL", "BR", "ES", "PT"]),
                is_active=rng.random() > 0.25,
            )
            book.clients[client.pk] = {
                "name": client.name,
                "email": client.email,
                "country": client.country,
                "is_active": client.is_active,
            }
        # Some clients get no contracts at all.
        with_contracts = [i for i in book.clients if rng.random() > 0.2]
        for number in range(contracts):
            contract = {
                "client_id": rng.choice(with_contracts),
                "amount": Decimal(rng.randrange(1, 500_000)) / 100,
                # Mostly inside the last 12 months, some older, a few this month.
                "signed_on": TODAY - datetime.timedelta(days=rng.randrange(0, 500)),
                "is_active": rng.random() > 0.3,
            }
            services.create_contract(title=f"Deal {number}", tenant=tenant, **contract)
            book.contracts.append(contract)
    return book


@pytest.fixture
def books(acme, globex) -> tuple[Book, Book]:
    # Same client ids in both schemas: the tenant_id filter is all that separates them.
    return (
        make_book(acme, seed=1, clients=30, contracts=120),
        make_book(globex, seed=2, clients=25, contracts=90),
    )


def expected(name: str, book: Book, ids: list[int] | None) -> object:
    """The answer of each query pair, computed in Python."""
    keep = set(book.clients) if ids is None else set(ids)
    clients = {i: c for i, c in book.clients.items() if i in keep}
    contracts = [c for c in book.contracts if c["client_id"] in keep]
    totals = {i: t for i, t in book.active_totals().items() if i in keep}
    if name == "client_counts":
        return len(clients), sum(c["is_active"] for c in clients.values())
    if name == "contracts_per_client":
        return sorted((i, n) for i, (n, _) in totals.items())
    if name == "amount_per_client":
        return sorted((i, amount) for i, (_, amount) in totals.items())
    if name == "active_totals":
        return (
            len(totals),
            sum(n for n, _ in totals.values()),
            sum((a for _, a in totals.values()), ZERO),
        )
    if name == "client_totals":
        return totals
    if name == "client_cents":
        return {i: (n, int(amount * 100)) for i, (n, amount) in totals.items()}
    if name == "totals_by_country":
        by_country: dict[str, list] = defaultdict(lambda: [0, 0, ZERO])
        for client_id, client in clients.items():
            n, amount = totals.get(client_id, (0, ZERO))
            row = by_country[client["country"]]
            row[0], row[1], row[2] = row[0] + 1, row[1] + n, row[2] + amount
        return sorted(((k, *v) for k, v in by_country.items()), key=lambda r: (-r[3], r[0]))
    if name in {"signed_per_month", "signed_per_day"}:
        start = datetime.date(2025, 7, 1)  # 12 months up to June 2026
        months: dict[datetime.date, list] = defaultdict(lambda: [0, ZERO])
        for contract in contracts:
            if start <= contract["signed_on"] <= datetime.date(2026, 6, 30):
                month = months[contract["signed_on"].replace(day=1)]
                month[0] += 1
                month[1] += contract["amount"]
        return sorted((m, n, a) for m, (n, a) in months.items())
    if name == "top_clients_by_amount":
        ranked = sorted(totals.items(), key=lambda item: (item[1][1], item[0]), reverse=True)
        return [(i, amount, n) for i, (n, amount) in ranked[:10]]
    if name == "orphan_contracts":
        return {}
    raise AssertionError(name)


def _call(pair: queries.QueryPair, which: str, book: Book, ids: list[int] | None) -> object:
    function = getattr(pair, which)
    kwargs: dict = {"tenant": book.tenant}
    if pair.name != "orphan_contracts":
        kwargs["client_ids"] = ids
    if pair.name in {"signed_per_month", "signed_per_day"}:
        kwargs["today"] = TODAY
    return function(**kwargs)


PAIRS = {pair.name: pair for pair in queries.QUERY_PAIRS}


@pytest.mark.parametrize("name", PAIRS)
def test_orm_and_raw_agree_with_python_for_each_tenant(books, name):
    pair = PAIRS[name]
    for book in books:
        orm = _call(pair, "orm", book, None)
        raw = _call(pair, "raw", book, None)
        assert orm == raw == expected(name, book, None)
        if name != "orphan_contracts":
            assert orm, "the fixture should make every query return rows"


@pytest.mark.parametrize("name", [n for n in PAIRS if n != "orphan_contracts"])
def test_orm_and_raw_agree_for_a_subset_of_clients(books, name):
    pair = PAIRS[name]
    acme_book = books[0]
    ids = [*sorted(acme_book.clients)[::3], 999_999]  # plus an id that does not exist
    orm = _call(pair, "orm", acme_book, ids)
    assert orm == _call(pair, "raw", acme_book, ids) == expected(name, acme_book, ids)
    # An empty filter means no clients, not all of them.
    assert _call(pair, "orm", acme_book, []) == _call(pair, "raw", acme_book, [])
    assert _call(pair, "orm", acme_book, []) == expected(name, acme_book, [])


def test_decimals_are_exact(books):
    acme_book = books[0]
    orm = dict(queries.amount_per_client_orm(tenant=acme_book.tenant))
    raw = dict(queries.amount_per_client_raw(tenant=acme_book.tenant))
    for client_id, amount in orm.items():
        assert isinstance(amount, Decimal) and isinstance(raw[client_id], Decimal)
        assert amount.as_tuple().exponent == -2
        assert str(amount) == str(raw[client_id])


def test_cents_are_exact_and_join_by_country_gives_decimals(books):
    acme_book = books[0]
    decimals = queries.client_totals_orm(tenant=acme_book.tenant)
    cents = queries.client_cents_orm(tenant=acme_book.tenant)
    assert all(type(c) is int for _, c in cents.values())
    assert {i: (n, queries.cents_to_decimal(c)) for i, (n, c) in cents.items()} == decimals
    countries = queries.client_countries_orm(tenant=acme_book.tenant)
    by_cents = queries.join_by_country(countries, cents)
    assert by_cents == queries.join_by_country(countries, decimals)
    assert all(str(row[3]) == str(row[3].quantize(Decimal("0.01"))) for row in by_cents)
    # No totals at all: every country still shows, with an exact zero.
    empty = queries.join_by_country({1: "CL", 2: "AR"}, {})
    assert empty == [("AR", 1, 0, ZERO), ("CL", 1, 0, ZERO)]
    assert all(str(row[3]) == "0.00" for row in empty)


@pytest.mark.parametrize("ids", [None, [1, 2, 3]])
def test_signed_per_day_reads_only_columns_of_its_covering_index(books, ids):
    # contract_signed_cover holds every column the query reads, so MariaDB answers
    # it from the index alone (EXPLAIN on the L bench data: range, "Using index").
    # The primary key (id) is part of every InnoDB secondary index.
    index = next(i for i in Contract._meta.indexes if i.name == "contract_signed_cover")
    for function in (queries.signed_per_day_orm, queries.signed_per_day_raw):
        with CaptureQueriesContext(connections[queries.MYSQL]) as captured:
            function(tenant=books[0].tenant, client_ids=ids, today=TODAY)
        [statement] = [q["sql"] for q in captured]
        columns = set(
            re.findall(
                r"\b(id|tenant_id|client_id|title|amount|signed_on|is_active)\b",
                statement.replace("`data_access_contract`.", ""),
            )
        )
        assert columns <= {*index.fields, "id"}, statement
        assert {"signed_on", "amount"} <= columns


def test_orphans_are_found_by_both_versions(books):
    acme_book = books[0]
    for client_id in (777_001, 777_001, 777_002):
        Contract.unscoped.create(
            tenant_id=acme_book.tenant.pk,
            client_id=client_id,
            title="Lost",
            amount=Decimal("1.00"),
            signed_on=TODAY,
        )
    expected_orphans = {777_001: 2, 777_002: 1}
    assert queries.orphan_contracts_by_client_orm(tenant=acme_book.tenant) == expected_orphans
    assert queries.orphan_contracts_by_client_raw(tenant=acme_book.tenant) == expected_orphans
    # Globex shares client ids with acme but not its contracts.
    assert queries.orphan_contracts_by_client_orm(tenant=books[1].tenant) == {}


def test_month_window_spans_whole_calendar_months():
    assert queries.month_window(months=12, today=TODAY) == (
        datetime.date(2025, 7, 1),
        datetime.date(2026, 7, 1),
    )
    assert queries.month_window(months=1, today=datetime.date(2026, 12, 31)) == (
        datetime.date(2026, 12, 1),
        datetime.date(2027, 1, 1),
    )
    assert queries.month_start(datetime.date(2026, 1, 20), months_back=13) == datetime.date(
        2024, 12, 1
    )


def test_every_registered_pair_is_tested():
    names = Counter(pair.name for pair in queries.QUERY_PAIRS)
    assert all(n == 1 for n in names.values())
    assert set(names) == {
        "client_counts",
        "contracts_per_client",
        "amount_per_client",
        "active_totals",
        "client_totals",
        "client_cents",
        "totals_by_country",
        "signed_per_month",
        "signed_per_day",
        "top_clients_by_amount",
        "orphan_contracts",
    }


def test_compare_queries_reports_each_pair(books):
    out = io.StringIO()
    call_command("compare_queries", "--tenant=acme", "--repeat=2", stdout=out)
    text = out.getvalue()
    for pair in queries.QUERY_PAIRS:
        assert f"== {pair.name}" in text
    assert "MISMATCH" not in text and f"all {len(queries.QUERY_PAIRS)} pairs match" in text
    assert "ORM [mysql]: SELECT" in text and "raw [default]: SELECT COUNT(*)" in text
    assert "median ms: orm" in text


def test_compare_queries_fails_on_a_mismatch(books, monkeypatch):
    pairs = list(queries.QUERY_PAIRS)
    broken = pairs[1]
    pairs[1] = queries.QueryPair(
        broken.name, broken.orm, lambda **kwargs: broken.raw(**kwargs)[1:], broken.databases
    )
    monkeypatch.setattr(compare_queries, "QUERY_PAIRS", tuple(pairs))
    out = io.StringIO()
    with pytest.raises(CommandError, match=f"disagree: {broken.name}"):
        call_command("compare_queries", "--tenant=acme", "--repeat=1", stdout=out)
    assert "MISMATCH" in out.getvalue()
