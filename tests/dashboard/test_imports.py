"""CSV imports: every row error by line and field, then all rows written or none."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from conftest import BOTH_DATABASES
from dashboard import imports
from data_access.models import Client, ClientTotals, Contract
from tests.oracle import kept_totals, totals_from_contracts

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)
CLIENTS, CONTRACTS = imports.KINDS["clients"], imports.KINDS["contracts"]


@pytest.fixture
def ana(in_acme) -> Client:
    return Client.objects.create(name="Ana", email="ana@example.com", country="CL")


def errors(checked) -> list[tuple[int, str]]:
    return [(error.line, error.field) for error in checked.errors]


def test_every_row_error_is_listed_by_line_and_field(in_acme, ana):
    text = (
        "name,email,country,is_active\n"
        "Nicolás,nico@example.com,cl,yes\n"
        ",not-an-email,CHL,maybe\n"
        "Ana again,ANA@example.com,CL,no\n"
        "Twin,twin@example.com,BR,\n"
        "Twin,twin@example.com,BR,1\n"
    )
    checked = imports.check(CLIENTS, text)
    assert errors(checked) == [
        (3, "country"), (3, "email"), (3, "is_active"), (3, "name"),
        (4, "email"),  # taken in the database, whatever the case
        (6, "email"),  # twice in the file
    ]  # fmt: skip
    assert checked.rows[0] == {
        "name": "Nicolás", "email": "nico@example.com", "country": "CL", "is_active": True,
    }  # fmt: skip
    assert Client.objects.count() == 1  # a check writes nothing


def test_bad_files_get_clear_messages(in_acme):
    with pytest.raises(ValidationError, match="not UTF-8"):
        imports.decode("name\nNicolás".encode("latin-1"))
    with pytest.raises(ValidationError, match="larger than"):
        imports.decode(b"x" * (imports.MAX_BYTES + 1))
    assert imports.decode("\ufeffname\n".encode()) == "name\n"  # Excel's byte-order mark
    assert [e.message for e in imports.check(CLIENTS, "name,email\nA,a@example.com\n").errors] == [
        "Missing columns: country."
    ]
    assert [e.message for e in imports.check(CLIENTS, "name,email,country\n").errors] == [
        "The file has no rows."
    ]
    many = "name,email,country\n" + "".join(
        f"C{i},c{i}@example.com,CL\n" for i in range(imports.MAX_ROWS + 1)
    )
    assert imports.check(CLIENTS, many).errors[-1].message.startswith("The file has more than")


def test_contracts_are_written_all_or_none_with_totals_and_history(in_acme, ana):
    bad = (
        "client_id,title,amount,signed_on,is_active\n"
        f"{ana.pk},Good,10.00,2026-01-05,yes\n"
        f"{ana.pk + 999},Stray,1.00,2026-01-05,yes\n"
        f"{ana.pk},Cheap,0,05/01/2026,yes\n"
    )
    assert errors(imports.check(CONTRACTS, bad)) == [
        (3, "client_id"), (4, "amount"), (4, "signed_on"),
    ]  # fmt: skip
    with pytest.raises(ValidationError):
        imports.write(CONTRACTS, bad)
    assert not Contract.objects.exists()

    good = [*bad.splitlines()[:2], f"{ana.pk},Old,5.50,2025-12-01,no"]
    assert imports.write(CONTRACTS, "\n".join(good)) == 2
    assert ClientTotals.objects.get(tenant_id=in_acme.pk).active_amount == Decimal("10.00")
    assert kept_totals(in_acme) == totals_from_contracts(in_acme)
    assert Contract.history.filter(tenant_id=in_acme.pk, history_type="+").count() == 2
