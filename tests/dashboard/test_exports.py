"""dashboard.exports: the clients and contracts CSVs."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from dashboard.exports import (
    CLIENT_CSV_COLUMNS,
    UTF8_BOM,
    client_csv_lines,
    contract_csv_lines,
    csv_cell,
    csv_download,
)
from data_access.querying import CLIENT_COLUMNS
from data_access.selectors.clients import ClientRow
from data_access.selectors.contracts import ContractRow

CREATED = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)


def row(name: str = "Ana", *, total: Decimal | None = Decimal("12.50")) -> ClientRow:
    return ClientRow(
        id=7,
        name=name,
        email="ana@example.com",
        country="CL",
        is_active=False,
        created_at=CREATED,
        contract_count=None if total is None else 2,
        total_amount=total,
    )


def parsed(lines) -> list[list[str]]:
    text = "".join(lines)
    assert text.startswith(UTF8_BOM)
    return list(csv.reader(io.StringIO(text.removeprefix(UTF8_BOM))))


def test_the_header_keeps_its_published_names_and_order():
    [header] = parsed(client_csv_lines([], currency="EUR"))
    assert header == [
        "id", "name", "email", "country", "active", "created_at", "contracts", "total",
        "currency",
    ]  # fmt: skip


def test_the_file_starts_with_a_bom_so_spreadsheets_read_utf8():
    data = "".join(client_csv_lines([row("Nicolás")], currency="EUR")).encode()
    assert data.startswith(b"\xef\xbb\xbfid,") and "Nicolás".encode() in data


def test_every_sortable_column_is_exported():
    exported = {attribute for _, attribute in CLIENT_CSV_COLUMNS}
    assert {column.attribute for column in CLIENT_COLUMNS} <= exported


def test_rows_are_written_as_plain_values():
    [_, values] = parsed(client_csv_lines([row()], currency="BRL"))
    assert values == [
        "7", "Ana", "ana@example.com", "CL", "no", "2026-03-04T05:06:07+00:00", "2", "12.50",
        "BRL",
    ]  # fmt: skip


def test_unavailable_totals_are_empty_cells():
    [_, values] = parsed(client_csv_lines([row(total=None)], currency="EUR"))
    assert values[-3:] == ["", "", "EUR"]


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(text):
    assert csv_cell(text) == "'" + text
    [_, values] = parsed(client_csv_lines([row(text)], currency="EUR"))
    assert values[1] == "'" + text


def test_harmless_cells_are_left_alone():
    assert csv_cell("Ana = Bea") == "Ana = Bea"
    assert csv_cell(Decimal("0.01")) == Decimal("0.01") and csv_cell(3) == 3


def test_the_download_streams_the_lines_as_an_attachment():
    response = csv_download(iter(["a,b\r\n", "1,2\r\n"]), filename="clients.csv")
    assert response.streaming and b"".join(response.streaming_content) == b"a,b\r\n1,2\r\n"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="clients.csv"'


def test_the_contracts_csv_names_the_client_and_leaves_an_orphans_empty():
    rows = [
        ContractRow(id=3, title="=SUM(A1)", client_id=7, client_name="Ana",
                    amount=Decimal("9.50"), signed_on=datetime.date(2026, 1, 2), is_active=True),
        ContractRow(id=4, title="Lost", client_id=8, client_name=None,
                    amount=Decimal("1.00"), signed_on=datetime.date(2026, 1, 3), is_active=False),
    ]  # fmt: skip
    assert parsed(contract_csv_lines(rows, currency="EUR")) == [
        ["id", "title", "client_id", "client", "amount", "signed_on", "active", "currency"],
        ["3", "'=SUM(A1)", "7", "Ana", "9.50", "2026-01-02", "yes", "EUR"],
        ["4", "Lost", "8", "", "1.00", "2026-01-03", "no", "EUR"],
    ]
