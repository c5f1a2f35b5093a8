"""CSV imports of clients and contracts: read, check every row, preview, then write.

A file is read and checked in full before anything is written: its encoding,
size and columns, then each row's values (Django form fields), then what only
the database can say (data_access.services with dry_run: emails taken, clients
unknown). The preview lists every error with its line and field. Confirming
writes all rows through the services in one transaction, or none.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from data_access import services

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000


class BooleanText(forms.Field):
    """yes/no, true/false, 1/0; empty is yes."""

    def to_python(self, value: Any) -> bool:
        text = str(value or "").strip().lower()
        if text in {"", "1", "true", "yes", "y"}:
            return True
        if text in {"0", "false", "no", "n"}:
            return False
        raise ValidationError(_("Enter yes or no."), code="invalid")


class ClientRow(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField()
    country = forms.CharField(min_length=2, max_length=2)
    is_active = BooleanText(required=False)

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()


class ContractRow(forms.Form):
    client_id = forms.IntegerField(min_value=1)
    title = forms.CharField(max_length=200)
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    signed_on = forms.DateField(input_formats=["%Y-%m-%d"])
    is_active = BooleanText(required=False)


@dataclass(frozen=True)
class Kind:
    key: str
    label: Any
    row_form: type[forms.Form]
    write: Callable[..., list]

    @property
    def columns(self) -> list[str]:
        return list(self.row_form.base_fields)

    @property
    def required(self) -> list[str]:
        return [name for name, f in self.row_form.base_fields.items() if f.required]


KINDS = {
    "clients": Kind("clients", gettext_lazy("Clients"), ClientRow, services.create_clients),
    "contracts": Kind(
        "contracts", gettext_lazy("Contracts"), ContractRow, services.create_contracts
    ),
}


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # the file's line, the header being line 1
    field: str  # a column name, or "" for the whole file
    message: str


@dataclass
class Checked:
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def decode(data: bytes) -> str:
    """UTF-8 text (with or without a byte-order mark), or a ValidationError."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)s MB.") % {"size": MAX_BYTES // (1024 * 1024)}
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text. Save it as CSV UTF-8.")) from None


def check(kind: Kind, text: str) -> Checked:
    """Every problem of the file, by line and field; no write."""
    result = Checked()
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [name.strip() for name in reader.fieldnames or []]
    except csv.Error as error:
        result.errors.append(RowError(1, "", str(error)))
        return result
    if missing := [name for name in kind.required if name not in header]:
        message = _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}
        result.errors.append(RowError(1, "", message))
        return result
    reader.fieldnames = header
    lines: list[int] = []
    try:
        for number, raw in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                message = _("The file has more than %(rows)s rows.") % {"rows": MAX_ROWS}
                result.errors.append(RowError(number, "", message))
                return result
            form = kind.row_form({name: (raw.get(name) or "").strip() for name in kind.columns})
            if form.is_valid():
                result.rows.append(form.cleaned_data)
                lines.append(reader.line_num)
            else:
                for name, messages in form.errors.items():
                    result.errors.extend(RowError(reader.line_num, name, m) for m in messages)
    except csv.Error as error:
        result.errors.append(RowError(reader.line_num, "", str(error)))
        return result
    if not result.rows and not result.errors:
        result.errors.append(RowError(1, "", _("The file has no rows.")))
    try:
        kind.write(rows=result.rows, dry_run=True)
    except services.RowsRejected as rejected:
        for index, fields in rejected.row_errors.items():
            for name, messages in fields.items():
                result.errors.extend(RowError(lines[index], name, m) for m in messages)
    result.errors.sort(key=lambda error: (error.line, error.field))
    return result


def write(kind: Kind, text: str) -> int:
    """Check the file again and write every row, or none; the number of rows written."""
    checked = check(kind, text)
    if not checked.ok:
        raise ValidationError(_("The file has errors; nothing was imported."))
    return len(kind.write(rows=checked.rows))
