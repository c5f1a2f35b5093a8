import contextlib
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import BOTH_DATABASES
from dashboard import imports
from data_access import bulk_load, services
from data_access.boundary import ContractsUnavailable
from data_access.models import Client, ClientTotals, Contract
from data_access.querying import ClientQuery
from data_access.selectors import panels
from data_access.selectors.clients import client_page
from tests.helpers import TODAY, contracts_down, make_book
from tests.oracle import (
    PanelOracle,
    kept_totals,
    oracle,
    rollups_from_base,
    stored_rollups,
    totals_from_contracts,
    zero_rows_complete,
)

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)
SIGNED = datetime.date(2026, 3, 1)


def totals_are_exact(tenant) -> bool:
    return kept_totals(tenant) == totals_from_contracts(tenant)


@pytest.fixture
def two_clients(in_acme):
    return [
        Client.objects.create(name=name, email=f"{name}@example.com", country="CL")
        for name in ("ana", "bruno")
    ]


def test_create_update_delete_keep_totals_exact(in_acme, two_clients):
    ana, bruno = two_clients
    first = services.create_contract(
        client_id=ana.pk, title="A", amount=Decimal("10.10"), signed_on=SIGNED
    )
    second = services.create_contract(
        client_id=ana.pk, title="B", amount=Decimal("5.05"), signed_on=SIGNED
    )
    assert ClientTotals.objects.get(
        tenant_id=in_acme.pk, client_id=ana.pk
    ).active_amount == Decimal("15.15")

    services.update_contract(contract_id=first.pk, is_active=False)
    assert totals_are_exact(in_acme)
    services.update_contract(contract_id=second.pk, client_id=bruno.pk, amount=Decimal("7.00"))
    assert totals_are_exact(in_acme)
    # Ana has no active contract left: her row stays, at zero (the zero rows order the
    # clients without contracts in the totals index).
    assert ClientTotals.objects.get(tenant_id=in_acme.pk, client_id=ana.pk).active_contracts == 0
    services.update_contract(contract_id=first.pk, is_active=True)
    services.delete_contract(contract_id=second.pk)
    assert totals_are_exact(in_acme)
    assert list(
        ClientTotals.objects.filter(tenant_id=in_acme.pk)
        .order_by("client_id")
        .values_list("client_id", "active_amount")
    ) == [(ana.pk, Decimal("10.10")), (bruno.pk, Decimal("0.00"))]


def test_a_contract_needs_a_client_of_the_current_tenant(in_acme, globex):
    with tenant_context(globex):
        globex_only = Client.objects.create(name="g", email="g@example.com", country="BR")
    with tenant_context(in_acme):
        assert not Client.objects.filter(pk=globex_only.pk).exists()
        with pytest.raises(ValidationError, match="does not exist in this tenant"):
            services.create_contract(
                client_id=globex_only.pk, title="x", amount=Decimal(1), signed_on=SIGNED
            )
    assert not Contract.unscoped.exists()


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1"), Decimal("123456789012345")])
def test_bad_amounts_are_validation_errors(in_acme, two_clients, amount):
    with pytest.raises(ValidationError):
        services.create_contract(
            client_id=two_clients[0].pk, title="x", amount=amount, signed_on=SIGNED
        )


def test_another_tenants_contract_cannot_be_changed(in_acme, globex, two_clients):
    contract = services.create_contract(
        client_id=two_clients[0].pk, title="x", amount=Decimal(1), signed_on=SIGNED
    )
    with pytest.raises(Contract.DoesNotExist):
        services.update_contract(contract_id=contract.pk, tenant=globex, title="stolen")
    with pytest.raises(Contract.DoesNotExist):
        services.delete_contract(contract_id=contract.pk, tenant=globex)
    with tenant_context(globex):
        assert not Contract.objects.filter(pk=contract.pk).exists()


def test_a_client_with_contracts_cannot_be_deleted(in_acme, two_clients):
    ana = two_clients[0]
    contract = services.create_contract(
        client_id=ana.pk, title="x", amount=Decimal(1), signed_on=SIGNED
    )
    services.update_contract(contract_id=contract.pk, is_active=False)  # inactive ones count too
    with pytest.raises(services.ClientHasContracts, match="has 1 contract"):
        services.delete_client(client_id=ana.pk)
    assert Client.objects.filter(pk=ana.pk).exists()

    services.delete_contract(contract_id=contract.pk)
    services.delete_client(client_id=ana.pk)
    assert not Client.objects.filter(pk=ana.pk).exists()


# --- Every rollup stays exact under random write sequences ---------------------------

COUNTRIES = ["CL", "BR", "ES"]
# Each step: (operation, tenant index, then small integers the step picks with).
steps_strategy = st.one_of(
    st.tuples(st.just("create_client"), st.integers(0, 1), st.integers(0, 2), st.booleans()),
    st.tuples(
        st.just("create_contract"),
        st.integers(0, 1),
        st.integers(0, 99),
        st.integers(1, 500_00),
        st.integers(0, 3),
        st.booleans(),
    ),
    st.tuples(
        st.just("update_contract"),
        st.integers(0, 1),
        st.integers(0, 99),
        st.integers(1, 500_00),
        st.integers(0, 3),
        st.booleans(),
    ),
    st.tuples(st.just("reassign"), st.integers(0, 1), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("deactivate"), st.integers(0, 1), st.integers(0, 99)),
    st.tuples(st.just("delete_contract"), st.integers(0, 1), st.integers(0, 99)),
    st.tuples(st.just("change_country"), st.integers(0, 1), st.integers(0, 99), st.integers(0, 2)),
    st.tuples(st.just("toggle_client"), st.integers(0, 1), st.integers(0, 99)),
    st.tuples(st.just("delete_client"), st.integers(0, 1), st.integers(0, 99)),
    # Bulk activate / deactivate of some contracts (and the other tenant's, skipped).
    st.tuples(
        st.just("bulk"),
        st.integers(0, 1),
        st.booleans(),
        st.lists(st.integers(0, 99), max_size=8),
        st.booleans(),
    ),
    # CSV imports through the import page's service (dashboard.imports).
    st.tuples(
        st.just("import_clients"), st.integers(0, 1), st.integers(1, 3), st.integers(0, 2),
        st.booleans(),
    ),
    st.tuples(
        st.just("import_contracts"),
        st.integers(0, 1),
        st.lists(st.integers(0, 99), min_size=1, max_size=4),
        st.integers(1, 500_00),
        st.integers(0, 3),
        st.booleans(),
    ),
    st.tuples(st.just("import_rejected"), st.integers(0, 1), st.booleans(), st.integers(0, 99)),
)  # fmt: skip


def _month(back: int) -> datetime.date:
    return datetime.date(2026, 6 - back, 10 + back)


def _run(step: tuple, tenants: list, serial: list[int]) -> None:
    """One write through the services; picks past an empty list do nothing."""
    name, which, *args = step
    event(name)  # --hypothesis-show-statistics: how often each kind of step ran
    tenant = tenants[which]
    with tenant_context(tenant):
        clients = list(Client.objects.order_by("id").values_list("id", flat=True))
        contracts = list(Contract.objects.order_by("id").values_list("id", flat=True))
    if name == "create_client":
        serial[0] += 1
        services.create_client(
            name=f"Client {serial[0]}",
            email=f"c{serial[0]}@example.com",
            country=COUNTRIES[args[0]],
            is_active=args[1],
            tenant=tenant,
        )
    elif name == "create_contract" and clients:
        pick, cents, back, active = args
        services.create_contract(
            client_id=clients[pick % len(clients)],
            title="Deal",
            amount=Decimal(cents) / 100,
            signed_on=_month(back),
            is_active=active,
            tenant=tenant,
        )
    elif name == "update_contract" and contracts:
        pick, cents, back, active = args
        services.update_contract(
            contract_id=contracts[pick % len(contracts)],
            amount=Decimal(cents) / 100,
            signed_on=_month(back),
            is_active=active,
            tenant=tenant,
        )
    elif name == "reassign" and contracts and clients:
        services.update_contract(
            contract_id=contracts[args[0] % len(contracts)],
            client_id=clients[args[1] % len(clients)],
            tenant=tenant,
        )
    elif name == "deactivate" and contracts:
        services.update_contract(
            contract_id=contracts[args[0] % len(contracts)], is_active=False, tenant=tenant
        )
    elif name == "delete_contract" and contracts:
        services.delete_contract(contract_id=contracts[args[0] % len(contracts)], tenant=tenant)
    elif name == "change_country" and clients:
        services.update_client(
            client_id=clients[args[0] % len(clients)], country=COUNTRIES[args[1]], tenant=tenant
        )
    elif name == "toggle_client" and clients:
        client_id = clients[args[0] % len(clients)]
        with tenant_context(tenant):
            active = Client.objects.get(pk=client_id).is_active
        services.update_client(client_id=client_id, is_active=not active, tenant=tenant)
    elif name == "delete_client" and clients:
        # Refused while the client has contracts, and then nothing changes.
        with contextlib.suppress(services.ClientHasContracts):
            services.delete_client(client_id=clients[args[0] % len(clients)], tenant=tenant)
    elif name == "bulk" and contracts:
        is_active, picks, with_foreign = args
        ids = [contracts[pick % len(contracts)] for pick in picks]
        if with_foreign:  # another tenant's ids are skipped
            with tenant_context(tenants[1 - which]):
                ids += list(Contract.objects.values_list("id", flat=True)[:3])
        services.set_contracts_active(contract_ids=ids, is_active=is_active, tenant=tenant, batch=3)
    elif name == "import_clients":
        rows, country, active = args
        lines = ["name,email,country,is_active"]
        for _ in range(rows):
            serial[0] += 1
            lines.append(
                f"Imported {serial[0]},i{serial[0]}@example.com,{COUNTRIES[country]},"
                f"{'yes' if active else 'no'}"
            )
        _import(tenant, "clients", lines)
    elif name == "import_contracts" and clients:
        picks, cents, back, active = args
        lines = ["client_id,title,amount,signed_on,is_active"] + [
            f"{clients[pick % len(clients)]},Imported,{Decimal(cents + i) / 100},"
            f"{_month(back).isoformat()},{'yes' if active else 'no'}"
            for i, pick in enumerate(picks)
        ]
        _import(tenant, "contracts", lines)
    elif name == "import_rejected":
        # One bad row (an email taken, or a client of no such id in this tenant)
        # beside good ones: the whole file is refused and nothing is written.
        contracts_file, pick = args
        if contracts_file:
            good = [f"{clients[pick % len(clients)]},Fine,10.00,2026-05-01"] if clients else []
            lines = ["client_id,title,amount,signed_on", *good, "999999999,Bad,10.00,2026-05-01"]
        else:
            serial[0] += 1
            taken = f"twice{serial[0]}@example.com"  # twice in the file, or already a client's
            if clients:
                with tenant_context(tenant):
                    taken = Client.objects.get(pk=clients[pick % len(clients)]).email.upper()
            lines = ["name,email,country", f"Fine {serial[0]},f{serial[0]}@example.com,CL"]
            lines += [f"Bad,{taken},CL", f"Bad again,{taken},CL"]
        before = _counts(tenant)
        with pytest.raises(ValidationError):
            _import(tenant, "contracts" if contracts_file else "clients", lines)
        assert _counts(tenant) == before


def _import(tenant, kind: str, lines: list[str]) -> int:
    """A CSV file checked then written, as the import page does on confirmation."""
    with tenant_context(tenant):
        return imports.write(imports.KINDS[kind], "\n".join(lines) + "\n")


def _counts(tenant) -> tuple[int, int, int]:
    """Clients, contracts and contract history rows: what a refused import must not add."""
    with tenant_context(tenant):
        return (
            Client.objects.count(),
            Contract.objects.count(),
            Contract.history.filter(tenant_id=tenant.pk).count(),
        )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(steps_strategy, min_size=1, max_size=25))
def test_random_writes_keep_every_rollup_equal_to_the_oracle(acme, globex, steps):
    _assert_exact_after(steps, tenants=[acme, globex])


# Each tenant starts with imported clients and contracts, so every later step has
# rows to work on: imports, bulk changes and single writes interleave.
STARTING_IMPORTS = [
    ("import_clients", 0, 3, 0, True), ("import_clients", 0, 2, 1, False),
    ("import_clients", 1, 3, 2, True),
    ("import_contracts", 0, [0, 1, 2, 3, 4], 120_00, 0, True),
    ("import_contracts", 1, [0, 1, 2], 75_50, 1, True),
]  # fmt: skip


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(steps_strategy, min_size=1, max_size=20))
def test_imports_and_bulk_changes_among_random_writes_keep_every_rollup_exact(acme, globex, steps):
    _assert_exact_after([*STARTING_IMPORTS, *steps], tenants=[acme, globex])


def _assert_exact_after(steps: list, *, tenants: list) -> None:
    """From empty tenants (their zero rows complete: none yet), run the steps, then
    check every rollup against the oracle."""
    for tenant in tenants:
        bulk_load.clear_tenant(tenant=tenant)
        bulk_load.rebuild_rollups(tenant=tenant)
    serial = [0]
    for step in steps:
        _run(step, tenants, serial)
    _assert_rollups_exact(tenants)


def _assert_rollups_exact(tenants: list) -> None:
    """Every rollup and the pages and panels read from them equal the oracle."""
    for tenant in tenants:
        assert zero_rows_complete(tenant)  # the services keep every zero row
        assert stored_rollups(tenant) == rollups_from_base(tenant)
        assert kept_totals(tenant) == totals_from_contracts(tenant)
        for query in (
            ClientQuery(sort="total", page_size=5),
            ClientQuery(sort="-contracts", has_contracts=False, page_size=5),
            ClientQuery(sort="name", max_total=Decimal("100"), page_size=5),
        ):
            with tenant_context(tenant):
                expected_rows, expected_count = oracle(query)
                page = client_page(query, tenant=tenant)
            assert page.paginator.count == expected_count
            assert [(r.id, r.total_amount) for r in page.rows] == [
                (r.id, r.total_amount) for r in expected_rows
            ]
        panel_oracle = PanelOracle(tenant)
        for query in (ClientQuery(), ClientQuery(country="CL"), ClientQuery(active=False)):
            assert panels.kpis(query, tenant=tenant) == panel_oracle.kpis(query)
            assert panels.totals_by_country(query, tenant=tenant) == panel_oracle.by_country(query)
            with tenant_context(tenant):
                assert client_page(query, tenant=tenant).paginator.count == len(
                    panel_oracle.matching(query)
                )
        assert panels.signed_per_month(
            ClientQuery(), tenant=tenant, today=TODAY
        ) == panel_oracle.per_month(ClientQuery(), 12, TODAY)


def test_the_services_refuse_every_bad_row_before_writing(in_acme, two_clients):
    ana_pk = two_clients[0].pk
    rows = [
        {"client_id": ana_pk, "title": "ok", "amount": Decimal(1), "signed_on": datetime.date.today()},
        {"client_id": ana_pk, "title": "", "amount": Decimal(-1), "signed_on": datetime.date.today()},
    ]  # fmt: skip
    with pytest.raises(services.RowsRejected) as rejected:
        services.create_contracts(rows=rows)
    assert set(rejected.value.row_errors) == {1}
    assert {"title", "amount"} <= set(rejected.value.row_errors[1])
    assert not Contract.objects.exists()


# --- Bulk activate / deactivate ---------------------------------------------------------


def test_bulk_changes_go_in_batches_and_keep_totals_exact(acme, globex):
    book = make_book(acme, seed=12, clients=6, contracts=40)
    other = make_book(globex, seed=13, clients=2, contracts=5)
    with tenant_context(acme):
        active = list(Contract.objects.filter(is_active=True).values_list("pk", flat=True))
    with tenant_context(globex):
        foreign = list(Contract.objects.values_list("pk", flat=True))  # skipped
    changed = services.set_contracts_active(
        contract_ids=active + foreign, is_active=False, tenant=acme, batch=3
    )
    assert changed == len(active)
    assert kept_totals(acme) == totals_from_contracts(acme) == {}
    assert kept_totals(globex) == totals_from_contracts(globex) != {}
    # Again: nothing left to change.
    assert services.set_contracts_active(contract_ids=active, is_active=False, tenant=acme) == 0
    assert services.set_contracts_active(contract_ids=active[:5], is_active=True, tenant=acme) == 5
    assert kept_totals(acme) == totals_from_contracts(acme)
    assert len(book.contracts) == 40 and len(other.contracts) == 5


def test_a_bulk_change_is_set_wise_with_one_history_row_per_changed_contract(acme):
    make_book(acme, seed=15, clients=40, contracts=150)
    with tenant_context(acme):
        active = list(Contract.objects.filter(is_active=True).values_list("pk", flat=True))
    history = Contract.history.model.objects.using("mysql").filter(tenant_id=acme.pk)
    before = history.count()
    contracts_table = Contract._meta.db_table
    with CaptureQueriesContext(connections["mysql"]) as statements:
        changed = services.set_contracts_active(
            contract_ids=active, is_active=False, tenant=acme, batch=40
        )
    batches = -(-len(active) // 40)
    assert changed == len(active) > 2 * 40  # rows over many clients, in several batches
    updates = [
        query["sql"]
        for query in statements.captured_queries
        if query["sql"].startswith(f"UPDATE `{contracts_table}`")
    ]
    assert len(updates) == batches  # one UPDATE per batch, not one per contract
    # A bounded number of statements per batch, whatever its contracts and clients.
    assert len(statements.captured_queries) <= 12 * batches < len(active)
    assert history.count() - before == changed
    changes = history.filter(history_type="~", is_active=False).values_list("id", flat=True)
    assert sorted(changes) == sorted(active)
    assert kept_totals(acme) == totals_from_contracts(acme)
    assert stored_rollups(acme) == rollups_from_base(acme)


def test_a_bulk_change_with_mysql_down_raises_and_changes_nothing(acme):
    make_book(acme, seed=14, clients=2, contracts=4)
    with tenant_context(acme):
        ids = list(Contract.objects.values_list("pk", flat=True))
    with contracts_down(), pytest.raises(ContractsUnavailable):
        services.set_contracts_active(contract_ids=ids, is_active=False, tenant=acme)
    assert kept_totals(acme) == totals_from_contracts(acme)
