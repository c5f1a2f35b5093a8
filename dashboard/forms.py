"""Forms that render the dashboard's filter bars.

They subclass the data_access parameter forms, so parsing and validation stay
defined once; only the widgets (choices, input types, htmx hooks) live here.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from data_access.contracts_table import ContractQueryForm
from data_access.params import DEFAULT_PAGE_SIZE, ClientQueryForm
from tenancy.models import Country

# Controls that refresh the table on "change"; the search box refreshes as you type.
AUTOSUBMIT = "autosubmit"


def _autosubmit(field: forms.Field) -> None:
    field.widget.attrs["class"] = AUTOSUBMIT


def _with_default_page_size(form: forms.Form) -> None:
    # An absent per_page means the default; show it selected, or the browser
    # selects the first option and the next submission changes the page size.
    if form.is_bound and not form.data.get("per_page"):
        form.data = form.data.copy()
        form.data["per_page"] = str(DEFAULT_PAGE_SIZE)


class ClientFilterForm(ClientQueryForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _with_default_page_size(self)
        countries = [("", _("All countries")), *Country.objects.values_list("code", "name")]
        self.fields["country"].widget = forms.Select(choices=countries)
        self.fields["q"].widget = forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name or email"), "autocomplete": "off"}
        )
        self.fields["min_total"].widget.attrs.update(step="0.01", inputmode="decimal")
        self.fields["max_total"].widget.attrs.update(step="0.01", inputmode="decimal")
        for name in ("country", "active", "min_total", "max_total", "has_contracts", "per_page"):
            _autosubmit(self.fields[name])


class ContractFilterForm(ContractQueryForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _with_default_page_size(self)
        for name in ("signed_from", "signed_to"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"})
        for name in ("status", "signed_from", "signed_to", "min_amount", "max_amount", "client"):
            _autosubmit(self.fields[name])
        _autosubmit(self.fields["per_page"])
