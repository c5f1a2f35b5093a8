"""The contracts page: one tenant's contracts (MySQL), filtered, sorted and paged.

    ?status=active&signed_from=2026-01-01&signed_to=2026-06-30&min_amount=100
     &max_amount=&client=42&sort=-amount&page=2&per_page=25

Two queries against MySQL (count and page) through the tenant-scoped manager,
plus one against PostgreSQL for the names of the page's clients.
"""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Self

from django import forms
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import QueryDict
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import tenant_context

from data_access.client_table import ContractsUnavailable
from data_access.models import Client, ClientTotals, Contract
from data_access.params import (
    DEFAULT_PAGE_SIZE,
    PageArithmetic,
    page_field,
    page_size_field,
    parse_query,
    sort_field,
)
from data_access.tenants import resolve_tenant
from tenancy.models import Tenant

MYSQL = settings.CONTRACTS_DATABASE
SORT_FIELDS = {
    "title": "title",
    "client": "client_id",
    "amount": "amount",
    "signed": "signed_on",
    "status": "is_active",
}
DEFAULT_SORT = "-signed"
STATUS_CHOICES = [("", _("Any")), ("active", _("Active")), ("inactive", _("Inactive"))]


@dataclass(frozen=True, kw_only=True, slots=True)
class ContractQuery:
    status: bool | None = None  # True: active only; False: inactive only
    signed_from: date | None = None
    signed_to: date | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    client_id: int | None = None
    sort: str = "signed"
    descending: bool = True
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def sort_param(self) -> str:
        return f"-{self.sort}" if self.descending else self.sort

    def to_params(self) -> dict[str, str]:
        """URL parameters, without the defaults, in a stable order."""

        def text(value: object) -> str:
            return "" if value is None else str(value)

        values = {
            "status": {True: "active", False: "inactive", None: ""}[self.status],
            "signed_from": text(self.signed_from),
            "signed_to": text(self.signed_to),
            "min_amount": text(self.min_amount),
            "max_amount": text(self.max_amount),
            "client": text(self.client_id),
            "sort": self.sort_param if self.sort_param != DEFAULT_SORT else "",
            "page": str(self.page) if self.page != 1 else "",
            "per_page": str(self.page_size) if self.page_size != DEFAULT_PAGE_SIZE else "",
        }
        return {name: value for name, value in values.items() if value}

    def querystring(self, **changes: Any) -> str:
        """'?…' for this query with some fields changed; a filter change goes to page 1."""
        query = replace(self, **changes) if changes else self
        if changes and "page" not in changes:
            query = replace(query, page=1)
        params = query.to_params()
        return "?" + urlencode(params) if params else "?"

    def with_changes(self, **changes: Any) -> Self:
        return replace(self, **changes)


class ContractQueryForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    signed_from = forms.DateField(label=_("Signed from"), required=False)
    signed_to = forms.DateField(label=_("Signed until"), required=False)
    min_amount = forms.DecimalField(
        label=_("Min. amount"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    max_amount = forms.DecimalField(
        label=_("Max. amount"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    client = forms.IntegerField(
        label=_("Client id"), required=False, min_value=1, max_value=2**63 - 1
    )
    sort = sort_field(SORT_FIELDS)
    page = page_field()
    per_page = page_size_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (low := data.get("signed_from")) and (high := data.get("signed_to")) and low > high:
            self.add_error("signed_to", _("The end date must not be before the start date."))
        low, high = data.get("min_amount"), data.get("max_amount")
        if low is not None and high is not None and low > high:
            self.add_error("max_amount", _("The maximum must not be below the minimum."))
        return data

    def to_query(self) -> ContractQuery:
        data = self.cleaned_data
        sort = data.get("sort") or DEFAULT_SORT
        return ContractQuery(
            status={"active": True, "inactive": False}.get(data.get("status") or ""),
            signed_from=data.get("signed_from"),
            signed_to=data.get("signed_to"),
            min_amount=data.get("min_amount"),
            max_amount=data.get("max_amount"),
            client_id=data.get("client"),
            sort=sort.lstrip("-"),
            descending=sort.startswith("-"),
            page=data.get("page") or 1,
            page_size=data.get("per_page") or DEFAULT_PAGE_SIZE,
        )


def parse_contract_query(params: QueryDict | dict[str, str]) -> ContractQuery:
    return parse_query(ContractQueryForm, params)


@dataclass(frozen=True, slots=True)
class ContractRow:
    id: int
    title: str
    client_id: int
    client_name: str | None  # None: the client no longer exists (an orphan)
    amount: Decimal
    signed_on: date
    is_active: bool


@dataclass(frozen=True, slots=True)
class ContractPage(PageArithmetic):
    query: ContractQuery
    rows: list[ContractRow]
    count: int


def _filtered(query: ContractQuery):
    contracts = Contract.objects.all()
    if query.status is not None:
        contracts = contracts.filter(is_active=query.status)
    if query.signed_from is not None:
        contracts = contracts.filter(signed_on__gte=query.signed_from)
    if query.signed_to is not None:
        contracts = contracts.filter(signed_on__lte=query.signed_to)
    if query.min_amount is not None:
        contracts = contracts.filter(amount__gte=query.min_amount)
    if query.max_amount is not None:
        contracts = contracts.filter(amount__lte=query.max_amount)
    if query.client_id is not None:
        contracts = contracts.filter(client_id=query.client_id)
    return contracts


def contract_page(query: ContractQuery, *, tenant: Tenant | None = None) -> ContractPage:
    """One page of the current (or named) tenant's contracts.

    Raises ContractsUnavailable when MySQL cannot be reached.
    """
    tenant = resolve_tenant(tenant)
    field = SORT_FIELDS[query.sort]
    # Ties broken by id in the sort's direction, so pages never overlap.
    order = (f"-{field}", "-id") if query.descending else (field, "id")
    with tenant_context(tenant):
        try:
            contracts = _filtered(query)
            count = contracts.count()
            page = list(
                contracts.order_by(*order).values(
                    "id", "title", "client_id", "amount", "signed_on", "is_active"
                )[query.offset : query.offset + query.page_size]
            )
        except DatabaseError as error:
            connections[MYSQL].close()
            raise ContractsUnavailable(str(error)) from error
        names = dict(
            Client.objects.filter(id__in={row["client_id"] for row in page}).values_list(
                "id", "name"
            )
        )
    rows = [ContractRow(**row, client_name=names.get(row["client_id"])) for row in page]
    return ContractPage(query=query, rows=rows, count=count)


@dataclass(frozen=True, slots=True)
class ClientContracts:
    """One client's latest contracts, with exact totals over all of them."""

    contracts: list[Contract]
    active_count: int
    active_total: Decimal


def client_contracts(
    *, client_id: int, limit: int, tenant: Tenant | None = None
) -> ClientContracts:
    """The client's latest `limit` contracts; totals come from ClientTotals, so they
    cover every contract, not only the ones shown. Raises ContractsUnavailable."""
    tenant = resolve_tenant(tenant)
    try:
        contracts = list(
            Contract.unscoped.using(MYSQL)
            .filter(tenant_id=tenant.pk, client_id=client_id)
            .order_by("-signed_on", "-id")[:limit]
        )
        totals = (
            ClientTotals.objects.filter(tenant_id=tenant.pk, client_id=client_id)
            .values_list("active_contracts", "active_amount")
            .first()
        )
    except DatabaseError as error:
        connections[MYSQL].close()
        raise ContractsUnavailable(str(error)) from error
    count, total = totals or (0, Decimal("0.00"))
    return ClientContracts(contracts=contracts, active_count=count, active_total=total)
