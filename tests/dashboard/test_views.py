"""The staff dashboard: access, HTMX fragments vs pages, errors, export, isolation."""

import csv
import datetime
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES, STAFF_PASSWORD
from dashboard.views import month_bars, pagination
from data_access import services
from data_access.models import Client
from data_access.panels import MonthCount
from data_access.params import ClientQuery
from tests.mysql_down import contracts_down

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

ACME = "acme.localhost"
GLOBEX = "globex.localhost"
HTMX = {"HTTP_HX_REQUEST": "true"}
PAGES = ["/", "/contracts/", "/clients/export.csv"]
PANELS = ["kpis", "top", "countries", "monthly", "health"]

# name, country, active, contract amounts (all active)
ACME_CLIENTS = [
    ("Ana Lima", "CL", True, ["100.00", "250.50"]),
    ("Bruno Costa", "BR", True, ["350.50"]),
    ("Carla Díaz", "CL", True, []),
    ("Diego Ruiz", "MX", False, ["0.01"]),
    ("Émile Roux", "FR", True, ["1234.50", "1.00"]),
    ("=cmd|' /C calc'!A0", "CL", True, ["42.00"]),
    ("Fern Silva", "CL", True, ["2000.00"]),
    ("Gus Braga", "BR", True, ["75.25"]),
    ("Hana Sato", "JP", True, []),
    ("Iris Vega", "CL", True, ["999.99"]),
    ("Jon Berg", "SE", True, ["10.00"]),
    ("Kai Lund", "SE", True, ["20.00"]),
]


def make_clients(tenant, rows, *, domain: str = "example.com") -> list[Client]:
    clients = []
    with tenant_context(tenant):
        for index, (name, country, active, amounts) in enumerate(rows):
            client = Client.objects.create(
                name=name, email=f"c{index}@{domain}", country=country, is_active=active
            )
            for number, amount in enumerate(amounts):
                services.create_contract(
                    client_id=client.pk, title=f"{name} #{number}", amount=Decimal(amount),
                    signed_on=datetime.date(2026, 1, 5 + number),
                )  # fmt: skip
            clients.append(client)
    return clients


@pytest.fixture
def acme_clients(acme) -> list[Client]:
    return make_clients(acme, ACME_CLIENTS)


def logged_in(host: str, username: str = "staff") -> HttpClient:
    browser = HttpClient(HTTP_HOST=host)
    response = browser.post("/login/", {"username": username, "password": STAFF_PASSWORD})
    assert response.status_code == 302
    return browser


@pytest.fixture
def acme_browser(acme) -> HttpClient:
    return logged_in(ACME)


def names_in_table(html: str) -> list[str]:
    return [
        unescape(name)
        for name in re.findall(
            r'<td data-label="Name" class="col-name"><a href="/clients/\d+/">([^<]*)<', html
        )
    ]


def text(response) -> str:
    return response.content.decode()


# --- Access ---------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES, "/clients/1/", *[f"/panels/{p}/" for p in PANELS]])
def test_anonymous_users_are_sent_to_the_login(acme, path):
    response = HttpClient(HTTP_HOST=ACME).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_an_anonymous_htmx_request_redirects_the_whole_page(acme):
    response = HttpClient(HTTP_HOST=ACME).get(
        "/?q=x", HTTP_HX_CURRENT_URL="http://acme.localhost/?q=x", **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/%3Fq%3Dx"
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("path", [*PAGES, "/panels/kpis/"])
def test_non_staff_users_are_refused(acme, path):
    with tenant_context(acme):
        User.objects.create_user(username="viewer", password=STAFF_PASSWORD)
    assert logged_in(ACME, "viewer").get(path).status_code == 403


def test_logout_is_a_post_and_ends_the_session(acme_browser):
    assert acme_browser.get("/").status_code == 200
    assert acme_browser.post("/logout/").status_code == 302
    assert acme_browser.get("/").status_code == 302


# --- Page vs fragment ---------------------------------------------------------


def test_the_full_page_has_filters_table_and_every_panel(acme_clients, acme_browser):
    response = acme_browser.get("/")
    html = text(response)
    assert response.status_code == 200
    assert "<html" in html and 'id="filters"' in html and 'id="clients-region"' in html
    for panel in PANELS:
        assert f'id="panel-{panel}"' in html
    assert names_in_table(html)[:3] == ["=cmd|' /C calc'!A0", "Ana Lima", "Bruno Costa"]
    assert 'hx-trigger="input changed delay:300ms, search"' in html
    assert "HX-Request" in response["Vary"]


def test_an_htmx_request_gets_only_the_table_and_a_canonical_url(acme_clients, acme_browser):
    response = acme_browser.get(
        "/", {"q": "", "country": "CL", "active": "", "sort": "-total", "per_page": "25"}, **HTMX
    )
    html = text(response)
    assert response.status_code == 200
    assert "<html" not in html and 'id="filters"' not in html and "panel-kpis" not in html
    assert names_in_table(html) == [
        "Fern Silva", "Iris Vega", "Ana Lima", "=cmd|' /C calc'!A0", "Carla Díaz",
    ]  # fmt: skip
    assert response["HX-Push-Url"] == "/?country=CL&sort=-total"
    assert "filters-changed" in response["HX-Trigger-After-Settle"]
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("before", "after", "refresh"),
    [
        ("/", "/?country=CL", True),
        ("/?country=CL", "/?country=CL&q=ana", True),
        ("/?country=CL", "/?country=CL&page=2", False),
        ("/?country=CL&page=2", "/?country=CL&sort=-total", False),
        ("/?per_page=10", "/?per_page=50", False),
        ("/?min_total=oops", "/", True),
    ],
)
def test_panels_refresh_only_when_the_filters_change(acme_browser, before, after, refresh):
    response = acme_browser.get(after, HTTP_HX_CURRENT_URL=f"http://acme.localhost{before}", **HTMX)
    assert response.status_code == 200
    assert ("HX-Trigger-After-Settle" in response) is refresh


def test_the_same_url_cold_renders_the_same_table(acme_clients, acme_browser):
    fragment = text(acme_browser.get("/?country=CL&sort=-total", **HTMX))
    page = text(acme_browser.get("/?country=CL&sort=-total"))
    assert names_in_table(page) == names_in_table(fragment)
    assert 'aria-sort="descending"' in page


def test_a_history_restore_gets_the_whole_page(acme_clients, acme_browser):
    response = acme_browser.get("/?page=1", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in text(response) and 'id="panel-kpis"' in text(response)


def test_headers_say_how_each_column_is_sorted(acme_clients, acme_browser):
    html = text(acme_browser.get("/?sort=-contracts"))
    headers = re.findall(
        r'<th scope="col" aria-sort="(\w+)"[^>]*>\s*<a id="sort-(\w+)" href="([^"]*)"', html
    )
    assert [(name, aria) for aria, name, _ in headers] == [
        ("name", "none"), ("email", "none"), ("country", "none"), ("created_at", "none"),
        ("contract_count", "descending"), ("total_amount", "none"),
    ]  # fmt: skip
    links = {name: href for _, name, href in headers}
    assert links["contract_count"] == "?sort=contracts"  # toggles direction
    assert links["name"] == "?"  # the default sort


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-total", ["Fern Silva", "Émile Roux", "Iris Vega"]),
        ("total", ["Carla Díaz", "Hana Sato", "Diego Ruiz"]),
        # Ties are broken by id, in the sort's direction.
        ("-contracts", ["Émile Roux", "Ana Lima", "Kai Lund"]),
        # Code-point order: "É" sorts after every ASCII letter.
        ("-name", ["Émile Roux", "Kai Lund", "Jon Berg"]),
    ],
)
def test_every_sort_orders_the_rows(acme_clients, acme_browser, sort, expected):
    html = text(acme_browser.get("/", {"sort": sort}, **HTMX))
    assert names_in_table(html)[:3] == expected


def test_pages_link_forward_and_back(acme_clients, acme_browser):
    html = text(acme_browser.get("/?per_page=10&page=2"))
    assert len(names_in_table(html)) == 2
    assert 'href="?per_page=10"' in html  # previous: page 1 has no page parameter
    assert "Showing 11\u201312 of 12 clients" in html


@pytest.mark.parametrize("path", ["/", "/contracts/"])
def test_the_default_page_size_is_shown_selected(acme_browser, path):
    html = text(acme_browser.get(path))
    assert '<option value="25" selected>25</option>' in html


def test_an_empty_result_explains_itself(acme_clients, acme_browser):
    html = text(acme_browser.get("/?q=nobody-at-all", **HTMX))
    assert 'id="empty-state"' in html and "No clients match these filters." in html


def test_a_page_past_the_end_offers_the_first(acme_clients, acme_browser):
    response = acme_browser.get("/?page=50")
    assert response.status_code == 200
    assert "past the end" in text(response)


# --- Bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"min_total": "abc"},
        {"min_total": "10", "max_total": "5"},
        {"page": "0"},
        {"per_page": "7"},
        {"sort": "salary"},
        {"country": "Chile"},
        {"active": "maybe"},
        {"q": "x" * 101},
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_parameters_are_a_400_with_the_errors_shown(acme_clients, acme_browser, params, htmx):
    response = acme_browser.get("/", params, **(HTMX if htmx else {}))
    assert response.status_code == 400
    assert "Some filters are not valid." in text(response)
    assert "HX-Push-Url" not in response


@pytest.mark.parametrize("path", ["/clients/export.csv", "/panels/kpis/", "/contracts/"])
def test_other_endpoints_refuse_bad_parameters_with_a_400(acme_browser, path):
    params = {"min_total": "x", "min_amount": "x"}
    assert acme_browser.get(path, params).status_code == 400


def test_unknown_panels_and_clients_are_404(acme_clients, acme_browser):
    assert acme_browser.get("/panels/nope/").status_code == 404
    assert acme_browser.get("/clients/999999/").status_code == 404


# --- MySQL down -----------------------------------------------------------------


def test_mysql_down_the_dashboard_still_renders_and_says_so(acme_clients, acme_browser):
    with contracts_down():
        page = acme_browser.get("/")
        sorted_by_total = acme_browser.get("/?sort=-total&min_total=5", **HTMX)
        panel = acme_browser.get("/panels/kpis/", **HTMX)
        detail = acme_browser.get(f"/clients/{acme_clients[0].pk}/")
        contracts = acme_browser.get("/contracts/")
        export = acme_browser.get("/clients/export.csv?sort=-total")
        export_body = b"".join(export.streaming_content).decode()
    assert page.status_code == 200 and "Contract data is unavailable" in text(page)
    assert len(names_in_table(text(page))) == 12
    assert sorted_by_total.status_code == 200
    assert "contract filters and sorting were ignored" in text(sorted_by_total)
    assert names_in_table(text(sorted_by_total))[0] == "=cmd|' /C calc'!A0"  # by name
    assert panel.status_code == 200 and "Contract data is unavailable." in text(panel)
    assert detail.status_code == 200 and "Contract data is unavailable" in text(detail)
    assert contracts.status_code == 200 and "Contract data is unavailable" in text(contracts)
    assert export.status_code == 200 and len(export_body.splitlines()) == 13


# --- Panels ----------------------------------------------------------------------


def test_panels_follow_the_filters(acme_clients, acme_browser):
    everyone = text(acme_browser.get("/panels/kpis/", **HTMX))
    chile = text(acme_browser.get("/panels/kpis/", {"country": "CL"}, **HTMX))
    assert '<dd id="kpi-clients">12</dd>' in everyone
    assert '<dd id="kpi-clients">5</dd>' in chile
    assert '<dd id="kpi-total">3,392.49 EUR</dd>' in chile
    top = text(acme_browser.get("/panels/top/", {"country": "SE"}, **HTMX))
    assert top.index("Kai Lund") < top.index("Jon Berg") and "Fern" not in top


def test_each_panel_is_its_own_fragment(acme_clients, acme_browser):
    for name in PANELS:
        response = acme_browser.get(f"/panels/{name}/", **HTMX)
        html = text(response)
        assert response.status_code == 200 and "HX-Request" in response["Vary"]
        assert html.strip().startswith(f'<section id="panel-{name}"') and "<html" not in html
        assert 'hx-trigger="filters-changed from:body, every 60s"' in html


def test_the_monthly_chart_is_server_drawn_svg(acme_clients, acme_browser):
    html = text(acme_browser.get("/panels/monthly/", **HTMX))
    assert html.count("<rect ") == 12 and "style=" not in html


def test_month_bars_scale_to_the_busiest_month():
    months = [
        MonthCount(month=datetime.date(2026, m, 1), contracts=n, amount=Decimal(n))
        for m, n in [(1, 0), (2, 5), (3, 10)]
    ]
    bars = month_bars(months)
    assert [bar.height for bar in bars] == [0, 60, 120]
    assert [bar.y for bar in bars] == [120, 60, 0]
    assert bars[1].x == bars[0].width + 4
    assert month_bars([]) == []


def test_money_follows_the_users_language(acme_clients, acme_browser):
    def total(language: str) -> str:
        html = text(acme_browser.get("/panels/kpis/?country=CL", HTTP_ACCEPT_LANGUAGE=language))
        return re.search(r'<dd id="kpi-total">([^<]*)<', html).group(1)

    assert total("en") == "3,392.49 EUR"
    assert total("pt-br") == "3.392,49 EUR"
    assert total("es") == "3\xa0392,49 EUR"  # Spanish groups with a no-break space


def test_pagination_shows_a_window_of_pages():
    links = pagination(ClientQuery(page=6), 20).links
    assert [link.number for link in links] == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert [link.number for link in links if link.current] == [6]
    assert pagination(ClientQuery(page=1), 1).previous == ""


# --- CSV export ------------------------------------------------------------------


def test_the_export_streams_every_filtered_sorted_row(acme_clients, acme_browser):
    response = acme_browser.get("/clients/export.csv", {"sort": "-total", "per_page": "10"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="clients-acme-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 12  # every row, not one page
    assert [row["name"] for row in rows[:2]] == ["Fern Silva", "Émile Roux"]
    assert rows[0]["total"] == "2000.00" and rows[0]["contracts"] == "1"
    formula = next(row for row in rows if "calc" in row["name"])
    assert formula["name"].startswith("'=")  # not run as a spreadsheet formula


def test_the_export_follows_the_filters(acme_clients, acme_browser):
    response = acme_browser.get("/clients/export.csv", {"country": "SE", "sort": "name"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[1] for row in rows[1:]] == ["Jon Berg", "Kai Lund"]


# --- Tenants -------------------------------------------------------------------------


def test_each_tenant_sees_only_its_own_clients(acme, globex, acme_clients):
    [globex_client] = make_clients(
        globex, [("Globex Only", "BR", True, ["5.00"])], domain="globex.example"
    )
    globex_browser = logged_in(GLOBEX)
    html = text(globex_browser.get("/"))
    assert names_in_table(html) == ["Globex Only"]
    assert "5.00 BRL" in html
    export = b"".join(globex_browser.get("/clients/export.csv").streaming_content).decode()
    assert "Ana Lima" not in export and "Globex Only" in export
    assert "Globex Only" in text(globex_browser.get(f"/clients/{globex_client.pk}/"))
    # An acme client's id, asked on globex: never acme's client.
    assert "Kai Lund" not in text(globex_browser.get(f"/clients/{acme_clients[-1].pk}/"))
    contracts = text(globex_browser.get("/contracts/"))
    assert "Globex Only #0" in contracts and "Ana Lima" not in contracts


def test_an_acme_session_is_worthless_on_globex(acme, globex):
    browser = logged_in(ACME)
    assert browser.get("/", HTTP_HOST=GLOBEX).status_code == 302


# --- Client detail and contracts page --------------------------------------------------


def test_client_detail_lists_the_clients_contracts(acme_clients, acme_browser):
    html = text(acme_browser.get(f"/clients/{acme_clients[0].pk}/"))
    assert "Ana Lima #0" in html and "Ana Lima #1" in html and "Bruno" not in html
    assert '<dd id="client-active-total">350.50 EUR</dd>' in html


def test_contracts_page_filters_sorts_and_fragments(acme_clients, acme_browser):
    response = acme_browser.get("/contracts/", {"min_amount": "100", "sort": "amount"}, **HTMX)
    html = text(response)
    assert response.status_code == 200 and "<html" not in html
    titles = re.findall(r'class="col-title">([^<]*)<', html)
    assert titles == [
        "Ana Lima #0", "Ana Lima #1", "Bruno Costa #0", "Iris Vega #0", "Émile Roux #0",
        "Fern Silva #0",
    ]  # fmt: skip
    assert response["HX-Push-Url"] == "/contracts/?min_amount=100&sort=amount"
    assert "HX-Request" in response["Vary"]


def test_pages_carry_no_inline_scripts_or_styles(acme_clients, acme_browser):
    for path in ["/", "/contracts/", f"/clients/{acme_clients[0].pk}/"]:
        html = text(acme_browser.get(path))
        assert "style=" not in html and "<style" not in html
        assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", html))


# --- Languages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "heading", "export"),
    [
        ("en", "Clients", "Export CSV"),
        ("es", "Clientes", "Exportar CSV"),
        ("pt-br", "Clientes", "Exportar CSV"),
    ],
)
def test_pages_speak_the_chosen_language(acme_clients, acme_browser, language, heading, export):
    response = acme_browser.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert response.status_code == 302
    html = text(acme_browser.get("/"))
    assert f'<html lang="{language}">' in html
    assert f"<h1>{heading}</h1>" in html and export in html
