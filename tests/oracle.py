"""The tests' one oracle: brute force over everything loaded, in Python.

What the client table, the aggregates and ClientTotals must answer, computed
without any of the product's query code."""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.utils import timezone
from django_tenants.utils import tenant_context

from data_access.models import (
    Client,
    ClientCount,
    ClientTotals,
    Contract,
    MonthTotals,
    SegmentTotals,
    TotalsCoverage,
)
from data_access.querying import ClientQuery
from data_access.selectors.clients import ClientRow
from data_access.selectors.panels import CountryTotal, Kpis, MonthCount

ZERO = Decimal("0.00")
# The row attribute each sort key orders by.
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
    assert query.created is None, "the oracle knows explicit creation days only"
    created_on = timezone.localtime(row.created_at).date()
    if query.created_from is not None and created_on < query.created_from:
        return False
    if query.created_to is not None and created_on > query.created_to:
        return False
    if query.has_contracts is not None and (row.contract_count > 0) != query.has_contracts:
        return False
    if query.min_total is not None and row.total_amount < query.min_total:
        return False
    return not (query.max_total is not None and row.total_amount > query.max_total)


def oracle(query: ClientQuery) -> tuple[list[ClientRow], int]:
    """The page's rows and the total count the query must return."""
    rows = [row for row in all_rows() if matches(row, query)]
    attribute = SORT_ATTRIBUTES[query.sort.removeprefix("-")]
    descending = query.sort.startswith("-")
    rows.sort(key=lambda row: (getattr(row, attribute), row.id), reverse=descending)
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
    """Per-client (count, sum) as ClientTotals keeps them, zero rows left out."""
    return {
        t.client_id: (t.active_contracts, t.active_amount)
        for t in ClientTotals.objects.filter(tenant_id=tenant.pk)
        if t.active_contracts
    }


def zero_rows_complete(tenant) -> bool:
    with tenant_context(tenant):
        return TotalsCoverage.objects.filter(complete=True).exists()


def aggregate(name: str, book, ids: list[int] | None) -> object:
    """What the aggregate `name` answers for a helpers.Book, computed in Python."""
    keep = set(book.clients) if ids is None else set(ids)
    clients = {i: c for i, c in book.clients.items() if i in keep}
    contracts = [c for c in book.contracts if c["client_id"] in keep]
    totals = {i: t for i, t in book.active_totals().items() if i in keep}
    if name == "client_counts":
        return len(clients), sum(c["is_active"] for c in clients.values())
    if name == "client_countries":
        return {i: c["country"] for i, c in clients.items()}
    if name == "active_totals":
        return (
            len(totals),
            sum(n for n, _ in totals.values()),
            sum((a for _, a in totals.values()), ZERO),
        )
    if name in {"client_cents", "active_totals_by_client"}:
        return {i: (n, int(amount * 100)) for i, (n, amount) in totals.items()}
    if name == "totals_by_country":
        by_country: dict[str, list] = defaultdict(lambda: [0, 0, ZERO])
        for client_id, client in clients.items():
            n, amount = totals.get(client_id, (0, ZERO))
            row = by_country[client["country"]]
            row[0], row[1], row[2] = row[0] + 1, row[1] + n, row[2] + amount
        return sorted(((k, *v) for k, v in by_country.items()), key=lambda r: (-r[3], r[0]))
    if name == "signed_per_month":
        start = datetime.date(2025, 7, 1)  # 12 months up to June 2026
        months: dict[datetime.date, list] = defaultdict(lambda: [0, ZERO])
        for contract in contracts:
            if start <= contract["signed_on"] <= datetime.date(2026, 6, 30):
                month = months[contract["signed_on"].replace(day=1)]
                month[0] += 1
                month[1] += contract["amount"]
        return sorted((m, n, a) for m, (n, a) in months.items())
    if name == "orphan_contracts_by_client":
        return {}
    raise AssertionError(name)


class PanelOracle:
    """Everything one tenant holds, loaded, and each panel computed from it."""

    def __init__(self, tenant) -> None:
        with tenant_context(tenant):
            self.rows = all_rows()
        self.clients = {row.id: row for row in self.rows}
        self.contracts = list(
            Contract.unscoped.filter(tenant_id=tenant.pk).values(
                "client_id", "amount", "signed_on", "is_active"
            )
        )
        totals: dict[int, list] = defaultdict(lambda: [0, ZERO])
        for contract in self.contracts:
            if contract["is_active"]:
                totals[contract["client_id"]][0] += 1
                totals[contract["client_id"]][1] += contract["amount"]
        self.totals = {i: tuple(t) for i, t in totals.items()}

    def matching(self, query: ClientQuery) -> list[int]:
        return [row.id for row in self.rows if matches(row, query)]

    def kpis(self, query: ClientQuery) -> Kpis:
        ids = self.matching(query)
        contracts = sum(self.totals.get(i, (0, ZERO))[0] for i in ids)
        amount = sum((self.totals.get(i, (0, ZERO))[1] for i in ids), ZERO)
        return Kpis(
            clients=len(ids),
            active_clients=sum(self.clients[i].is_active for i in ids),
            active_contracts=contracts,
            total_amount=amount,
            average_contract=(amount / contracts).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if contracts
            else None,
        )

    def top(self, query: ClientQuery, limit: int) -> list[tuple[int, int, Decimal]]:
        rows = [(i, *self.totals.get(i, (0, ZERO))) for i in self.matching(query)]
        rows.sort(key=lambda row: (row[2], row[0]), reverse=True)
        return rows[:limit]

    def by_country(self, query: ClientQuery) -> list[CountryTotal]:
        groups: dict[str, list] = defaultdict(lambda: [0, 0, ZERO])
        for client_id in self.matching(query):
            n, amount = self.totals.get(client_id, (0, ZERO))
            group = groups[self.clients[client_id].country]
            group[0], group[1], group[2] = group[0] + 1, group[1] + n, group[2] + amount
        rows = [CountryTotal(k, *v) for k, v in groups.items()]
        return sorted(rows, key=lambda row: (-row.total_amount, row.country))

    def per_month(self, query: ClientQuery, months: int, today: datetime.date) -> list[MonthCount]:
        ids = set(self.matching(query))
        result = []
        for back in range(months - 1, -1, -1):
            index = today.year * 12 + today.month - 1 - back
            month = datetime.date(index // 12, index % 12 + 1, 1)
            signed = [
                c
                for c in self.contracts
                if c["client_id"] in ids and c["signed_on"].replace(day=1) == month
            ]
            amount = sum((c["amount"] for c in signed), ZERO)
            result.append(MonthCount(month=month, contracts=len(signed), amount=amount))
        return result


# --- Rollups: what each derived table must hold, and what it holds -----------------


def rollups_from_base(tenant) -> dict[str, dict]:
    """Every derived table of the tenant, recomputed by brute force from all of its
    clients and contracts: {table: {key: value}}, zero rows left out; and, while
    TotalsCoverage says they are complete, the clients the zero rows must name."""
    with tenant_context(tenant):
        clients = {c.id: (c.country, c.is_active) for c in Client.objects.all()}
    counts: dict = defaultdict(int)
    for segment in clients.values():
        counts[segment] += 1
    totals: dict = defaultdict(lambda: (0, ZERO))
    segments: dict = defaultdict(lambda: (0, ZERO))
    months: dict = defaultdict(lambda: (0, ZERO))
    for contract in Contract.unscoped.filter(tenant_id=tenant.pk):
        month = contract.signed_on.replace(day=1)
        months[month] = (months[month][0] + 1, months[month][1] + contract.amount)
        if contract.is_active:
            n, amount = totals[contract.client_id]
            totals[contract.client_id] = (n + 1, amount + contract.amount)
            if (segment := clients.get(contract.client_id)) is not None:
                n, amount = segments[segment]
                segments[segment] = (n + 1, amount + contract.amount)
    result = {
        "client_count": dict(counts),
        "client_totals": dict(totals),
        "segment_totals": dict(segments),
        "month_totals": dict(months),
    }
    if zero_rows_complete(tenant):
        result["zero_rows"] = {i: (0, ZERO) for i in clients if i not in totals}
    return result


def stored_rollups(tenant) -> dict[str, dict]:
    """The derived tables as stored, in rollups_from_base's shape."""
    with tenant_context(tenant):
        counts = {(r.country, r.is_active): r.clients for r in ClientCount.objects.all()}
    result = {
        "client_count": counts,
        "client_totals": kept_totals(tenant),
        "segment_totals": {
            (r.country, bool(r.client_active)): (r.active_contracts, r.active_amount)
            for r in SegmentTotals.objects.filter(tenant_id=tenant.pk)
        },
        "month_totals": {
            r.month: (r.contracts, r.amount)
            for r in MonthTotals.objects.filter(tenant_id=tenant.pk)
        },
    }
    if zero_rows_complete(tenant):
        result["zero_rows"] = {
            r.client_id: (r.active_contracts, r.active_amount)
            for r in ClientTotals.objects.filter(tenant_id=tenant.pk, active_contracts=0)
        }
    return result
