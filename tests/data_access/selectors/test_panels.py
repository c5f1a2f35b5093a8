"""Dashboard panels against a brute-force oracle: load every client and contract
of the tenant, filter and aggregate in Python."""

import datetime
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES
from data_access import services
from data_access.boundary import ContractsUnavailable
from data_access.models import Client, Contract
from data_access.querying import ClientQuery
from data_access.selectors import aggregates, panels
from data_access.selectors.clients import client_page
from tenancy.models import Tenant
from tests.helpers import TODAY, contracts_down, make_book
from tests.oracle import ZERO, PanelOracle

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

QUERIES = {
    "everything": ClientQuery(),
    "search": ClientQuery(search="silva"),
    "search-email": ClientQuery(search="C1-1"),
    "country": ClientQuery(country="CL"),
    "inactive": ClientQuery(active=False),
    "min-total": ClientQuery(min_total=Decimal("4000.00")),
    "max-total": ClientQuery(max_total=Decimal("3000.00")),
    "no-contracts": ClientQuery(has_contracts=False),
    "with-contracts": ClientQuery(has_contracts=True),
    "country-and-range": ClientQuery(
        country="CL", min_total=Decimal("100.00"), max_total=Decimal("9000.00")
    ),
    "search-and-active": ClientQuery(search="ana", active=True, sort="email", page=3),
    "nothing": ClientQuery(search="zzz-no-such-client"),
}


@pytest.fixture(autouse=True)
def _empty_cache():
    # Tenants keep their pk across tests; a cached OrphanReport must not leak.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def oracles(acme, globex) -> dict[str, PanelOracle]:
    make_book(acme, seed=1, clients=40, contracts=150)
    make_book(globex, seed=2, clients=30, contracts=100)
    return {"acme": PanelOracle(acme), "globex": PanelOracle(globex)}


@pytest.mark.parametrize("name", QUERIES)
def test_panels_match_the_oracle(oracles, acme, globex, name):
    query = QUERIES[name]
    for tenant in (acme, globex):
        oracle = oracles[tenant.schema_name]
        assert panels.kpis(query, tenant=tenant) == oracle.kpis(query)
        top = panels.top_clients(query, limit=7, tenant=tenant)
        assert [(r.id, r.contract_count, r.total_amount) for r in top] == oracle.top(query, 7)
        assert panels.totals_by_country(query, tenant=tenant) == oracle.by_country(query)
        assert panels.signed_per_month(query, months=14, tenant=tenant, today=TODAY) == (
            oracle.per_month(query, 14, TODAY)
        )
        # Same selection as the clients table.
        page = client_page(query, tenant=tenant)
        assert panels.kpis(query, tenant=tenant).clients == page.paginator.count


def test_wide_selections_read_the_whole_tenant_and_agree(oracles, acme, monkeypatch):
    # Above MAX_IN_LIST ids the panels read every totals row instead of an IN list.
    monkeypatch.setattr(aggregates, "MAX_IN_LIST", 3)
    oracle = oracles["acme"]
    for name, query in QUERIES.items():
        assert panels.kpis(query, tenant=acme) == oracle.kpis(query), name
        assert panels.totals_by_country(query, tenant=acme) == oracle.by_country(query), name


def test_a_created_range_is_not_answered_by_the_rollups(oracles, acme):
    # The rollups are kept per country and active state, not per creation date.
    with tenant_context(acme):
        older = sorted(Client.objects.values_list("id", flat=True))[::3]
        Client.objects.filter(id__in=older).update(
            created_at=datetime.datetime(2025, 1, 15, tzinfo=datetime.UTC)
        )
    oracle = PanelOracle(acme)
    for query in (
        ClientQuery(created_to=datetime.date(2025, 1, 31)),
        ClientQuery(created_from=datetime.date(2025, 2, 1), country="CL"),
    ):
        assert 0 < len(oracle.matching(query)) < len(oracle.clients)
        assert panels.kpis(query, tenant=acme) == oracle.kpis(query)
        assert panels.totals_by_country(query, tenant=acme) == oracle.by_country(query)
        assert client_page(query, tenant=acme).paginator.count == len(oracle.matching(query))


def test_the_queries_select_something(oracles):
    # Guards the oracle comparison against vacuous fixtures.
    acme = oracles["acme"]
    for name, query in QUERIES.items():
        matched = len(acme.matching(query))
        assert (matched == 0) == (name == "nothing"), name
        assert matched < len(acme.clients) or name in {"everything", "search-email"}, name


def test_panels_use_the_current_tenant_by_default(oracles, acme, globex):
    _orphan(acme)
    with tenant_context(globex):
        assert panels.kpis(ClientQuery()) == oracles["globex"].kpis(ClientQuery())
        assert panels.orphan_contracts() is None  # checked (inline here) on this first read
        assert _found(panels.orphan_contracts()) == NONE
    with tenant_context(acme):
        assert panels.kpis(ClientQuery()) == oracles["acme"].kpis(ClientQuery())


def test_signed_per_month_fills_empty_months(acme):
    with tenant_context(acme):
        client = Client.objects.create(name="Solo", email="solo@example.com", country="CL")
    services.create_contract(
        client_id=client.pk,
        title="Only",
        amount=Decimal("10.05"),
        signed_on=datetime.date(2026, 3, 31),
        is_active=False,
        tenant=acme,
    )
    months = panels.signed_per_month(ClientQuery(), months=4, tenant=acme, today=TODAY)
    assert months == [
        panels.MonthCount(datetime.date(2026, 3, 1), 1, Decimal("10.05")),
        panels.MonthCount(datetime.date(2026, 4, 1), 0, ZERO),
        panels.MonthCount(datetime.date(2026, 5, 1), 0, ZERO),
        panels.MonthCount(datetime.date(2026, 6, 1), 0, ZERO),
    ]
    kpis = panels.kpis(ClientQuery(), tenant=acme)
    assert kpis == panels.Kpis(1, 1, 0, ZERO, None)  # inactive contracts are not in the KPIs


def test_orphan_contracts_are_reported_per_tenant(oracles, acme, globex):
    for client_id in (5_000_001, 5_000_002, 5_000_002):
        Contract.unscoped.create(
            tenant_id=acme.pk, client_id=client_id, title="Lost", amount=Decimal(1), signed_on=TODAY
        )
    before = timezone.now()
    report = panels.refresh_orphan_report(tenant=acme)
    assert _found(report) == (3, [5_000_001, 5_000_002])
    assert before <= report.checked_at <= timezone.now()
    assert _found(panels.refresh_orphan_report(tenant=globex)) == NONE
    # Stored: the panel reads the same report.
    assert panels.orphan_contracts(tenant=acme) == report
    # An orphan is not a client: the panels leave it out.
    assert panels.kpis(ClientQuery(search="a"), tenant=acme) == oracles["acme"].kpis(
        ClientQuery(search="a")
    )


def _orphan(tenant, client_id: int = 6_000_001) -> Contract:
    # Bypasses the services, the only way an orphan can appear.
    return Contract.unscoped.create(
        tenant_id=tenant.pk, client_id=client_id, title="Lost", amount=Decimal(1), signed_on=TODAY
    )


def _client(tenant, email: str) -> Client:
    with tenant_context(tenant):
        return Client.objects.create(name="Cached", email=email, country="CL")


def _contract_for(tenant, client: Client) -> Contract:
    return services.create_contract(
        client_id=client.pk, title="Deal", amount=Decimal("3.10"), signed_on=TODAY, tenant=tenant
    )


def _found(report: panels.OrphanReport | None) -> tuple[int, list[int]] | None:
    """What a report found (its moment aside)."""
    return None if report is None else (report.contracts, report.clients)


NONE = (0, [])
ONE = (1, [6_000_001])


def _checks(queries: CaptureQueriesContext) -> list[str]:
    """The orphan checks among these MySQL statements: contracts grouped by client."""
    return [query["sql"] for query in queries if "GROUP BY" in query["sql"]]


class Clock:
    """The panels' clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 6, 30, 12, 0, tzinfo=datetime.UTC)

    def advance(self, seconds: float) -> None:
        self.now += datetime.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(panels, "timezone", SimpleNamespace(now=lambda: clock.now))
    return clock


def test_a_first_read_schedules_one_refresh_and_says_it_is_running(acme, held_refreshes):
    _orphan(acme)
    with CaptureQueriesContext(connections["mysql"]) as mysql:
        assert panels.orphan_contracts(tenant=acme) is None
        assert panels.orphan_contracts(tenant=acme) is None  # still running: not scheduled again
    assert not _checks(mysql) and len(held_refreshes) == 1
    with CaptureQueriesContext(connections["mysql"]) as mysql:
        held_refreshes.pop()()
    assert len(_checks(mysql)) == 1  # the check itself, off the request
    assert _found(panels.orphan_contracts(tenant=acme)) == ONE
    assert not held_refreshes  # fresh: nothing more to do


def test_a_stale_report_is_returned_at_once_and_refreshed(acme, held_refreshes, clock):
    panels.refresh_orphan_report(tenant=acme)
    _orphan(acme)
    clock.advance(panels.ORPHANS_FRESH)
    assert _found(panels.orphan_contracts(tenant=acme)) == NONE  # fresh still
    assert not held_refreshes
    clock.advance(1)
    with CaptureQueriesContext(connections["mysql"]) as mysql:
        stale = panels.orphan_contracts(tenant=acme)
    assert _found(stale) == NONE and not _checks(mysql)  # the old one, at once
    assert len(held_refreshes) == 1
    held_refreshes.pop()()
    report = panels.orphan_contracts(tenant=acme)
    assert _found(report) == ONE and report.checked_at == clock.now
    assert not held_refreshes


def test_one_refresh_at_a_time_per_tenant(acme, globex, held_refreshes, clock):
    panels.refresh_orphan_report(tenant=acme)
    clock.advance(panels.ORPHANS_FRESH + 1)
    # Any number of stale reads, in any process (the lock is in the shared cache)...
    for _ in range(3):
        assert _found(panels.orphan_contracts(tenant=acme)) == NONE
    assert not panels.schedule_refresh(tenant=acme)
    assert len(held_refreshes) == 1  # ...schedule one refresh.
    # The lock is acme's: globex schedules its own.
    assert panels.orphan_contracts(tenant=globex) is None
    assert len(held_refreshes) == 2
    # Once acme's refresh is done, a later stale read may schedule the next one.
    held_refreshes.pop(0)()
    clock.advance(panels.ORPHANS_FRESH + 1)
    panels.orphan_contracts(tenant=acme)
    assert len(held_refreshes) == 2


# Each service write, after the report was stored, and whether it may change the
# report: only writes that touch a contract whose client is missing can.
def _create(tenant, client: Client, orphan: Contract) -> None:
    _contract_for(tenant, client)


def _create_many(tenant, client: Client, orphan: Contract) -> None:
    row = {"client_id": client.pk, "title": "Bulk", "amount": Decimal(2), "signed_on": TODAY}
    services.create_contracts(rows=[row, row], tenant=tenant)


def _update(tenant, client: Client, orphan: Contract) -> None:
    [contract] = Contract.unscoped.filter(tenant_id=tenant.pk, client_id=client.pk)
    services.update_contract(contract_id=contract.pk, title="Renamed", tenant=tenant)


def _deactivate(tenant, client: Client, orphan: Contract) -> None:
    services.set_contracts_active(contract_ids=[orphan.pk], is_active=False, tenant=tenant)


def _delete_contract(tenant, client: Client, orphan: Contract) -> None:
    [contract] = Contract.unscoped.filter(tenant_id=tenant.pk, client_id=client.pk)
    services.delete_contract(contract_id=contract.pk, tenant=tenant)


def _delete_client(tenant, client: Client, orphan: Contract) -> None:
    [contract] = Contract.unscoped.filter(tenant_id=tenant.pk, client_id=client.pk)
    services.delete_contract(contract_id=contract.pk, tenant=tenant)
    services.delete_client(client_id=client.pk, tenant=tenant)


def _reassign_orphan(tenant, client: Client, orphan: Contract) -> None:
    services.update_contract(contract_id=orphan.pk, client_id=client.pk, tenant=tenant)


def _delete_orphan(tenant, client: Client, orphan: Contract) -> None:
    services.delete_contract(contract_id=orphan.pk, tenant=tenant)


@pytest.mark.parametrize(
    ("write", "after"),
    [
        (_create, None),
        (_create_many, None),
        (_update, None),
        (_deactivate, None),
        (_delete_contract, None),
        (_delete_client, None),
        (_reassign_orphan, NONE),
        (_delete_orphan, NONE),
    ],
)
def test_a_service_write_never_runs_the_check(
    acme, globex, held_refreshes, django_capture_on_commit_callbacks, write, after
):
    client = _client(acme, "cached@example.com")
    _contract_for(acme, client)
    orphan = _orphan(acme)
    assert _found(panels.refresh_orphan_report(tenant=acme)) == ONE
    panels.refresh_orphan_report(tenant=globex)
    with CaptureQueriesContext(connections["mysql"]) as mysql:
        # The mark waits for MySQL's commit, which this test's transaction holds back.
        with django_capture_on_commit_callbacks(using="mysql", execute=True):
            write(acme, client, orphan)
        assert _found(panels.orphan_contracts(tenant=acme)) == ONE  # the stored one, at once
    assert not _checks(mysql)
    if after is None:  # this write cannot change the report: it stays current
        assert not held_refreshes
    else:  # marked stale: the read scheduled a refresh, which finds the change
        held_refreshes.pop()()
        assert _found(panels.orphan_contracts(tenant=acme)) == after
    # Only acme's report was touched.
    assert _found(panels.orphan_contracts(tenant=globex)) == NONE
    assert not held_refreshes


def test_a_write_during_a_refresh_leaves_the_report_stale(
    acme, held_refreshes, django_capture_on_commit_callbacks
):
    client = _client(acme, "racing@example.com")
    orphan = _orphan(acme)
    assert panels.orphan_contracts(tenant=acme) is None
    refresh = held_refreshes.pop()

    # The refresh reads the contracts after its start: a write lands in between.
    check = aggregates.orphan_contracts_by_client

    def racing(*, tenant):
        found = check(tenant=tenant)
        with django_capture_on_commit_callbacks(using="mysql", execute=True):
            services.update_contract(contract_id=orphan.pk, client_id=client.pk, tenant=acme)
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aggregates, "orphan_contracts_by_client", racing)
        refresh()
    # Its report misses the write, so it is stale at once: the next read refreshes.
    assert _found(panels.orphan_contracts(tenant=acme)) == ONE
    held_refreshes.pop()()
    assert _found(panels.orphan_contracts(tenant=acme)) == NONE


def _retry_window_passes(tenant) -> None:
    """The cache expires a failed refresh's lock after ORPHANS_RETRY seconds."""
    with tenant_context(tenant):
        cache.delete(panels._lock_key(tenant))


def test_a_failing_refresh_keeps_the_old_report(acme, clock, caplog):
    # Refreshes run inline here (conftest.py), so each read below runs the one it schedules.
    panels.refresh_orphan_report(tenant=acme)
    _orphan(acme)
    clock.advance(panels.ORPHANS_FRESH + 1)
    with contracts_down():
        assert _found(panels.orphan_contracts(tenant=acme)) == NONE  # refresh scheduled: fails
        assert "orphan report of acme not refreshed" in caplog.text
        assert _found(panels.orphan_contracts(tenant=acme)) == NONE
    # MySQL is back, but a failed refresh is retried only after ORPHANS_RETRY.
    caplog.clear()
    assert _found(panels.orphan_contracts(tenant=acme)) == NONE
    _retry_window_passes(acme)
    with CaptureQueriesContext(connections["mysql"]) as mysql:
        assert _found(panels.orphan_contracts(tenant=acme)) == NONE  # schedules (inline)
    assert len(_checks(mysql)) == 1 and not caplog.text
    assert _found(panels.orphan_contracts(tenant=acme)) == ONE


def test_with_no_report_a_failed_check_is_contracts_unavailable(acme):
    with contracts_down():
        assert panels.orphan_contracts(tenant=acme) is None  # its refresh fails
        with pytest.raises(ContractsUnavailable, match="orphan check failed"):
            panels.orphan_contracts(tenant=acme)
    with pytest.raises(ContractsUnavailable):  # MySQL is back, the retry not yet due
        panels.orphan_contracts(tenant=acme)
    _retry_window_passes(acme)
    assert panels.orphan_contracts(tenant=acme) is None  # tried again
    assert _found(panels.orphan_contracts(tenant=acme)) == NONE


def test_orphan_reports_are_kept_per_tenant_whatever_the_ambient_schema(
    acme, globex, held_refreshes
):
    # The keys name the tenant: acme's report, read or refreshed from globex's schema
    # (or acme's), is the same entry, and never globex's.
    _orphan(acme)
    with tenant_context(globex):
        panels.refresh_orphan_report(tenant=acme)
        assert _found(panels.orphan_contracts(tenant=acme)) == ONE
        assert panels.orphan_contracts() is None  # globex's: none yet
    with tenant_context(acme):
        assert _found(panels.orphan_contracts()) == ONE
    assert _found(panels.orphan_contracts(tenant=acme)) == ONE
    assert len(held_refreshes) == 1  # globex's first check
    held_refreshes.pop()()
    assert _found(panels.orphan_contracts(tenant=globex)) == NONE
    # A stale mark made from another schema reaches acme's report alone.
    with tenant_context(globex):
        panels.mark_orphan_report_stale(tenant=acme)
    assert _found(panels.orphan_contracts(tenant=globex)) == NONE
    assert not held_refreshes
    with tenant_context(acme):
        assert _found(panels.orphan_contracts()) == ONE
    assert len(held_refreshes) == 1


@pytest.mark.django_db(transaction=True, databases=BOTH_DATABASES)
def test_a_refresh_runs_in_a_thread_of_its_own(provisioned_transactional_db):
    # The real runner, against committed rows: the read answers at once, a daemon
    # thread checks and stores the report, and closes its connections.
    acme = Tenant.objects.get(schema_name="acme")
    _orphan(acme)
    assert panels.run_refresh is panels.in_a_thread
    with CaptureQueriesContext(connections["mysql"]) as mysql:
        assert panels.orphan_contracts(tenant=acme) is None
    assert not _checks(mysql)
    threads = [thread for thread in threading.enumerate() if thread.name == "orphan-report"]
    assert threads and all(thread.daemon for thread in threads)
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    assert _found(panels.orphan_contracts(tenant=acme)) == ONE


@pytest.mark.parametrize("name", ["everything", "country", "min-total", "country-and-range"])
def test_query_count_does_not_grow_with_the_data(acme, name):
    query = QUERIES[name]

    def count() -> int:
        with (
            CaptureQueriesContext(connections["default"]) as pg,
            CaptureQueriesContext(connections["mysql"]) as my,
        ):
            panels.kpis(query, tenant=acme)
            panels.totals_by_country(query, tenant=acme)
            panels.signed_per_month(query, tenant=acme, today=TODAY)
        return len(pg) + len(my)

    make_book(acme, seed=3, clients=5, contracts=10)
    small = count()
    make_book(acme, seed=4, clients=40, contracts=120)
    assert count() == small
    assert small <= 12


def test_mysql_failure_is_contracts_unavailable(acme):
    with contracts_down():
        with pytest.raises(ContractsUnavailable, match="Can't connect"):
            panels.kpis(ClientQuery(), tenant=acme)
        # The breaker is open now: the other panels do not wait for MySQL again.
        with pytest.raises(ContractsUnavailable, match="not retried yet"):
            panels.totals_by_country(ClientQuery(), tenant=acme)
        with pytest.raises(ContractsUnavailable):
            panels.top_clients(ClientQuery(), tenant=acme)
        with pytest.raises(ContractsUnavailable):
            panels.signed_per_month(ClientQuery(country="CL"), tenant=acme)
        with pytest.raises(ContractsUnavailable):
            panels.refresh_orphan_report(tenant=acme)
