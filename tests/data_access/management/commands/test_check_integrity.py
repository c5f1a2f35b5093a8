import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db.models import F
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES
from data_access import services
from data_access.models import ClientCount, ClientTotals, Contract, MonthTotals, SegmentTotals
from data_access.selectors import panels
from tests.helpers import make_book
from tests.oracle import rollups_from_base, stored_rollups

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)


def _check(*args: str) -> str:
    out = io.StringIO()
    call_command("check_integrity", *args, stdout=out)
    return out.getvalue()


def _check_fails(*args: str) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError, match="integrity problems in"):
        call_command("check_integrity", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def both(acme, globex):
    make_book(acme, seed=1, clients=12, contracts=40)
    make_book(globex, seed=2, clients=10, contracts=30)
    return acme, globex


def test_consistent_tenants_pass(both):
    out = _check()
    assert "acme: ok" in out and "globex: ok" in out
    assert "globex" not in _check("--tenant=acme")


def test_orphan_contracts_fail_only_their_tenant(both):
    acme, _ = both
    for _ in range(2):
        Contract.unscoped.create(
            tenant_id=acme.pk,
            client_id=424_242,
            title="Orphan",
            amount=Decimal("5.00"),
            signed_on=datetime.date(2026, 1, 1),
            is_active=False,
        )
    out = _check_fails()
    # The orphans, and the month they were signed in, which MonthTotals misses
    # because they bypassed the services.
    assert "acme: 2 problem(s)" in out
    assert "2 orphan contract(s) of missing client(s) 424242" in out
    assert "month totals 2026-01" in out
    assert "globex: ok" in out
    _check("--tenant=globex")  # no error for the clean tenant alone


def test_the_check_stores_the_report_the_dashboard_shows(both, held_refreshes):
    acme, globex = both
    Contract.unscoped.create(
        tenant_id=acme.pk, client_id=424_242, title="Orphan", amount=Decimal(1),
        signed_on=datetime.date(2026, 1, 1),
    )  # fmt: skip
    _check_fails("--tenant=acme")
    report = panels.orphan_contracts(tenant=acme)
    assert (report.contracts, report.clients) == (1, [424_242])
    assert not held_refreshes  # fresh: the panel has nothing to refresh
    assert panels.orphan_contracts(tenant=globex) is None  # only the tenants it checked
    assert len(held_refreshes) == 1


def test_totals_that_disagree_with_contracts_fail(both):
    _, globex = both
    rows = ClientTotals.objects.filter(tenant_id=globex.pk).order_by("client_id")
    wrong, gone = rows[0], rows[1]
    ClientTotals.objects.filter(tenant_id=globex.pk, client_id=wrong.client_id).update(
        active_amount=wrong.active_amount + Decimal("0.01")
    )
    ClientTotals.objects.filter(tenant_id=globex.pk, client_id=gone.client_id).delete()
    ClientTotals.objects.create(
        tenant_id=globex.pk, client_id=31_337, active_contracts=1, active_amount=Decimal("9.99")
    )
    out = _check_fails("--tenant=globex")
    assert "globex: 3 problem(s)" in out
    assert f"client {wrong.client_id}: totals" in out and "contracts say" in out
    assert f"client {gone.client_id}: totals row missing" in out
    assert "client 31337: stale totals row" in out
    assert "acme: ok" in _check("--tenant=acme")


def test_unknown_tenant_is_an_error(both):
    with pytest.raises(CommandError, match="no tenant 'nope'"):
        _check("--tenant=nope")


def test_exit_status_is_non_zero_from_the_command_line(both):
    acme, _ = both
    Contract.unscoped.create(
        tenant_id=acme.pk,
        client_id=99_999,
        title="Orphan",
        amount=Decimal("1.00"),
        signed_on=datetime.date(2026, 1, 1),
    )
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "check_integrity", "--tenant=acme"]).execute()
    assert exit_info.value.code == 1


def test_rollups_broken_by_hand_are_found_and_repaired(both):
    acme, globex = both
    with tenant_context(acme):
        ClientCount.objects.filter(country="CL", is_active=True).update(clients=F("clients") + 1)
    segment = SegmentTotals.objects.filter(tenant_id=acme.pk).order_by("country").first()
    SegmentTotals.objects.filter(
        tenant_id=acme.pk, country=segment.country, client_active=segment.client_active
    ).delete()
    month = MonthTotals.objects.filter(tenant_id=acme.pk).order_by("month").first()
    MonthTotals.objects.filter(tenant_id=acme.pk, month=month.month).update(
        amount=F("amount") - Decimal("0.01")
    )
    ClientTotals.objects.filter(tenant_id=acme.pk).order_by("client_id").first().delete()
    out = _check_fails("--tenant=acme")
    assert "acme: 4 problem(s)" in out
    assert "client count ('CL', True)" in out
    assert f"segment totals {(segment.country, segment.client_active)}: stored nothing" in out
    assert f"month totals {month.month:%Y-%m}" in out
    assert "totals row missing" in out
    assert rollups_from_base(globex) == stored_rollups(globex)  # untouched

    out = _check("--tenant=acme", "--repair")
    assert "acme: derived tables rebuilt, 0 problem(s) left" in out and "acme: ok" in out
    assert rollups_from_base(acme) == stored_rollups(acme)
    assert "acme: ok" in _check("--tenant=acme")


def test_zero_rows_are_checked_and_repaired(both):
    acme, _ = both
    out = _check("--tenant=acme")  # make_book writes its clients with the ORM
    assert "acme: zero totals rows incomplete" in out and "acme: ok" in out
    out = _check("--tenant=acme", "--repair")
    assert "acme: derived tables rebuilt, 0 problem(s) left" in out
    assert "incomplete" not in _check("--tenant=acme")
    assert rollups_from_base(acme) == stored_rollups(acme)  # zero rows included
    with tenant_context(acme):
        zoe = services.create_client(name="Zoe", email="zoe@example.com", country="CL")
    assert "acme: ok" in _check("--tenant=acme")  # the service wrote her zero row
    ClientTotals.objects.filter(tenant_id=acme.pk, client_id=zoe.pk).delete()
    ClientTotals.objects.create(
        tenant_id=acme.pk, client_id=31_337, active_contracts=0, active_amount=Decimal("0")
    )
    out = _check_fails("--tenant=acme")
    assert "acme: 2 problem(s)" in out
    assert f"client {zoe.pk}: zero totals row missing" in out
    assert "client 31337: stale zero totals row" in out
    out = _check("--tenant=acme", "--repair")
    assert "acme: derived tables rebuilt, 0 problem(s) left" in out
    assert ClientTotals.objects.get(tenant_id=acme.pk, client_id=zoe.pk).active_contracts == 0
    assert rollups_from_base(acme) == stored_rollups(acme)
    assert "globex: zero totals rows incomplete" in _check("--tenant=globex")  # untouched


def test_repair_leaves_orphans_reported(both):
    acme, _ = both
    Contract.unscoped.create(
        tenant_id=acme.pk,
        client_id=77_777,
        title="Orphan",
        amount=Decimal("3.00"),
        signed_on=datetime.date(2026, 2, 1),
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="integrity problems in acme"):
        call_command("check_integrity", "--tenant=acme", "--repair", stdout=out)
    assert "derived tables rebuilt, 1 problem(s) left" in out.getvalue()
    assert "1 orphan contract(s) of missing client(s) 77777" in out.getvalue()
