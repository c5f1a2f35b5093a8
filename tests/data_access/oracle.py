"""Brute force: load everything, join, filter, sort and slice in Python."""

from decimal import Decimal

from django.db.models import Count, Sum

from data_access.client_table import ClientRow
from data_access.models import Client, ClientTotals, Contract
from data_access.params import ClientQuery

SORT_ATTRIBUTES = {
    "name": "name",
    "email": "email",
    "country": "country",
    "created": "created_at",
    "contracts": "contract_count",
    "total": "total_amount",
}


def all_rows() -> list[ClientRow]:
    """Every client of the current tenant with its active-contract count and total."""
    totals: dict[int, tuple[int, Decimal]] = {}
    for contract in Contract.objects.all():
        if contract.is_active:
            count, total = totals.get(contract.client_id, (0, Decimal("0.00")))
            totals[contract.client_id] = (count + 1, total + contract.amount)
    return [
        ClientRow(
            id=c.id,
            name=c.name,
            email=c.email,
            country=c.country,
            is_active=c.is_active,
            created_at=c.created_at,
            contract_count=totals.get(c.id, (0, Decimal("0.00")))[0],
            total_amount=totals.get(c.id, (0, Decimal("0.00")))[1],
        )
        for c in Client.objects.all()
    ]


def matches(row: ClientRow, query: ClientQuery) -> bool:
    needle = query.search.upper()
    if needle and needle not in row.name.upper() and needle not in row.email.upper():
        return False
    if query.country and row.country != query.country:
        return False
    if query.active is not None and row.is_active != query.active:
        return False
    if query.has_contracts is not None and (row.contract_count > 0) != query.has_contracts:
        return False
    if query.min_total is not None and row.total_amount < query.min_total:
        return False
    return not (query.max_total is not None and row.total_amount > query.max_total)


def oracle(query: ClientQuery) -> tuple[list[ClientRow], int]:
    """The page's rows and the total count the query must return."""
    rows = [row for row in all_rows() if matches(row, query)]
    attribute = SORT_ATTRIBUTES[query.sort]
    rows.sort(key=lambda row: (getattr(row, attribute), row.id), reverse=query.descending)
    return rows[query.offset : query.offset + query.page_size], len(rows)


def totals_from_contracts(tenant) -> dict[int, tuple[int, Decimal]]:
    """Per-client (count, sum) of active contracts, recomputed from the contracts."""
    return {
        row["client_id"]: (row["n"], row["total"])
        for row in Contract.unscoped.filter(tenant_id=tenant.pk, is_active=True)
        .values("client_id")
        .annotate(n=Count("id"), total=Sum("amount"))
    }


def kept_totals(tenant) -> dict[int, tuple[int, Decimal]]:
    """Per-client (count, sum) as ClientTotals keeps them."""
    return {
        t.client_id: (t.active_contracts, t.active_amount)
        for t in ClientTotals.objects.filter(tenant_id=tenant.pk)
    }
