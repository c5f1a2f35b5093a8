import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from conftest import BOTH_DATABASES
from data_access.models import ClientTotals, Contract
from tests.helpers import make_book

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
    assert "acme: 1 problem(s)" in out
    assert "2 orphan contract(s) of missing client(s) 424242" in out
    assert "globex: ok" in out
    _check("--tenant=globex")  # no error for the clean tenant alone


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
