"""Dashboard panels against a brute-force oracle: load every client and contract
of the tenant, filter and aggregate in Python."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES
from data_access import services
from data_access.boundary import ContractsUnavailable
from data_access.models import Client, Contract
from data_access.querying import ClientQuery
from data_access.selectors import aggregates, panels
from data_access.selectors.clients import client_page
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
    with tenant_context(globex):
        assert panels.kpis(ClientQuery()) == oracles["globex"].kpis(ClientQuery())
        assert panels.orphan_contracts() == panels.OrphanReport(contracts=0, clients=[])
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
    assert panels.orphan_contracts(tenant=acme) == panels.OrphanReport(
        contracts=3, clients=[5_000_001, 5_000_002]
    )
    assert panels.orphan_contracts(tenant=globex) == panels.OrphanReport(contracts=0, clients=[])
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


NONE = panels.OrphanReport(contracts=0, clients=[])
ONE = panels.OrphanReport(contracts=1, clients=[6_000_001])


# Each write: a preparation made through the services before the report is cached,
# then the service call that must drop it.
def _create(tenant, client: Client) -> None:
    _contract_for(tenant, client)


def _update(tenant, client: Client) -> None:
    [contract] = Contract.unscoped.filter(tenant_id=tenant.pk, client_id=client.pk)
    services.update_contract(contract_id=contract.pk, title="Renamed", tenant=tenant)


def _delete_contract(tenant, client: Client) -> None:
    [contract] = Contract.unscoped.filter(tenant_id=tenant.pk, client_id=client.pk)
    services.delete_contract(contract_id=contract.pk, tenant=tenant)


def _delete_client(tenant, client: Client) -> None:
    services.delete_client(client_id=client.pk, tenant=tenant)


@pytest.mark.parametrize(
    ("write", "with_contract"),
    [(_create, False), (_update, True), (_delete_contract, True), (_delete_client, False)],
)
def test_orphan_report_is_cached_until_a_service_write(oracles, acme, globex, write, with_contract):
    client = _client(acme, "cached@example.com")
    if with_contract:
        _contract_for(acme, client)
    assert panels.orphan_contracts(tenant=acme) == NONE
    assert panels.orphan_contracts(tenant=globex) == NONE
    _orphan(acme)
    _orphan(globex)
    # Cached: the bypassing writes are not seen yet...
    assert panels.orphan_contracts(tenant=acme) == NONE
    # ...but a service write in acme drops acme's report, and only acme's.
    write(acme, client)
    assert panels.orphan_contracts(tenant=acme) == ONE
    assert panels.orphan_contracts(tenant=globex) == NONE
    assert panels.orphan_contracts(tenant=globex, fresh=True) == ONE


def test_orphan_report_cache_ignores_the_ambient_schema(oracles, acme, globex):
    # The key names the tenant: reading acme's report from globex's schema (or
    # none) finds the same entry, and a write made from elsewhere still drops it.
    with tenant_context(globex):
        assert panels.orphan_contracts(tenant=acme) == NONE
    _orphan(acme)
    assert panels.orphan_contracts(tenant=acme) == NONE
    with tenant_context(acme):
        assert panels.orphan_contracts() == NONE
    with tenant_context(globex):
        panels.forget_orphan_contracts(tenant=acme)
    assert panels.orphan_contracts(tenant=acme) == ONE
    assert panels.orphan_contracts(tenant=globex) == NONE


def test_orphan_report_expires_after_its_ttl(oracles, acme, monkeypatch):
    timeouts = []
    set_ = cache.set
    monkeypatch.setattr(
        cache, "set", lambda key, value, timeout: timeouts.append(timeout) or set_(key, value, 0)
    )
    assert panels.orphan_contracts(tenant=acme) == NONE  # stored already expired
    _orphan(acme)
    assert panels.orphan_contracts(tenant=acme) == ONE
    assert timeouts == [panels.ORPHANS_TTL, panels.ORPHANS_TTL]
    assert 0 < panels.ORPHANS_TTL <= 300


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
            panels.orphan_contracts(tenant=acme, fresh=True)
