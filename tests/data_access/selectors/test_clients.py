import datetime
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BOTH_DATABASES
from data_access import bulk_load, querying, services
from data_access.models import Client, ClientCount, ClientTotals, Contract, TotalsCoverage
from data_access.querying import CLIENT_COLUMNS, ClientQuery
from data_access.selectors import aggregates
from data_access.selectors import clients as clients_selector
from data_access.selectors.clients import WALK_ROUNDS, client_page, client_rows
from tests.helpers import make_clients
from tests.oracle import oracle

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

SORT_KEYS = [column.key for column in CLIENT_COLUMNS]
# Every sort, ascending and descending ("-key").
SORTS = [sign + key for key in SORT_KEYS for sign in ("", "-")]

BASE_TIME = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
# Letters on which PostgreSQL's UPPER() and Python's str.upper() agree.
NAME_ALPHABET = "abcxyzABCXYZáéñÁÉÑ "


def walk_always(**_) -> bool:
    """Patched over `_walk_is_cheaper`: the walk, meant for large data, on small data."""
    return True


# Where each threshold that large_data_plans may set lives.
THRESHOLDS = {
    "DEEP_OFFSET": clients_selector,
    "WALK_FIRST_BATCH": clients_selector,
    "WALK_AHEAD": clients_selector,
    "DEEP_SKIP": aggregates,
    "MAX_IN_LIST": aggregates,
}


@contextmanager
def large_data_plans(**thresholds: int) -> Iterator[None]:
    """The plans meant for large data, forced on small data: never the small-match
    join, always the totals walk, and each threshold named set as given."""
    with ExitStack() as patches:
        patches.enter_context(mock.patch.object(clients_selector, "SMALL_MATCH", 0))
        patches.enter_context(mock.patch.object(clients_selector, "_walk_is_cheaper", walk_always))
        for name, value in thresholds.items():
            patches.enter_context(mock.patch.object(THRESHOLDS[name], name, value))
        yield


def load(
    tenant,
    clients: list[tuple[str, str, bool, int]],
    contracts: list[tuple[int, Decimal, bool]],
) -> list[int]:
    """Bulk-insert clients and contracts, and the totals services would keep."""
    with tenant_context(tenant):
        created = Client.objects.bulk_create(
            Client(
                name=name,
                email=f"user{index}.{name.strip().lower()[:3]}@example.com",
                country=country,
                is_active=active,
                created_at=BASE_TIME + datetime.timedelta(days=day),
            )
            for index, (name, country, active, day) in enumerate(clients)
        )
    ids = [c.pk for c in created]
    if ids and contracts:
        Contract.unscoped.bulk_create(
            Contract(
                tenant_id=tenant.pk,
                client_id=ids[index % len(ids)],
                title=f"contract {n}",
                amount=amount,
                signed_on=datetime.date(2026, 1, 1),
                is_active=active,
            )
            for n, (index, amount, active) in enumerate(contracts)
        )
        with connections["mysql"].cursor() as cursor:
            cursor.execute(
                "INSERT INTO data_access_clienttotals "
                "(tenant_id, client_id, active_contracts, active_amount) "
                "SELECT tenant_id, client_id, COUNT(*), SUM(amount) FROM data_access_contract "
                "WHERE tenant_id = %s AND is_active GROUP BY tenant_id, client_id",
                [tenant.pk],
            )
    return ids


def complete_zero_rows(tenant) -> None:
    """A zero ClientTotals row for every client without one, as seeding writes them."""
    bulk_load.rebuild_rollups(tenant=tenant)
    with tenant_context(tenant):
        assert TotalsCoverage.objects.get().complete
        clients = Client.objects.count()
    assert ClientTotals.objects.filter(tenant_id=tenant.pk).count() == clients


def summary(rows) -> list[tuple]:
    return [(r.id, r.name, r.contract_count, r.total_amount) for r in rows]


def assert_matches_oracle(tenant, query: ClientQuery) -> None:
    with tenant_context(tenant):
        expected_rows, expected_count = oracle(query)
        page = client_page(query)
        assert page.paginator.count == expected_count
        assert summary(page.rows) == summary(expected_rows)


def assert_capped_page_matches_oracle(tenant, query: ClientQuery) -> None:
    """With querying.COUNT_LIMIT patched small: the rows are the oracle's; a count
    that no rollup answers is exact up to the cap and past it a lower bound that
    never hides a next page nor shows one that does not exist."""
    with tenant_context(tenant):
        expected_rows, expected_count = oracle(query)
        page = client_page(query)
    assert summary(page.rows) == summary(expected_rows)
    exact = query.segment_filters_only or expected_count <= querying.COUNT_LIMIT
    assert page.count_is_exact is exact
    if exact:
        assert page.paginator.count == expected_count
    else:
        assert querying.COUNT_LIMIT <= page.paginator.count <= expected_count
        assert page.has_next() is (expected_count > query.offset + query.page_size)


# --- Property test against the brute-force oracle ---------------------------------

clients_strategy = st.lists(
    st.tuples(
        st.text(NAME_ALPHABET, min_size=1, max_size=6),
        st.sampled_from(["CL", "BR", "ES"]),
        st.booleans(),
        st.integers(0, 3),  # few distinct dates: ties on "created"
    ),
    max_size=14,
)
contracts_strategy = st.lists(
    st.tuples(
        st.integers(0, 30),
        st.sampled_from([Decimal("1.00"), Decimal("10.50"), Decimal("99.99")]),  # ties on totals
        st.booleans(),
    ),
    max_size=30,
)
money = st.none() | st.sampled_from([Decimal("0"), Decimal("1.00"), Decimal("20"), Decimal("150")])
queries_strategy = st.builds(
    ClientQuery,
    search=st.sampled_from(["", "a", "Á", "ñ", "xy", "USER1", "@"]),
    country=st.sampled_from(["", "CL", "BR"]),
    active=st.none() | st.booleans(),
    min_total=money,
    max_total=money,
    has_contracts=st.none() | st.booleans(),
    sort=st.sampled_from(SORTS),
    page=st.integers(1, 4),
    page_size=st.sampled_from([1, 2, 3, 5, 25]),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    acme_clients=clients_strategy,
    acme_contracts=contracts_strategy,
    globex_clients=clients_strategy,
    globex_contracts=contracts_strategy,
    queries=st.lists(queries_strategy, min_size=1, max_size=4),
)
def test_client_page_equals_the_brute_force_oracle(
    acme, globex, acme_clients, acme_contracts, globex_clients, globex_contracts, queries
):
    with transaction.atomic(), transaction.atomic(using="mysql"):
        load(acme, acme_clients, acme_contracts)
        load(globex, globex_clients, globex_contracts)  # noise with overlapping ids
        # First without zero rows (clients written by the ORM: the fallback), then
        # with them, as seeding and check_integrity --repair leave them.
        for zero_rows in (False, True):
            if zero_rows:
                complete_zero_rows(acme)
                complete_zero_rows(globex)
            for query in queries:
                assert_matches_oracle(acme, query)
                # The plans meant for large data, forced on this small data.
                with large_data_plans(DEEP_OFFSET=0, DEEP_SKIP=0, MAX_IN_LIST=0):
                    assert_matches_oracle(acme, query)
                with large_data_plans(WALK_FIRST_BATCH=1, WALK_AHEAD=0):
                    assert_matches_oracle(acme, query)
        transaction.set_rollback(True, using="mysql")
        transaction.set_rollback(True)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    acme_clients=clients_strategy,
    acme_contracts=contracts_strategy,
    queries=st.lists(queries_strategy, min_size=1, max_size=4),
    cap=st.integers(0, 6),
)
def test_past_a_small_cap_every_plan_pages_like_the_oracle(
    acme, acme_clients, acme_contracts, queries, cap
):
    with (
        transaction.atomic(),
        transaction.atomic(using="mysql"),
        mock.patch.object(querying, "COUNT_LIMIT", cap),
    ):
        load(acme, acme_clients, acme_contracts)
        for zero_rows in (False, True):
            if zero_rows:
                complete_zero_rows(acme)
            for query in queries:
                assert_capped_page_matches_oracle(acme, query)
                # The plans meant for large data; then the real walk decision, which
                # a count past the cap must not mislead.
                with large_data_plans(DEEP_OFFSET=0):
                    assert_capped_page_matches_oracle(acme, query)
                with mock.patch.object(clients_selector, "SMALL_MATCH", 0):
                    assert_capped_page_matches_oracle(acme, query)
        transaction.set_rollback(True, using="mysql")
        transaction.set_rollback(True)


# --- Hand-written edge cases ---------------------------------------------------------


@pytest.fixture
def book(acme, globex):
    """Five acme clients: ties on total, one without contracts, one only inactive."""
    ids = load(
        acme,
        [
            ("Ana", "CL", True, 0),
            ("Bruno", "BR", True, 0),
            ("Carla", "CL", False, 1),
            ("Diego", "ES", True, 2),
            ("JOSÉ Núñez", "CL", True, 3),
        ],
        [
            (0, Decimal("50.00"), True),
            (1, Decimal("25.00"), True),
            (1, Decimal("25.00"), True),  # Bruno ties with Ana at 50.00
            (2, Decimal("70.00"), False),  # Carla: inactive only
            (4, Decimal("10.00"), True),
        ],
    )
    load(globex, [("Ana", "CL", True, 0)], [(0, Decimal("999.00"), True)])
    return ids


def test_ties_on_total_are_broken_by_id_in_the_sorts_direction(acme, book):
    with tenant_context(acme):
        page = client_page(ClientQuery(sort="-total"))
        assert [r.name for r in page.rows] == ["Bruno", "Ana", "JOSÉ Núñez", "Diego", "Carla"]
        page = client_page(ClientQuery(sort="total"))
        assert [r.name for r in page.rows] == ["Carla", "Diego", "JOSÉ Núñez", "Ana", "Bruno"]


def test_clients_without_contracts_and_with_only_inactive_ones_total_zero(acme, book):
    with tenant_context(acme):
        rows = {r.name: r for r in client_page(ClientQuery()).rows}
    assert (rows["Diego"].contract_count, rows["Diego"].total_amount) == (0, Decimal("0.00"))
    assert (rows["Carla"].contract_count, rows["Carla"].total_amount) == (0, Decimal("0.00"))
    assert (rows["Bruno"].contract_count, rows["Bruno"].total_amount) == (2, Decimal("50.00"))


def test_pages_cover_every_row_exactly_once_for_every_sort(acme, book):
    for sort in SORTS:
        seen = []
        for page_number in (1, 2, 3):
            query = ClientQuery(sort=sort, page=page_number, page_size=2)
            with tenant_context(acme):
                page = client_page(query)
            seen += [r.id for r in page.rows]
        assert sorted(seen) == sorted(book), sort


def test_last_page_and_past_the_end(acme, book):
    with tenant_context(acme):
        last = client_page(ClientQuery(page=3, page_size=2))
        beyond = client_page(ClientQuery(page=9, page_size=2, sort="total"))
    assert [r.name for r in last.rows] == ["JOSÉ Núñez"]
    assert (last.paginator.count, last.paginator.num_pages, last.has_next()) == (5, 3, False)
    assert beyond.rows == [] and beyond.paginator.count == 5


def test_empty_results(acme, book):
    with tenant_context(acme):
        page = client_page(ClientQuery(search="nobody", sort="-total"))
    assert (page.rows, page.paginator.count, page.start_index()) == ([], 0, 0)


def test_unicode_search_is_case_insensitive(acme, book):
    for search in ("josé", "JOSÉ", "núñ", "NÚÑEZ"):
        with tenant_context(acme):
            page = client_page(ClientQuery(search=search))
        assert [r.name for r in page.rows] == ["JOSÉ Núñez"], search


@pytest.mark.parametrize(
    "query",
    [
        ClientQuery(has_contracts=False),
        ClientQuery(has_contracts=True, sort="-contracts"),
        ClientQuery(min_total=Decimal("10"), max_total=Decimal("50"), sort="email"),
        ClientQuery(country="CL", sort="-total"),
        ClientQuery(active=False, sort="contracts"),
        ClientQuery(max_total=Decimal("0"), sort="-created"),
        ClientQuery(created_from=datetime.date.today(), sort="-total"),
        ClientQuery(created_to=datetime.date.today() - datetime.timedelta(days=1)),
    ],
)
def test_filters_match_the_oracle(acme, book, query):
    assert_matches_oracle(acme, query)


ZERO_ROW_FILTERS = [
    {},
    {"has_contracts": True},
    {"has_contracts": False},
    {"min_total": Decimal("20")},
    {"max_total": Decimal("50")},
    {"min_total": Decimal("0"), "max_total": Decimal("10")},
    {"has_contracts": False, "min_total": Decimal("1")},  # empty
    {"country": "CL", "max_total": Decimal("50")},
    {"active": True, "has_contracts": False},
]


@pytest.mark.parametrize("filters", ZERO_ROW_FILTERS)
def test_zero_rows_answer_every_sort_and_aggregate_filter_like_the_oracle(
    acme, globex, book, filters
):
    complete_zero_rows(acme)
    complete_zero_rows(globex)
    for sort in SORTS:
        for page in (1, 2, 3):
            query = ClientQuery(sort=sort, page=page, page_size=2, **filters)
            assert_matches_oracle(acme, query)
            with large_data_plans(DEEP_SKIP=0, MAX_IN_LIST=0):
                assert_matches_oracle(acme, query)
            # Walks of several rounds: batches of 1, then 8, 64 and the rest.
            with large_data_plans(WALK_FIRST_BATCH=1, WALK_AHEAD=0):
                assert_matches_oracle(acme, query.with_changes(page_size=1))


@pytest.mark.parametrize("zero_rows", [False, True])
def test_a_created_range_is_counted_not_read_from_the_rollup(acme, globex, book, zero_rows):
    """ClientCount is kept per country and active state: a created range is counted,
    and the walks' share and the clients without contracts follow that count."""
    if zero_rows:
        complete_zero_rows(acme)
        complete_zero_rows(globex)
    for sort in SORTS:
        for page in (1, 2):
            query = ClientQuery(
                created_from=datetime.date(2025, 1, 2), sort=sort, page=page, page_size=2
            )
            assert_matches_oracle(acme, query)
            with mock.patch.object(clients_selector, "_walk_is_cheaper", walk_always):
                assert_matches_oracle(acme, query)


# --- Counts past the cap ----------------------------------------------------------------

# The book's five clients all match these; none is answered by ClientCount.
UNCOUNTED_BY_ROLLUPS = [
    {"max_total": Decimal("50")},  # the aggregate-filter plans (a range of totals)
    {"min_total": Decimal("0"), "max_total": Decimal("100")},
    {"search": "@"},  # the search plans (every email has one)
    {"search": "example", "max_total": Decimal("50")},
]


@pytest.mark.parametrize("zero_rows", [False, True])
@pytest.mark.parametrize("filters", UNCOUNTED_BY_ROLLUPS)
@pytest.mark.parametrize("sort", ["name", "-created", "-total", "contracts"])
def test_past_the_cap_a_count_is_a_labelled_lower_bound_and_every_page_is_reachable(
    acme, globex, book, monkeypatch, zero_rows, filters, sort
):
    if zero_rows:
        complete_zero_rows(acme)
        complete_zero_rows(globex)
    monkeypatch.setattr(querying, "COUNT_LIMIT", 2)
    # Ranges read whole and joins, then the walks (decided by the counts, then forced).
    for small_match, walk in ((clients_selector.SMALL_MATCH, None), (0, None), (0, walk_always)):
        monkeypatch.setattr(clients_selector, "SMALL_MATCH", small_match)
        if walk is not None:
            monkeypatch.setattr(clients_selector, "_walk_is_cheaper", walk)
        seen, page_number = [], 1
        while True:
            query = ClientQuery(sort=sort, page=page_number, page_size=2, **filters)
            assert_capped_page_matches_oracle(acme, query)
            with tenant_context(acme):
                page = client_page(query)
            assert not page.count_is_exact and page.count_limit == 2
            seen += [row.id for row in page.rows]
            if not page.has_next():
                break
            page_number += 1
        assert page_number == 3 and sorted(seen) == sorted(book)  # by next links alone
        with tenant_context(acme):
            beyond = client_page(ClientQuery(sort=sort, page=9, page_size=2, **filters))
        assert beyond.rows == [] and beyond.paginator.count == 2  # "more than 2"
        assert not beyond.count_is_exact and beyond.number > beyond.paginator.num_pages


@pytest.mark.parametrize(
    "filters", [{}, {"country": "CL"}, {"active": True}, {"country": "CL", "active": True}]
)
@pytest.mark.parametrize("sort", ["name", "-total", "total"])
def test_rollup_counts_stay_exact_past_the_cap(acme, globex, book, monkeypatch, filters, sort):
    monkeypatch.setattr(querying, "COUNT_LIMIT", 1)
    for page in (1, 2):
        query = ClientQuery(sort=sort, page=page, page_size=2, **filters)
        assert_matches_oracle(acme, query)
        with tenant_context(acme):
            assert client_page(query).count_is_exact


def test_a_range_past_the_cap_is_never_read_whole(acme, globex, book, monkeypatch):
    """A capped count below SMALL_MATCH is only a lower bound: the range may hold
    more than the SMALL_MATCH rows a whole read takes, so it is walked instead."""
    complete_zero_rows(acme)
    monkeypatch.setattr(querying, "COUNT_LIMIT", 1)
    monkeypatch.setattr(clients_selector, "SMALL_MATCH", 3)
    for sort in SORTS:
        for page in (1, 2, 3):
            query = ClientQuery(max_total=Decimal("50"), sort=sort, page=page, page_size=2)
            assert_capped_page_matches_oracle(acme, query)


def test_a_lower_bound_that_cannot_prove_the_walk_cheaper_is_counted_exactly(
    acme, globex, book, monkeypatch
):
    """Past the cap a search's count is a lower bound; when it alone would pick the
    join, the exact count decides, and here it walks."""
    monkeypatch.setattr(querying, "COUNT_LIMIT", 1)
    monkeypatch.setattr(clients_selector, "SMALL_MATCH", 0)
    query = ClientQuery(search="@", sort="-total", page_size=2)
    stop, everyone = query.window.stop, len(book)
    assert not clients_selector._walk_is_cheaper(count=2, everyone=everyone, stop=stop)
    assert clients_selector._walk_is_cheaper(count=len(book), everyone=everyone, stop=stop)
    with mock.patch.object(
        clients_selector, "_page_joined", wraps=clients_selector._page_joined
    ) as joined:
        assert_capped_page_matches_oracle(acme, query)
    joined.assert_not_called()


def test_clients_written_outside_the_services_fall_back_and_stay_exact(acme, book):
    complete_zero_rows(acme)
    query = ClientQuery(sort="total", page_size=3)
    with tenant_context(acme):
        orm_client = Client.objects.create(name="Zoe", email="z@example.com", country="CL")
        assert not TotalsCoverage.objects.get().complete  # the trigger saw the ORM insert
    assert not ClientTotals.objects.filter(tenant_id=acme.pk, client_id=orm_client.pk).exists()
    assert_matches_oracle(acme, query)
    assert_matches_oracle(acme, query.with_changes(has_contracts=False))
    with tenant_context(acme):
        assert client_page(query).rows[2].name == "Zoe"  # zero, ordered by id


def test_the_services_keep_zero_rows_complete(acme, book):
    complete_zero_rows(acme)
    with tenant_context(acme):
        zoe = services.create_client(name="Zoe", email="z@example.com", country="CL")
        contract = services.create_contract(
            client_id=zoe.pk, title="One", amount=Decimal("5.00"),
            signed_on=datetime.date(2026, 2, 1),
        )  # fmt: skip
        services.delete_contract(contract_id=contract.pk)
        assert TotalsCoverage.objects.get().complete
    zero = ClientTotals.objects.get(tenant_id=acme.pk, client_id=zoe.pk)
    assert (zero.active_contracts, zero.active_amount) == (0, Decimal("0.00"))  # kept at zero
    assert_matches_oracle(acme, ClientQuery(sort="total", page_size=3))
    with tenant_context(acme):
        services.delete_client(client_id=zoe.pk)
        assert TotalsCoverage.objects.get().complete
    assert not ClientTotals.objects.filter(tenant_id=acme.pk, client_id=zoe.pk).exists()
    assert_matches_oracle(acme, ClientQuery(sort="-total", has_contracts=False))


def test_a_contract_written_through_data_access_shows_in_the_next_query(acme, book):
    query = ClientQuery(sort="-total", page_size=1)
    with tenant_context(acme):
        assert client_page(query).rows[0].name == "Bruno"
        services.create_contract(
            client_id=book[3], title="Big", amount=Decimal("1000.00"),
            signed_on=datetime.date(2026, 2, 1),
        )  # fmt: skip
        top = client_page(query).rows[0]
    assert (top.name, top.contract_count, top.total_amount) == ("Diego", 1, Decimal("1000.00"))


def test_export_yields_every_matching_row_in_order(acme, book):
    query = ClientQuery(sort="-total", page_size=2)
    with tenant_context(acme):
        exported = list(client_rows(query))
        expected, count = oracle(query.with_changes(page_size=1000))
    assert summary(exported) == summary(expected) and count == 5


# --- Bounded work ---------------------------------------------------------------------


def _count_queries(tenant, query: ClientQuery) -> tuple[int, int, list[str]]:
    with (
        tenant_context(tenant),
        CaptureQueriesContext(connection) as pg,
        CaptureQueriesContext(connections["mysql"]) as my,
    ):
        client_page(query)
    pg_queries = [q for q in pg.captured_queries if not q["sql"].startswith("SET search_path")]
    return len(pg_queries), len(my), [q["sql"] for q in my.captured_queries]


# (query, (PostgreSQL, MySQL) queries without zero rows, the same with them). Every
# aggregate plan first reads TotalsCoverage (one PostgreSQL query). With zero rows,
# each query runs with SMALL_MATCH 0 (walks) and 400 (ranges read whole): the bound
# holds for both.
BOUNDS = [
    (ClientQuery(), (2, 1), (2, 1)),  # count, page; totals of the page
    # Without: coverage, count, ids without contracts, rows; the index slice, ids with
    # contracts. With: coverage, count, rows; the index slice.
    (ClientQuery(sort="-total"), (4, 2), (3, 1)),
    (ClientQuery(sort="contracts"), (4, 2), (3, 1)),
    # + up to WALK_ROUNDS id checks and index batches
    (
        ClientQuery(country="CL", sort="-total"),
        (WALK_ROUNDS + 4, WALK_ROUNDS + 1),
        (WALK_ROUNDS + 3, WALK_ROUNDS),
    ),
    (
        ClientQuery(country="CL", sort="total"),
        (WALK_ROUNDS + 4, WALK_ROUNDS + 1),
        (WALK_ROUNDS + 3, WALK_ROUNDS),
    ),
    # Without: coverage, ids, rows; ids passing (or failing) the filter, the page's
    # totals. With: coverage, up to WALK_ROUNDS batches of PostgreSQL's order, rows;
    # the range's count, a check of each batch (or: count, page ids; the range).
    (ClientQuery(min_total=Decimal("1"), sort="name"), (3, 2), (WALK_ROUNDS + 2, WALK_ROUNDS + 1)),
    # With: coverage, count, page ids, rows; the range's count, the range (or the
    # join below, when the range is wider than SMALL_MATCH).
    (ClientQuery(search="a", has_contracts=False, sort="created"), (3, 2), (4, 3)),
    # With: coverage, rows; the range's count and its page.
    (ClientQuery(max_total=Decimal("6"), sort="-total"), (3, 1), (2, 2)),
    (ClientQuery(has_contracts=False, sort="total"), (3, 1), (2, 2)),
]


@pytest.mark.parametrize("zero_rows", [False, True])
@pytest.mark.parametrize(("query", "without", "with_zero_rows"), BOUNDS)
def test_query_count_is_bounded_whatever_the_page_and_data_size(
    acme, query, without, with_zero_rows, zero_rows, monkeypatch
):
    counts = set()
    for small_match in (0, 400) if zero_rows else (0,):  # 0: walk even on small data
        monkeypatch.setattr(clients_selector, "SMALL_MATCH", small_match)
        if small_match == 0:
            monkeypatch.setattr(clients_selector, "_walk_is_cheaper", walk_always)
        for n_clients, page_size, page in ((4, 2, 1), (60, 25, 1), (60, 50, 1), (300, 10, 20)):
            with transaction.atomic(), transaction.atomic(using="mysql"):
                load(
                    acme,
                    [
                        (f"Client {i}", "CL" if i % 2 else "BR", True, i % 3)
                        for i in range(n_clients)
                    ],
                    [(i, Decimal("5.00"), i % 4 != 0) for i in range(n_clients * 2)],
                )
                if zero_rows:
                    complete_zero_rows(acme)
                query_page = query.with_changes(page_size=page_size, page=page)
                pg, my, _ = _count_queries(acme, query_page)
                counts.add((pg, my))
                transaction.set_rollback(True, using="mysql")
                transaction.set_rollback(True)
    max_postgres, max_mysql = with_zero_rows if zero_rows else without
    assert max(pg for pg, _ in counts) <= max_postgres, counts
    assert max(my for _, my in counts) <= max_mysql, counts


def test_client_column_sorts_ask_mysql_only_for_the_pages_clients(acme):
    ids = load(
        acme,
        [(f"C{i:02}", "CL", True, 0) for i in range(30)],
        [(i, Decimal("1"), True) for i in range(30)],
    )
    _, my, sql = _count_queries(acme, ClientQuery(sort="name", page=2, page_size=5))
    assert my == 1
    assert sql[0].count(",") - sql[0].split("IN (")[0].count(",") == 4  # five ids
    assert all(str(i) in sql[0] for i in ids[5:10])


def test_aggregate_sort_never_loads_every_client_row(acme):
    load(
        acme,
        [(f"C{i:02}", "CL", True, 0) for i in range(40)],
        [(i, Decimal(i + 1), True) for i in range(30)],
    )
    with tenant_context(acme), CaptureQueriesContext(connection) as pg:
        page = client_page(ClientQuery(sort="-total", page_size=5))
    assert [r.total_amount for r in page.rows] == [Decimal(n) for n in (30, 29, 28, 27, 26)]
    for sql in (q["sql"] for q in pg.captured_queries if "search_path" not in q["sql"]):
        # ClientCount holds a row per (country, active): bounded by the countries.
        bounded = ("COUNT(", "= ANY(", "LIMIT", ClientCount._meta.db_table)
        assert any(marker in sql for marker in bounded), sql
    assert ClientTotals.objects.filter(tenant_id=acme.pk).count() == 30


@pytest.mark.parametrize("sort", ["name", "-name", "email", "-email", "created", "-created"])
def test_deep_pages_read_ids_first_and_match_the_oracle(acme, book, monkeypatch, sort):
    monkeypatch.setattr(clients_selector, "DEEP_OFFSET", 0)
    for page in (1, 2, 3):
        assert_matches_oracle(acme, ClientQuery(sort=sort, page=page, page_size=2))


@pytest.mark.parametrize("zero_rows", [False, True])
@pytest.mark.parametrize(
    "filters", [{}, {"min_total": Decimal("10")}, {"max_total": Decimal("50")}]
)
def test_deep_pages_in_a_totals_order_find_their_keys_in_the_index(
    acme, globex, book, monkeypatch, zero_rows, filters
):
    """Past DEEP_SKIP rows a totals page is found by an index-only scan, then read
    by key: the same rows, ties broken by id, as the oracle."""
    if zero_rows:
        complete_zero_rows(acme)
        complete_zero_rows(globex)
    monkeypatch.setattr(aggregates, "DEEP_SKIP", 0)
    for sort in ("total", "-total", "contracts", "-contracts"):
        for page in (1, 2, 3):
            assert_matches_oracle(acme, ClientQuery(sort=sort, page=page, page_size=2, **filters))


def test_created_ranges_are_whole_days_and_periods_narrow_them(acme):
    day = 24 * 60
    make_clients(acme, [("First", "CL", True, 0, []), ("Second", "CL", True, day, []),
                        ("Later", "CL", True, 40 * day, [])])  # fmt: skip

    def names(**filters) -> list[str]:
        page = client_page(ClientQuery(sort="created", **filters), tenant=acme)
        return [row.name for row in page.rows]

    assert names(created_from=datetime.date(2025, 3, 2)) == ["Second", "Later"]
    assert names(created_to=datetime.date(2025, 3, 2)) == ["First", "Second"]
    assert names(created_from=datetime.date(2025, 3, 2), created_to=datetime.date(2025, 3, 2)) == [
        "Second"
    ]
    # BASE_TIME is long past: no client of these was created this month.
    assert names(created="this_month") == []


@pytest.mark.parametrize(
    ("count", "stop", "walks"),
    [
        (20_010, 25, True),  # a wide filter's first page: a few hundred index rows
        (20_010, 2_500, True),  # ~12,500 index rows against 20,010 ids and totals
        (9_950, 2_500, False),  # ~25,000 index rows against 9,950: join
        (4_000, 25, False),  # at most SMALL_MATCH matches: always join
    ],
)
def test_a_filtered_aggregate_sort_walks_only_when_that_reads_less(count, stop, walks):
    everyone = 100_000
    assert clients_selector._walk_is_cheaper(count=count, everyone=everyone, stop=stop) is walks
