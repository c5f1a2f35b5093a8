"""dashboard.forms: filter bars built from the queries' parameters, validated by them."""

from datetime import date

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from dashboard.forms import ClientFilterForm, ContractEditForm, ContractFilterForm
from data_access.querying import ClientQuery, ContractQuery, InvalidQuery

pytestmark = pytest.mark.django_db

BAD_CLIENT_PARAMS = [
    "min_total=abc",
    "min_total=10&max_total=5",
    "page=0",
    "per_page=7",
    "sort=salary",
    "country=Chile",
    "active=maybe",
    "q=" + "x" * 101,
]
BAD_CONTRACT_PARAMS = [
    "status=maybe",
    "signed_from=2026-02-01&signed_to=2026-01-01",
    "min_amount=5&max_amount=1",
    "client=0",
    "sort=-salary",
]


@pytest.mark.parametrize("form_class", [ClientFilterForm, ContractFilterForm])
def test_one_field_per_parameter_copied_from_it(form_class):
    form = form_class(QueryDict(""))
    params = form_class.query_class.PARAMS
    assert list(form.fields) == [param.name for param in params]
    for param in params:
        field = form.fields[param.name]
        assert type(field) is type(param.field) and field is not param.field
        assert field.validators == param.field.validators
        assert field.label and param.field.label is None  # the label is the dashboard's
    assert [field.name for field in form.filter_bar] == [
        param.name for param in params if param.name not in ("sort", "page")
    ]


def test_choice_fields_get_labelled_choices():
    clients = ClientFilterForm(QueryDict(""))
    assert [(value, str(label)) for value, label in clients.fields["active"].choices] == [
        ("", "Any"), ("yes", "Yes"), ("no", "No"),
    ]  # fmt: skip
    countries = clients.fields["country"].widget.choices
    assert (countries[0][0], str(countries[0][1])) == ("", "All countries")
    assert ("CL", "Chile") in countries
    contracts = ContractFilterForm(QueryDict(""))
    assert [(value, str(label)) for value, label in contracts.fields["status"].choices] == [
        ("", "Any"), ("active", "Active"), ("inactive", "Inactive"),
    ]  # fmt: skip


def test_only_the_clients_form_loads_the_countries():
    with CaptureQueriesContext(connection) as queries:
        ContractFilterForm(QueryDict("status=active")).is_valid()
    assert len(queries) == 0


@pytest.mark.parametrize(
    ("form_class", "params"),
    [
        (ClientFilterForm, "q=ana&country=cl&active=yes&min_total=1.5&sort=-total&page=2"),
        (ClientFilterForm, ""),
        (ContractFilterForm, "status=inactive&signed_to=2026-01-31&client=4&sort=amount"),
    ],
)
def test_a_valid_form_holds_the_query_the_parameters_ask(form_class, params):
    form = form_class(QueryDict(params))
    assert form.is_valid()
    assert form.query == form_class.query_class.parse(QueryDict(params))


@pytest.mark.parametrize(
    ("form_class", "params"),
    [(ClientFilterForm, p) for p in BAD_CLIENT_PARAMS]
    + [(ContractFilterForm, p) for p in BAD_CONTRACT_PARAMS],
)
def test_a_form_reports_exactly_the_querys_own_errors(form_class, params):
    form = form_class(QueryDict(params))
    assert not form.is_valid() and form.query is None
    with pytest.raises(InvalidQuery) as invalid:
        form_class.query_class.parse(QueryDict(params))
    assert {name: list(errors) for name, errors in form.errors.items()} == invalid.value.errors


@pytest.mark.parametrize("form_class", [ClientFilterForm, ContractFilterForm])
def test_the_default_page_size_is_shown_selected(form_class):
    html = str(form_class(QueryDict(""))["per_page"])
    assert '<option value="25" selected>25</option>' in html
    assert 'data-default="25"' in html  # what app.js restores when the URL has none
    assert '<option value="50" selected>' in str(form_class(QueryDict("per_page=50"))["per_page"])


def test_controls_refresh_on_change_and_the_search_as_you_type():
    form = ClientFilterForm(QueryDict(""))
    search = str(form["q"])
    assert 'type="search"' in search and 'maxlength="100"' in search
    assert 'hx-trigger="input changed delay:300ms, search"' in search
    assert "autosubmit" not in search
    assert all("autosubmit" in str(field) for field in form.filter_bar if field.name != "q")
    dates = str(ContractFilterForm(QueryDict(""))["signed_from"])
    # An ISO text box: a type="date" box would follow the browser's locale, not the user's.
    assert 'type="text"' in dates and 'placeholder="yyyy-mm-dd"' in dates
    assert "autosubmit" in dates and 'pattern="\\d{4}-\\d{2}-\\d{2}"' in dates
    bound = str(ContractFilterForm(QueryDict("signed_from=2025-04-09"))["signed_from"])
    assert 'value="2025-04-09"' in bound


def test_parsed_values_are_the_querys_not_the_forms():
    form = ClientFilterForm(QueryDict("country=cl&active=no"))
    assert form.is_valid()
    assert form.query == ClientQuery(country="CL", active=False)
    assert ContractFilterForm(QueryDict("")).is_valid()
    assert ContractFilterForm(QueryDict("")).query is None  # until validated
    form = ContractFilterForm(QueryDict(""))
    form.is_valid()
    assert form.query == ContractQuery()


def test_the_inline_edit_dates_are_the_filters_iso_text_box():
    signed_on = str(
        ContractEditForm(contract_id=7, initial={"signed_on": date(2025, 4, 9)})["signed_on"]
    )
    assert 'type="text"' in signed_on and 'placeholder="yyyy-mm-dd"' in signed_on
    assert 'value="2025-04-09"' in signed_on and 'id="edit-7-signed_on"' in signed_on
