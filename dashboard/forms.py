"""The filter bars, built from the queries' own parameters.

Each form field is a copy of a Param's validating field, given a label and a
widget here. Validation stays the query's: clean() runs TableQuery.parse on the
same data and exposes the parsed query as `form.query`.
"""

import copy
from typing import Any, ClassVar

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dashboard import imports
from dashboard.formats import country_name, sort_key
from data_access import services
from data_access.querying import (
    CONTRACT_COLUMNS,
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    ClientQuery,
    ContractQuery,
    InvalidQuery,
    Param,
    TableQuery,
)
from tenancy.models import Country

# Controls that refresh the table on "change"; the search box refreshes as you type.
AUTOSUBMIT = "autosubmit"
# Kept by the table region (sort: a hidden input it re-renders) or reset by any
# filter change (page): not controls of the filter bar.
NOT_IN_FILTER_BAR = frozenset({"sort", "page"})
ANY_YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]
PERIOD_CHOICES = [
    ("", _("Any time")),
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("last_12_months", _("Last 12 months")),
    ("this_year", _("This year")),
]


def iso_date_input() -> forms.DateInput:
    """A text box in ISO form, whatever the browser's locale (a type="date" box
    shows mm/dd/yyyy to a pt-BR user on an en-US browser)."""
    return forms.DateInput(
        format="%Y-%m-%d",
        attrs={
            "placeholder": _("yyyy-mm-dd"),
            "pattern": r"\d{4}-\d{2}-\d{2}",
            "inputmode": "numeric",
            "autocomplete": "off",
        },
    )


class QueryForm(forms.Form):
    """A filter bar for `query_class`: one field per parameter, in their order."""

    query_class: ClassVar[type[TableQuery]]
    labels: ClassVar[dict[str, Any]]
    choices: ClassVar[dict[str, list[tuple[str, Any]]]] = {}

    query: TableQuery | None = None  # set by clean() when the parameters are valid

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        if not self.data.get("per_page"):
            # Show the default size selected: otherwise the browser selects the
            # first option, and the next submission changes the page size.
            self.data = self.data.copy()
            self.data["per_page"] = str(DEFAULT_PAGE_SIZE)
        self.fields = {param.name: self.field_for(param) for param in self.query_class.PARAMS}

    def field_for(self, param: Param) -> forms.Field:
        field = copy.deepcopy(param.field)
        field.label = self.labels[param.name]
        if param.name in self.choices:
            field.choices = self.choices[param.name]
        if isinstance(field, forms.DecimalField):
            field.widget.attrs["inputmode"] = "decimal"
        if isinstance(field, forms.DateField):
            field.widget = iso_date_input()
        if param.name == "per_page":
            # What an absent per_page means, for app.js to restore after history navigation.
            field.widget.attrs["data-default"] = str(DEFAULT_PAGE_SIZE)
        field.widget.attrs["class"] = AUTOSUBMIT
        return field

    def clean(self) -> dict[str, Any]:
        try:
            self.query = self.query_class.parse(self.data)
        except InvalidQuery as invalid:
            for name, messages in invalid.errors.items():
                # Field errors came from the same field objects already; add the rest
                # (a range whose ends are each valid).
                if name not in self.errors:
                    self.add_error(name, messages)
        return self.cleaned_data

    @property
    def filter_bar(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in NOT_IN_FILTER_BAR]


def country_choices() -> list[tuple[str, str]]:
    """The tenant's countries named in the user's language, in that language's order."""
    names = [(code, country_name(code)) for code in Country.objects.values_list("code", flat=True)]
    return [("", _("All countries")), *sorted(names, key=lambda choice: sort_key(choice[1]))]


class ClientFilterForm(QueryForm):
    query_class = ClientQuery
    labels = {
        "q": _("Search"),
        "country": _("Country"),
        "active": _("Active"),
        "min_total": _("Min. total"),
        "max_total": _("Max. total"),
        "has_contracts": _("Has contracts"),
        "created": _("Created in"),
        "created_from": _("Created from"),
        "created_to": _("Created until"),
        "sort": _("Sort"),
        "page": _("Page"),
        "per_page": _("Rows per page"),
    }
    choices = {"active": ANY_YES_NO, "has_contracts": ANY_YES_NO, "created": PERIOD_CHOICES}

    def field_for(self, param: Param) -> forms.Field:
        field = super().field_for(param)
        if param.name == "country":
            # Read when the filter bar is drawn, not for fragments that never draw it.
            field.widget = forms.Select(choices=country_choices, attrs={"class": AUTOSUBMIT})
        if param.name == "q":
            # Search as you type, rather than on change like the other controls.
            field.widget.input_type = "search"
            del field.widget.attrs["class"]
            field.widget.attrs |= {
                "placeholder": _("Name or email"),
                "aria-keyshortcuts": "/",  # app.js: "/" anywhere focuses the search
                "autocomplete": "off",
                "hx-get": reverse("dashboard:home"),
                "hx-trigger": "input changed delay:300ms, search",
                "hx-include": "closest form",
            }
        return field


class ContractFilterForm(QueryForm):
    query_class = ContractQuery
    labels = {
        "status": _("Status"),
        "period": _("Signed in"),
        "signed_from": _("Signed from"),
        "signed_to": _("Signed until"),
        "min_amount": _("Min. amount"),
        "max_amount": _("Max. amount"),
        "client": _("Client id"),
        "sort": _("Sort"),
        "page": _("Page"),
        "per_page": _("Rows per page"),
    }
    choices = {
        "status": [("", _("Any")), ("active", _("Active")), ("inactive", _("Inactive"))],
        "period": PERIOD_CHOICES,
    }


def _model_field(name: str) -> forms.Field:
    """The form field of a contract's model field (its limits), found through the
    contracts table's columns, which hold those model fields."""
    field = next(column.field for column in CONTRACT_COLUMNS if column.field.name == name)
    return field.formfield()


class ContractEditForm(forms.Form):
    """A contract's amount, signing date and status, edited in its table row.

    Saving goes through data_access.services.update_contract, whose validation
    errors come back onto these fields.
    """

    FIELDS = ("amount", "signed_on", "is_active")

    def __init__(self, *args: Any, contract_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.auto_id = f"edit-{contract_id}-%s"
        for name in self.FIELDS:
            field = _model_field(name)
            if isinstance(field, forms.DateField):
                field.widget = iso_date_input()
            if isinstance(field, forms.DecimalField):
                field.widget.attrs["inputmode"] = "decimal"
            self.fields[name] = field


class IdsField(forms.Field):
    """Contract ids ticked in the table: positive integers, at most one page's worth."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value or []
        if len(values) > max(PAGE_SIZES):
            raise forms.ValidationError(_("Too many rows selected."), code="too_many")
        try:
            ids = [int(item) for item in values]
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Enter whole numbers."), code="invalid") from None
        if any(not 0 < item < 2**63 for item in ids):
            raise forms.ValidationError(_("Enter whole numbers."), code="invalid")
        return ids


BULK_ACTIONS = [("activate", "activate"), ("deactivate", "deactivate"), ("export", "export")]


class ContractBulkForm(forms.Form):
    """A bulk action on the ticked contracts, or on all matching the filters.

    An action button sends `action`; the confirmation's button sends
    `confirm_action`, so only it carries out a change.
    """

    action = forms.ChoiceField(choices=BULK_ACTIONS, required=False)
    confirm_action = forms.ChoiceField(choices=BULK_ACTIONS[:2], required=False)
    ids = IdsField(required=False)
    all = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        cleaned["confirm"] = bool(cleaned.get("confirm_action"))
        cleaned["action"] = cleaned.get("confirm_action") or cleaned.get("action")
        if not cleaned["action"]:
            raise forms.ValidationError(_("Choose an action."), code="no_action")
        if not cleaned.get("ids") and not cleaned.get("all"):
            raise forms.ValidationError(_("Select at least one contract."), code="empty")
        return cleaned


class ImportForm(forms.Form):
    """A CSV file to check (dry run), or the token of a checked one to write."""

    kind = forms.ChoiceField(
        label=_("Import"),
        choices=[(key, kind.label) for key, kind in imports.KINDS.items()],
    )
    file = forms.FileField(label=_("CSV file (UTF-8)"), required=False)
    token = forms.CharField(required=False, widget=forms.HiddenInput)


class SaveViewForm(forms.Form):
    """The current filters and sort of a table (`query`), under a name."""

    table = forms.ChoiceField(choices=[(key, key) for key in services.SAVED_VIEW_TABLES])
    name = forms.CharField(max_length=100)
    shared = forms.BooleanField(required=False)
    query = forms.CharField(required=False, max_length=2000)
