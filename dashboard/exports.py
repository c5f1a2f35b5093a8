"""The clients CSV: every row a query matches, streamed while it is read."""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from django.http import StreamingHttpResponse

from data_access.selectors.clients import ClientRow

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
# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str | int | bool | datetime | Decimal | None) -> str | int | Decimal:
    if value is None:  # contract data unavailable
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
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


def client_csv_lines(rows: Iterable[ClientRow], *, currency: str) -> Iterator[str]:
    """The rows, then the currency of their totals (the tenant's) in its own column."""
    writer = csv.writer(_Echo())
    yield UTF8_BOM + writer.writerow([header for header, _ in CLIENT_CSV_COLUMNS] + ["currency"])
    for row in rows:
        yield writer.writerow(
            [csv_cell(getattr(row, attribute)) for _, attribute in CLIENT_CSV_COLUMNS] + [currency]
        )


def csv_download(lines: Iterator[str], *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
