"""The contracts page and a client's contracts: one tenant's contracts (MySQL).

A page is two queries against MySQL through the tenant-scoped manager (a count
capped at querying.COUNT_LIMIT rows, and the page itself, both walking a
tenant-first index), plus one against PostgreSQL for the names of the page's
clients. The exact count and sum of everything the filters match is a separate
question (contract_summary), asked by its own fragment so it never holds the
table; without filters, or with only a signing range of whole months, it is read
from the MonthTotals rollup (one row per month), whatever the tenant's size.
Raises ContractsUnavailable when MySQL cannot be reached.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Collate
from django.utils import timezone

from data_access.boundary import contracts_database
from data_access.models import BINARY_COLLATION, Client, ClientTotals, Contract, MonthTotals
from data_access.querying import ContractQuery, ResultPage, capped_count
from data_access.tenants import resolve_tenant, tenant_schema
from tenancy.models import Tenant

CONTRACT_FIELDS = ("id", "title", "client_id", "amount", "signed_on", "is_active")
EXPORT_BATCH = 2_000
SUGGESTIONS = 10


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
    """A page of contracts: no rollup counts filtered contracts, so the count is
    capped (exact up to COUNT_LIMIT, a lower bound past it)."""

    def __init__(
        self, rows: list[ContractRow], *, query: ContractQuery, count: int, more: bool = False
    ) -> None:
        super().__init__(rows, query=query, count=count, capped=True, more=more)


def filtered_contracts(query: ContractQuery, *, today: date | None = None) -> QuerySet[Contract]:
    """The current tenant's contracts matching the query's filters."""
    contracts = Contract.objects.all()
    if query.status is not None:
        contracts = contracts.filter(is_active=query.status)
    signed_from, signed_to = query.signed_range(today=today or timezone.localdate())
    if signed_from is not None:
        contracts = contracts.filter(signed_on__gte=signed_from)
    if signed_to is not None:
        contracts = contracts.filter(signed_on__lte=signed_to)
    if query.min_amount is not None:
        contracts = contracts.filter(amount__gte=query.min_amount)
    if query.max_amount is not None:
        contracts = contracts.filter(amount__lte=query.max_amount)
    if query.client_id is not None:
        contracts = contracts.filter(client_id=query.client_id)
    return contracts


def _client_names(client_ids: set[int]) -> dict[int, str]:
    return dict(Client.objects.filter(id__in=client_ids).values_list("id", "name"))


def _rows(page: list[dict]) -> list[ContractRow]:
    names = _client_names({row["client_id"] for row in page})
    return [ContractRow(**row, client_name=names.get(row["client_id"])) for row in page]


def contract_page(query: ContractQuery, *, tenant: Tenant | None = None) -> ContractPage:
    """One page of the current (or named) tenant's contracts.

    The count is exact up to COUNT_LIMIT; past it the page knows only that there
    are more (`count_is_exact` is False), and the next page exists while rows do.
    """
    tenant = resolve_tenant(tenant)
    ordering = query.column.ordering(descending=query.descending)
    with tenant_schema(tenant):
        with contracts_database():
            contracts = filtered_contracts(query)
            count = capped_count(contracts)  # at most COUNT_LIMIT + 1 index entries read
            fetched = list(contracts.order_by(*ordering).values(*CONTRACT_FIELDS)[query.window])
        page, more = query.split_window(fetched)
        rows = _rows(page)
    return ContractPage(rows, query=query, count=count, more=more)


@contracts_database()
def contract_row(*, contract_id: int, tenant: Tenant | None = None) -> ContractRow:
    """One contract of the current (or named) tenant, as a page row; raises
    Contract.DoesNotExist for an id that is not this tenant's."""
    tenant = resolve_tenant(tenant)
    with tenant_schema(tenant):
        found = Contract.objects.filter(pk=contract_id).values(*CONTRACT_FIELDS).first()
        if found is None:
            raise Contract.DoesNotExist(contract_id)
        return _rows([found])[0]


@dataclass(frozen=True, slots=True)
class ContractSummary:
    count: int
    total: Decimal  # the sum of the matching contracts' amounts, active or not


def _whole_months(query: ContractQuery, *, today: date) -> tuple[date | None, date | None] | None:
    """The signing range when it is the query's only filter and runs over whole
    months (either end may be open); None otherwise."""
    if any(
        value is not None
        for value in (query.status, query.min_amount, query.max_amount, query.client_id)
    ):
        return None
    signed_from, signed_to = query.signed_range(today=today)
    if signed_from is not None and signed_from.day != 1:
        return None
    if signed_to is not None and (signed_to + timedelta(days=1)).day != 1:
        return None
    return signed_from, signed_to


@contracts_database()
def contract_summary(query: ContractQuery, *, tenant: Tenant | None = None) -> ContractSummary:
    """The exact number and sum of the contracts the query's filters match: from
    MonthTotals when the filters select whole months (none at all included), else
    one statement that reads every matching index entry, so the page asks it apart."""
    tenant = resolve_tenant(tenant)
    months = _whole_months(query, today=timezone.localdate())
    with tenant_schema(tenant):
        if months is not None:
            rows = MonthTotals.objects.filter(tenant_id=tenant.pk)
            if months[0] is not None:
                rows = rows.filter(month__gte=months[0])
            if months[1] is not None:
                rows = rows.filter(month__lte=months[1])
            totals = rows.aggregate(count=Sum("contracts"), total=Sum("amount"))
        else:
            totals = filtered_contracts(query).aggregate(count=Count("id"), total=Sum("amount"))
    return ContractSummary(count=totals["count"] or 0, total=totals["total"] or Decimal("0.00"))


def _after(query: ContractQuery, row: dict) -> Q:
    """Rows after `row` in the query's order: a keyset on (column, id)."""
    name = query.column.field.name
    beyond = "lt" if query.descending else "gt"
    return Q(**{f"{name}__{beyond}": row[name]}) | Q(
        **{name: row[name], f"id__{beyond}": row["id"]}
    )


def contract_rows(
    query: ContractQuery, *, tenant: Tenant | None = None, batch: int = EXPORT_BATCH
) -> Iterator[ContractRow]:
    """Every contract the query matches, in its order, read in keyset batches (for
    exports: each batch is one index range, however deep). The first batch is read
    before the first row is handed out, so MySQL being down raises at once."""
    tenant = resolve_tenant(tenant)
    ordering = query.column.ordering(descending=query.descending)

    def next_batch(last: dict | None) -> list[dict]:
        with tenant_schema(tenant), contracts_database():
            contracts = filtered_contracts(query)
            if last is not None:
                contracts = contracts.filter(_after(query, last))
            return list(contracts.order_by(*ordering).values(*CONTRACT_FIELDS)[:batch])

    def rows(fetched: list[dict]) -> Iterator[ContractRow]:
        while fetched:
            with tenant_schema(tenant):
                named = _rows(fetched)
            yield from named  # outside the tenant context: the caller runs meanwhile
            if len(fetched) < batch:
                return
            fetched = next_batch(fetched[-1])

    return rows(next_batch(None))


def matching_contract_ids(
    query: ContractQuery, *, tenant: Tenant | None = None, batch: int = EXPORT_BATCH
) -> Iterator[int]:
    """The ids of every contract the query's filters match, by id, read in keyset
    batches: rows changed meanwhile (a bulk action) neither repeat nor get skipped."""
    tenant = resolve_tenant(tenant)
    last = 0
    while True:
        with tenant_schema(tenant), contracts_database():
            ids = list(
                filtered_contracts(query)
                .filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
        yield from ids
        if len(ids) < batch:
            return
        last = ids[-1]


@contracts_database()
def contract_rows_by_id(ids: Iterable[int], *, tenant: Tenant | None = None) -> list[ContractRow]:
    """Those of `ids` that are the tenant's contracts, as rows, by id (a selection)."""
    tenant = resolve_tenant(tenant)
    with tenant_schema(tenant):
        found = list(
            Contract.objects.filter(pk__in=set(ids)).order_by("pk").values(*CONTRACT_FIELDS)
        )
        return _rows(found)


@dataclass(frozen=True, slots=True)
class ClientChoice:
    id: int
    name: str
    email: str


def client_choices(
    search: str, *, limit: int = SUGGESTIONS, tenant: Tenant | None = None
) -> list[ClientChoice]:
    """Clients whose name starts with `search` (any case), then those whose name
    or email contains it, by name: for the contracts page's client autocomplete.

    The prefix search walks the trigram GIN index (UPPER(name) LIKE 'ANA%'), the
    contains search too; both stop after `limit` rows in name order.
    """
    tenant = resolve_tenant(tenant)
    search = search.strip()
    if not search:
        return []
    fields = ("id", "name", "email")
    by_name = (Collate("name", BINARY_COLLATION).asc(), "id")
    with tenant_schema(tenant):
        found = list(
            Client.objects.filter(name__istartswith=search)
            .order_by(*by_name)
            .values(*fields)[:limit]
        )
        if len(found) < limit:
            seen = [row["id"] for row in found]
            found += list(
                Client.objects.filter(Q(name__icontains=search) | Q(email__icontains=search))
                .exclude(id__in=seen)
                .order_by(*by_name)
                .values(*fields)[: limit - len(found)]
            )
    return [ClientChoice(**row) for row in found]


def client_name(client_id: int, *, tenant: Tenant | None = None) -> str | None:
    tenant = resolve_tenant(tenant)
    with tenant_schema(tenant):
        return _client_names({client_id}).get(client_id)


@dataclass(frozen=True, slots=True)
class ClientContractTotals:
    """One client's active contracts: how many and their sum, over all of them."""

    active_count: int
    active_total: Decimal


@contracts_database()
def client_contract_totals(*, client_id: int, tenant: Tenant | None = None) -> ClientContractTotals:
    """From ClientTotals (one row), so they cover every contract, not one page."""
    tenant = resolve_tenant(tenant)
    totals = (
        ClientTotals.objects.filter(tenant_id=tenant.pk, client_id=client_id)
        .values_list("active_contracts", "active_amount")
        .first()
    )
    count, total = totals or (0, Decimal("0.00"))
    return ClientContractTotals(active_count=count, active_total=total)
