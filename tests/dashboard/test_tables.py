"""dashboard.tables: columns from the sort columns, sort state, cells and page links."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from dashboard.tables import ClientTable, ContractTable
from data_access.querying import CLIENT_COLUMNS, CONTRACT_COLUMNS, ClientQuery, ContractQuery
from data_access.selectors.clients import ClientPage, ClientRow
from data_access.selectors.contracts import ContractPage, ContractRow

CREATED = datetime.datetime(2026, 3, 4, 5, 6, tzinfo=datetime.UTC)
ELLIPSIS = "…"


def client(number: int, name: str, *, active: bool = True, total: str | None = "10.00"):
    return ClientRow(
        id=number,
        name=name,
        email=f"c{number}@example.com",
        country="CL",
        is_active=active,
        created_at=CREATED,
        contract_count=None if total is None else 1,
        total_amount=None if total is None else Decimal(total),
    )


def client_table(query: ClientQuery, rows=(), count: int | None = None) -> ClientTable:
    rows = list(rows)
    page = ClientPage(rows, query=query, count=len(rows) if count is None else count)
    return ClientTable(page, currency="EUR")


def cells(table) -> list[dict[str, str]]:
    return [{column.name: str(cell) for column, cell in row.items()} for row in table.rows]


def test_columns_come_from_the_sort_columns():
    table = client_table(ClientQuery())
    assert [column.name for column in table.columns] == [c.key for c in CLIENT_COLUMNS]
    assert [str(column.header) for column in table.columns] == [
        "Name", "Email", "Country", "Created", "Contracts", "Total",
    ]  # fmt: skip
    assert [str(column.accessor) for column in table.columns] == [
        c.attribute for c in CLIENT_COLUMNS
    ]
    contracts = ContractTable(ContractPage([], query=ContractQuery(), count=0), currency="EUR")
    assert [column.name for column in contracts.columns] == [c.key for c in CONTRACT_COLUMNS]


@pytest.mark.parametrize(
    ("sort", "aria", "next_sorts"),
    [
        # Unsorted columns first sort ascending, or descending for amounts and dates.
        ("name", {"name": "ascending"}, ["-name", "email", "country", "-created", "-contracts", "-total"]),
        ("-contracts", {"contracts": "descending"}, ["name", "email", "country", "-created", "contracts", "-total"]),
        ("total", {"total": "ascending"}, ["name", "email", "country", "-created", "-contracts", "-total"]),
    ],
)  # fmt: skip
def test_headers_say_how_the_table_is_sorted_and_what_a_click_does(sort, aria, next_sorts):
    table = client_table(ClientQuery(sort=sort))
    assert {c.name: c.attrs["th"]["aria-sort"] for c in table.columns} == {
        c.name: aria.get(c.name, "none") for c in table.columns
    }
    assert [str(column.order_by_alias.next) for column in table.columns] == next_sorts


def test_rows_keep_the_order_the_selector_gave():
    rows = [client(1, "b"), client(2, "a"), client(3, "c")]
    table = client_table(ClientQuery(sort="name"), rows)
    assert [row["name"] for row in cells(table)] == [
        '<a href="/clients/1/">b</a>', '<a href="/clients/2/">a</a>', '<a href="/clients/3/">c</a>',
    ]  # fmt: skip


def test_cells_render_links_dates_money_and_unavailable_totals():
    rows = [client(1, "<b>Ana</b>", active=False, total="1234.5"), client(2, "Bo", total=None)]
    first, second = cells(client_table(ClientQuery(), rows))
    assert first["name"] == (
        '<a href="/clients/1/">&lt;b&gt;Ana&lt;/b&gt;</a> <span class="badge">inactive</span>'
    )
    assert first["created"] == "Mar 4, 2026" and first["total"] == "€1,234.50"
    assert second["contracts"] == "—" and second["total"] == "—"


def test_contract_cells_name_missing_clients():
    rows = [
        ContractRow(7, "Deal", 3, "Ana", Decimal("5.00"), datetime.date(2026, 1, 2), True),
        ContractRow(8, "Lost", 4, None, Decimal("1.00"), datetime.date(2026, 1, 3), False),
    ]
    page = ContractPage(rows, query=ContractQuery(), count=2)
    first, second = cells(ContractTable(page, currency="BRL"))
    assert first["client"] == '<a href="/clients/3/">Ana</a>' and first["amount"] == "R$5.00"
    assert first["signed"] == "Jan 2, 2026" and first["status"] == "Active"
    assert second["client"] == '<span class="warning">Missing client #4</span>'
    assert second["status"] == "Inactive"


def test_numeric_cells_are_marked_for_alignment():
    table = client_table(ClientQuery(), [client(1, "Ana")])
    classes = {column.name: column.attrs["td"]["class"] for column in table.columns}
    assert classes["total"] == "col-total num" and classes["name"] == "col-name"


def test_page_links_show_a_window_of_pages():
    table = client_table(ClientQuery(page=6), [client(1, "Ana")], count=20 * 25)
    assert table.page_range == [1, ELLIPSIS, 4, 5, 6, 7, 8, ELLIPSIS, 20]
    assert client_table(ClientQuery(), [client(1, "Ana")]).page_range == [1]


def test_a_page_past_the_end_has_no_page_links():
    table = client_table(ClientQuery(page=99_999), [], count=12)
    assert table.page_range == []
    assert not table.page.has_next()


def test_cells_are_what_django_tables2_draws():
    rows = [client(1, "<b>Ana</b>", active=False, total="1234.5"), client(2, "Bo", total=None)]
    table = client_table(ClientQuery(country="CL", sort="-total"), rows)
    library = [[row.get_cell(column.name) for column in table.columns] for row in table.rows]
    assert [[cell for _, _, cell in row] for row in table.body] == library
    assert [row.record for row in table.body] == rows


@pytest.mark.parametrize(
    "change",
    [
        lambda rows, query: (rows[:1], query),
        lambda rows, query: ([client(1, "Ana", total="10.01"), rows[1]], query),
        lambda rows, query: ([client(1, "Ana", active=False), rows[1]], query),
        lambda rows, query: (rows, ClientQuery(sort="-total")),
        lambda rows, query: (rows, ClientQuery(page=2)),
    ],
)
def test_the_fingerprint_changes_with_anything_the_table_shows(change):
    rows, query = [client(1, "Ana"), client(2, "Bo")], ClientQuery()
    fingerprint = client_table(query, rows).fingerprint
    assert client_table(ClientQuery(), [client(1, "Ana"), client(2, "Bo")]).fingerprint == (
        fingerprint
    )
    assert client_table(*reversed(change(rows, query))).fingerprint != fingerprint


def test_the_fingerprint_follows_count_currency_and_language():
    rows = [client(1, "Ana")]
    fingerprint = client_table(ClientQuery(), rows).fingerprint
    assert client_table(ClientQuery(), rows, count=30).fingerprint != fingerprint
    page = ClientPage(rows, query=ClientQuery(), count=1)
    assert ClientTable(page, currency="BRL").fingerprint != fingerprint
    with translation.override("es"):
        assert client_table(ClientQuery(), rows).fingerprint != fingerprint
