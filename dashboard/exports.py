"""The clients and contracts CSVs: every row a query matches, streamed while it is read."""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from django.http import StreamingHttpResponse

from data_access.selectors.clients import ClientRow
from data_access.selectors.contracts import ContractRow

# (header, ClientRow attribute). The headers are a file format people script
# against: they stay as published, whatever the table's labels or URL keys.
CLIENT_CSV_COLUMNS = (
    ("id", "id"),
    ("name", "name"),
    ("email", "email"),
    ("country", "country"),
    ("active", "is_active"),
    ("created_at", "created_at"),
    ("contracts", "contract_count"),
    ("total", "total_amount"),
)
CONTRACT_CSV_COLUMNS = (
    ("id", "id"),
    ("title", "title"),
    ("client_id", "client_id"),
    ("client", "client_name"),
    ("amount", "amount"),
    ("signed_on", "signed_on"),
    ("active", "is_active"),
)
# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(
    value: str | int | bool | datetime | date | Decimal | None,
) -> str | int | Decimal:
    if value is None:  # contract data unavailable, or an orphan contract's client
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    """csv.writer target that hands each line back instead of buffering it."""

    def write(self, line: str) -> str:
        return line


# Excel reads a CSV as the system's legacy code page unless it starts with a BOM.
UTF8_BOM = "\ufeff"


def _csv_lines(
    rows: Iterable[object], columns: tuple[tuple[str, str], ...], *, currency: str
) -> Iterator[str]:
    """The rows, then the currency of their amounts (the tenant's) in its own column."""
    writer = csv.writer(_Echo())
    yield UTF8_BOM + writer.writerow([header for header, _ in columns] + ["currency"])
    for row in rows:
        yield writer.writerow(
            [csv_cell(getattr(row, attribute)) for _, attribute in columns] + [currency]
        )


def client_csv_lines(rows: Iterable[ClientRow], *, currency: str) -> Iterator[str]:
    return _csv_lines(rows, CLIENT_CSV_COLUMNS, currency=currency)


def contract_csv_lines(rows: Iterable[ContractRow], *, currency: str) -> Iterator[str]:
    return _csv_lines(rows, CONTRACT_CSV_COLUMNS, currency=currency)


def csv_download(lines: Iterator[str], *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
