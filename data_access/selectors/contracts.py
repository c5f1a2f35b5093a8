"""The contracts page and a client's contracts: one tenant's contracts (MySQL).

Two queries against MySQL (count and page) through the tenant-scoped manager,
plus one against PostgreSQL for the names of the page's clients. Raises
ContractsUnavailable when MySQL cannot be reached.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django_tenants.utils import tenant_context

from data_access.boundary import contracts_database
from data_access.models import Client, ClientTotals, Contract
from data_access.querying import ContractQuery, ResultPage
from data_access.selectors.aggregates import MYSQL
from data_access.tenants import resolve_tenant
from tenancy.models import Tenant

CONTRACT_FIELDS = ("id", "title", "client_id", "amount", "signed_on", "is_active")


@dataclass(frozen=True, slots=True)
class ContractRow:
    id: int
    title: str
    client_id: int
    client_name: str | None  # None: the client no longer exists (an orphan)
    amount: Decimal
    signed_on: date
    is_active: bool


class ContractPage(ResultPage[ContractRow]):
    pass


def filtered_contracts(query: ContractQuery) -> QuerySet[Contract]:
    """The current tenant's contracts matching the query's filters."""
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
    """One page of the current (or named) tenant's contracts."""
    tenant = resolve_tenant(tenant)
    ordering = query.column.ordering(descending=query.descending)
    with tenant_context(tenant):
        with contracts_database():
            contracts = filtered_contracts(query)
            count = contracts.count()
            window = slice(query.offset, query.offset + query.page_size)
            page = list(contracts.order_by(*ordering).values(*CONTRACT_FIELDS)[window])
        names = dict(
            Client.objects.filter(id__in={row["client_id"] for row in page}).values_list(
                "id", "name"
            )
        )
    rows = [ContractRow(**row, client_name=names.get(row["client_id"])) for row in page]
    return ContractPage(rows, query=query, count=count)


@dataclass(frozen=True, slots=True)
class ClientContracts:
    """One client's latest contracts, with exact totals over all of them."""

    contracts: list[Contract]
    active_count: int
    active_total: Decimal


@contracts_database()
def client_contracts(
    *, client_id: int, limit: int, tenant: Tenant | None = None
) -> ClientContracts:
    """The client's latest `limit` contracts; totals come from ClientTotals, so they
    cover every contract, not only the ones shown."""
    tenant = resolve_tenant(tenant)
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
    count, total = totals or (0, Decimal("0.00"))
    return ClientContracts(contracts=contracts, active_count=count, active_total=total)
