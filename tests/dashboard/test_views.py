"""The staff dashboard's views: access, HTMX fragments vs pages, errors, panels,
export, isolation and languages, through real requests."""

import csv
import datetime
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from babel.dates import format_skeleton
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES, STAFF_PASSWORD
from dashboard.formats import format_datetime
from data_access import querying, services
from data_access.history import acting_as
from data_access.models import Client, Contract, SavedView
from data_access.selectors import panels
from tenancy.models import Country
from tests.helpers import ACME, GLOBEX, TODAY, contracts_down, logged_in, make_clients

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

HTMX = {"HTTP_HX_REQUEST": "true"}
PAGES = ["/", "/contracts/", "/clients/export.csv"]
PANELS = ["kpis", "top", "countries", "monthly", "health"]

# acme's clients in these tests (tests.helpers.make_clients rows): name, country,
# active, minutes after BASE_TIME, contracts as (amount, active).
CLIENTS = [
    ("Ana Lima", "CL", True, 0, [("100.00", True), ("250.50", True)]),
    ("Bruno Costa", "BR", True, 1, [("350.50", True)]),
    ("Carla Díaz", "CL", True, 2, []),
    ("Diego Ruiz", "MX", False, 3, [("0.01", True)]),
    ("Émile Roux", "FR", True, 4, [("1234.50", True), ("1.00", True)]),
    ("=cmd|' /C calc'!A0", "CL", True, 5, [("42.00", True)]),
    ("Fern Silva", "CL", True, 6, [("2000.00", True)]),
    ("Gus Braga", "BR", True, 7, [("75.25", True)]),
    ("Hana Sato", "JP", True, 8, []),
    ("Iris Vega", "CL", True, 9, [("999.99", True)]),
    ("Jon Berg", "SE", True, 10, [("10.00", True)]),
    ("Kai Lund", "SE", True, 11, [("20.00", True)]),
]


@pytest.fixture
def acme_clients(acme) -> list[Client]:
    return make_clients(acme, CLIENTS)


@pytest.fixture
def acme_browser(acme) -> HttpClient:
    return logged_in(ACME)


def names_in_table(html: str) -> list[str]:
    return [
        unescape(name)
        for name in re.findall(
            r'<td data-label="Name" class="col-name"><a href="/clients/\d+/[^"]*">([^<]*)<', html
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
    # The panels are not computed with the page: each loads itself once it is shown.
    assert html.count('hx-trigger="load, filters-changed from:body, every 60s"') == len(PANELS)
    assert 'id="kpi-clients"' not in html and html.count('class="panel-placeholder') == len(PANELS)
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


def test_a_drawn_table_is_reused_only_for_the_same_data(acme, acme_clients, acme_browser):
    def fern_total(**headers) -> str:
        html = text(acme_browser.get("/?country=CL&sort=-total", **HTMX, **headers))
        return re.search(r'Fern Silva</a>.*?class="col-total num">([^<]*)<', html, re.S)[1]

    assert fern_total() == fern_total() == "€2,000.00"
    fern = next(c for c in acme_clients if c.name == "Fern Silva")
    contract = Contract.objects.using("mysql").get(client_id=fern.pk)
    services.update_contract(contract_id=contract.pk, amount=Decimal("2500.00"), tenant=acme)
    assert fern_total() == "€2,500.00"
    assert fern_total(HTTP_ACCEPT_LANGUAGE="es") == "2.500,00\xa0€"


def test_a_history_restore_gets_the_whole_page(acme_clients, acme_browser):
    response = acme_browser.get("/?page=1", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in text(response) and 'id="panel-kpis"' in text(response)


def test_headers_say_how_each_column_is_sorted(acme_clients, acme_browser):
    html = text(acme_browser.get("/?sort=-contracts"))
    headers = re.findall(
        r'<th scope="col" aria-sort="(\w+)"[^>]*>\s*<a id="sort-(\w+)" href="([^"]*)"', html
    )
    assert [(name, aria) for aria, name, _ in headers] == [
        ("name", "none"), ("email", "none"), ("country", "none"), ("created", "none"),
        ("contracts", "descending"), ("total", "none"),
    ]  # fmt: skip
    links = {name: href for _, name, href in headers}
    assert links["contracts"] == "?sort=contracts"  # toggles direction
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
    assert 'href="?" hx-get="?">Back to the first page' in text(response)


@pytest.mark.parametrize("path", ["/?page=99999", "/contracts/?page=99999"])
def test_past_the_end_no_summary_or_page_links_make_up_numbers(acme_clients, acme_browser, path):
    html = text(acme_browser.get(path))
    assert "past the end" in html
    assert "Showing" not in html and 'class="pagination"' not in html


def test_past_the_end_says_how_many_pages_there_are(acme_clients, acme_browser):
    html = text(acme_browser.get("/?page=99999&per_page=10"))
    assert "12 clients match, on 2 pages." in html
    assert 'id="last-page" href="?page=2&amp;per_page=10"' in html


# A search and an aggregate filter that every client of CLIENTS passes: no rollup
# counts them.
UNCOUNTED = ["q=example", "min_total=0"]


@pytest.mark.parametrize("filters", UNCOUNTED)
def test_past_the_cap_the_summary_says_more_than_and_the_pages_go_on(
    acme_clients, acme_browser, monkeypatch, filters
):
    monkeypatch.setattr(querying, "COUNT_LIMIT", 5)
    first = text(acme_browser.get(f"/?{filters}&per_page=10", **HTMX))
    assert "Showing 1\u201310 of more than 5 clients (estimate)" in first
    assert f'rel="next" href="?{filters}&amp;page=2&amp;per_page=10"' in first
    second = text(acme_browser.get(f"/?{filters}&page=2&per_page=10", **HTMX))
    assert "Showing 11\u201312 of more than 5 clients (estimate)" in second
    assert len(names_in_table(second)) == 2 and 'class="page-next disabled"' in second
    # Past the end the last page is unknown: no count, no link to it.
    beyond = text(acme_browser.get(f"/?{filters}&page=99&per_page=10"))
    assert "past the end" in beyond and "Back to the first page" in beyond
    assert "clients match" not in beyond and 'id="last-page"' not in beyond


def test_past_the_cap_a_count_the_rollup_answers_stays_exact(
    acme_clients, acme_browser, monkeypatch
):
    monkeypatch.setattr(querying, "COUNT_LIMIT", 5)
    assert "Showing 1\u201310 of 12 clients" in text(acme_browser.get("/?per_page=10", **HTMX))
    html = text(acme_browser.get("/?country=CL&sort=-total", **HTMX))
    assert "Showing 1\u20135 of 5 clients" in html and "estimate" not in html


@pytest.mark.parametrize(
    ("language", "summary"),
    [
        ("es", "Mostrando 1\u201310 de más de 5 clientes (estimación)"),
        ("pt-br", "Mostrando 1\u201310 de mais de 5 clientes (estimativa)"),
    ],
)
def test_the_estimate_speaks_the_chosen_language(
    acme_clients, acme_browser, monkeypatch, language, summary
):
    monkeypatch.setattr(querying, "COUNT_LIMIT", 5)
    acme_browser.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert summary in text(acme_browser.get("/?q=example&per_page=10", **HTMX))


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
        export_body = b"".join(export.streaming_content).decode("utf-8-sig")
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
    assert '<dd id="kpi-total">€3,392.49</dd>' in chile
    top = text(acme_browser.get("/panels/top/", {"country": "SE"}, **HTMX))
    assert top.index("Kai Lund") < top.index("Jon Berg") and "Fern" not in top


def test_panels_parse_their_parameters_without_loading_the_countries(acme_clients, acme_browser):
    with CaptureQueriesContext(connection) as queries:
        assert acme_browser.get("/panels/kpis/", {"country": "CL"}, **HTMX).status_code == 200
    assert not [q for q in queries if Country._meta.db_table in q["sql"]]
    assert acme_browser.get("/panels/top/", {"country": "Chile"}, **HTMX).status_code == 400


def test_each_panel_is_its_own_fragment(acme, acme_clients, acme_browser):
    panels.refresh_orphan_report(tenant=acme)  # the health panel has a report to show
    for name in PANELS:
        response = acme_browser.get(f"/panels/{name}/", **HTMX)
        html = text(response)
        assert response.status_code == 200 and "HX-Request" in response["Vary"]
        assert html.strip().startswith(f'<section id="panel-{name}"') and "<html" not in html
        assert 'hx-trigger="filters-changed from:body, every 60s"' in html


def test_the_monthly_chart_is_server_drawn_svg(acme_clients, acme_browser):
    html = text(acme_browser.get("/panels/monthly/", **HTMX))
    assert html.count("<rect ") == 12 and "style=" not in html


def test_each_bar_of_the_chart_says_its_value(acme, acme_browser):
    [client] = make_clients(acme, [("Solo", "CL", True, 0, [])])
    today = datetime.date.today()
    with tenant_context(acme):
        for amount in ("10.00", "5.50"):
            services.create_contract(
                client_id=client.pk, title="x", amount=Decimal(amount), signed_on=today
            )
    html = text(acme_browser.get("/panels/monthly/", **HTMX))
    month = format_skeleton("yMMMM", today, locale="en")
    # Visible above each bar, named for assistive tech, and in the table fallback.
    assert re.findall(r'<text class="value"[^>]*>([^<]*)<', html) == ["0"] * 11 + ["2"]
    assert f"<title>{month}: 2 contracts, €15.50 (month in progress)</title>" in html
    assert html.count('role="listitem"') == 12
    assert f"<td>{month} (month in progress)</td><td>2</td><td>€15.50</td>" in html


def _checked(html: str) -> tuple[datetime.datetime, str, str]:
    """The health panel's moment of the check: its datetime, title and text."""
    found = re.search(
        r'<p class="muted" id="health-checked"><time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>',
        html,
    )
    assert found, html
    return datetime.datetime.fromisoformat(found[1]), unescape(found[2]), unescape(found[3])


def test_the_health_panel_says_its_first_check_runs_and_asks_again_soon(
    acme, acme_clients, acme_browser, held_refreshes
):
    Contract.unscoped.create(
        tenant_id=acme.pk, client_id=9_000_001, title="Lost", amount=Decimal(1), signed_on=TODAY
    )
    with CaptureQueriesContext(connections["mysql"]) as mysql:
        running = text(acme_browser.get("/panels/health/", **HTMX))
    assert not mysql.captured_queries  # no check, nor anything else, on MySQL
    assert 'id="health-running" role="status">The check is running' in running
    assert 'hx-trigger="filters-changed from:body, every 3s"' in running
    held_refreshes.pop()()  # off the request
    done = text(acme_browser.get("/panels/health/", **HTMX))
    assert "1 contract belongs to a client that no longer exists." in done
    assert "Missing client ids: 9000001" in done
    assert 'hx-trigger="filters-changed from:body, every 60s"' in done
    checked_at, title, said = _checked(done)
    assert checked_at == panels.orphan_contracts(tenant=acme).checked_at
    assert title == format_datetime(checked_at)
    assert re.fullmatch(r"Checked \d+ seconds? ago", said)
    assert not held_refreshes


@pytest.mark.parametrize(
    ("language", "running", "checked"),
    [
        ("en", "The check is running", r"Checked \d+ seconds? ago"),
        ("es", "La comprobación está en curso", r"Comprobado hace \d+ segundos?"),
        ("pt-br", "A verificação está em andamento", r"Verificado há \d+ segundos?"),
    ],
)
def test_the_health_panel_speaks_the_users_language(
    acme, acme_browser, held_refreshes, language, running, checked
):
    def panel() -> str:
        return text(acme_browser.get("/panels/health/", HTTP_ACCEPT_LANGUAGE=language, **HTMX))

    assert running in panel()
    held_refreshes.pop()()
    checked_at, title, said = _checked(panel())
    assert re.fullmatch(checked, said)
    with translation.override(language):
        assert title == format_datetime(checked_at)


def test_the_health_panel_keeps_its_report_while_mysql_is_down(acme, acme_browser, monkeypatch):
    panels.refresh_orphan_report(tenant=acme)
    monkeypatch.setattr(panels, "ORPHANS_FRESH", -1)  # stale: each read refreshes (inline here)
    with contracts_down():
        html = text(acme_browser.get("/panels/health/", **HTMX))
    assert "Every contract belongs to an existing client." in html and "unavailable" not in html


def test_the_health_panel_with_no_report_says_when_mysql_is_down(acme, acme_browser):
    with contracts_down():
        first = acme_browser.get("/panels/health/", **HTMX)  # its check fails (inline here)
        second = acme_browser.get("/panels/health/", **HTMX)
    assert first.status_code == 200 and "The check is running" in text(first)
    assert second.status_code == 200 and "Contract data is unavailable." in text(second)
    assert 'hx-trigger="filters-changed from:body, every 60s"' in text(second)


def test_money_follows_the_users_language(acme_clients, acme_browser):
    def total(language: str) -> str:
        html = text(acme_browser.get("/panels/kpis/?country=CL", HTTP_ACCEPT_LANGUAGE=language))
        return re.search(r'<dd id="kpi-total">([^<]*)<', html).group(1)

    # The locale's symbol and its place: before or after, with or without a space.
    assert total("en") == "€3,392.49"
    assert total("pt-br") == "€\xa03.392,49"
    assert total("es") == "3.392,49\xa0€"


# --- CSV export ------------------------------------------------------------------


def test_the_export_streams_every_filtered_sorted_row(acme_clients, acme_browser):
    response = acme_browser.get("/clients/export.csv", {"sort": "-total", "per_page": "10"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="clients-acme-')
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert len(rows) == 12  # every row, not one page
    assert [row["name"] for row in rows[:2]] == ["Fern Silva", "Émile Roux"]
    assert rows[0]["total"] == "2000.00" and rows[0]["contracts"] == "1"
    formula = next(row for row in rows if "calc" in row["name"])
    assert formula["name"].startswith("'=")  # not run as a spreadsheet formula


def test_the_export_follows_the_filters(acme_clients, acme_browser):
    response = acme_browser.get("/clients/export.csv", {"country": "SE", "sort": "name"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["Jon Berg", "Kai Lund"]


# --- Tenants -------------------------------------------------------------------------


def test_each_tenant_sees_only_its_own_clients(acme, globex, acme_clients):
    [globex_client] = make_clients(
        globex, [("Globex Only", "BR", True, 0, [("5.00", True)])], email_domain="globex.example"
    )
    globex_browser = logged_in(GLOBEX)
    html = text(globex_browser.get("/"))
    assert names_in_table(html) == ["Globex Only"]
    assert "R$5.00" in html
    export = b"".join(globex_browser.get("/clients/export.csv").streaming_content).decode(
        "utf-8-sig"
    )
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
    assert '<dd id="client-active-total">€350.50</dd>' in html


def test_the_way_back_from_a_client_keeps_the_tables_filters(acme_clients, acme_browser):
    html = text(acme_browser.get("/", {"country": "CL", "sort": "-total", "page": "1"}))
    link = re.search(r'<td data-label="Name" class="col-name"><a href="([^"]+)"', html).group(1)
    assert "back=country%3DCL%26sort%3D-total" in unescape(link)
    detail = text(acme_browser.get(unescape(link)))
    assert '<a id="back-to-clients" href="/?country=CL&amp;sort=-total">' in detail
    # Anything but a clients query leads back to the plain table.
    for back in ["https://evil.example/", "min_total=abc", ""]:
        detail = text(acme_browser.get(f"/clients/{acme_clients[0].pk}/", {"back": back}))
        assert '<a id="back-to-clients" href="/">' in detail


def test_country_names_follow_the_language(acme_clients, acme_browser):
    html = text(acme_browser.get("/", HTTP_ACCEPT_LANGUAGE="es"))
    assert '<option value="SE">Suecia</option>' in html
    panel = text(acme_browser.get("/panels/countries/", HTTP_ACCEPT_LANGUAGE="pt-br", **HTMX))
    assert "<td>Suécia</td>" in panel


def test_the_export_starts_with_a_bom_and_names_the_currency(acme_clients, acme_browser):
    response = acme_browser.get("/clients/export.csv", {"country": "SE", "sort": "name"})
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbfid,name,")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {row["currency"] for row in rows} == {"EUR"}


def test_client_detail_pages_and_sorts_its_contracts_table(acme_clients, acme_browser):
    ana, bruno = acme_clients[0].pk, acme_clients[1].pk
    html = text(acme_browser.get(f"/clients/{ana}/", {"sort": "amount", "per_page": "10"}))
    assert re.findall(r'class="col-title"><a href="/admin/data_access/contract/\d+/change/">'
                      r'([^<]*)<', html) == ["Ana Lima #0", "Ana Lima #1"]  # fmt: skip
    assert "Showing 1\u20132 of 2 contracts" in html and 'id="sort-amount"' in html
    # A client parameter cannot show another client's contracts here.
    fragment = acme_browser.get(f"/clients/{ana}/", {"client": bruno, "sort": "-amount"}, **HTMX)
    assert "<html" not in text(fragment) and "Bruno" not in text(fragment)
    assert text(fragment).index("Ana Lima #1") < text(fragment).index("Ana Lima #0")
    assert fragment["HX-Push-Url"] == f"/clients/{ana}/?client={ana}&sort=-amount"
    assert acme_browser.get(f"/clients/{ana}/", {"sort": "owner"}).status_code == 400
    empty = text(acme_browser.get(f"/clients/{acme_clients[2].pk}/"))
    assert "This client has no contracts yet." in empty


def test_contracts_page_filters_sorts_and_fragments(acme_clients, acme_browser):
    response = acme_browser.get("/contracts/", {"min_amount": "100", "sort": "amount"}, **HTMX)
    html = text(response)
    assert response.status_code == 200 and "<html" not in html
    titles = re.findall(
        r'class="col-title"><a href="/admin/data_access/contract/\d+/change/">([^<]*)<', html
    )
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


# --- The client's change history --------------------------------------------------


def test_the_client_detail_shows_the_clients_and_its_contracts_changes(acme, acme_browser):
    client = make_clients(acme, [("Ana", "CL", True, 1, [("10.00", True)])])[0]
    with tenant_context(acme), acting_as(User.objects.get(username="staff")):
        contract = services.create_contract(
            client_id=client.pk, title="Extra", amount=Decimal("1.00"), signed_on=TODAY
        )
        services.update_contract(contract_id=contract.pk, amount=Decimal("12.50"))
    html = acme_browser.get(f"/clients/{client.pk}/").content.decode()
    assert "Change history" in html
    # Newest first: the change, the two contracts created, the client created.
    assert re.findall(r'data-model="(\w+)" data-kind="(.)"', html) == [
        ("contract", "~"), ("contract", "+"), ("contract", "+"), ("client", "+"),
    ]  # fmt: skip
    assert "<del>1.00</del> → <ins>12.50</ins>" in html and "staff" in html
    # Each moment as dashboard.formats writes it, in the user's language.
    with tenant_context(acme):
        latest = Contract.history.filter(tenant_id=acme.pk, id=contract.pk).latest("history_date")
    acme_browser.post("/i18n/setlang/", {"language": "pt-br", "next": "/"})
    html = acme_browser.get(f"/clients/{client.pk}/").content.decode()
    with translation.override("pt-br"):
        shown = format_datetime(latest.history_date)
    assert re.search(r"<time datetime=\"[^\"]+\">([^<]+)</time>", html).group(1) == shown


# --- Saved views -----------------------------------------------------------------


def test_saving_a_view_then_opening_it_from_the_menu(acme, globex, acme_browser):
    response = acme_browser.post(
        "/views/save/",
        {"table": "contracts", "name": "Active", "shared": "on", "query": "status=active&page=2"},
    )
    assert response.status_code == 302 and response["Location"] == "/contracts/?status=active"
    menu = acme_browser.get("/contracts/").content.decode()
    assert 'href="/contracts/?status=active">Active</a>' in menu
    assert ">Active</a>" not in acme_browser.get("/").content.decode()  # the clients' menu
    assert ">Active</a>" not in logged_in(GLOBEX).get("/contracts/").content.decode()
    bad = acme_browser.post("/views/save/", {"table": "clients", "name": "x", "query": "sort=zz"})
    assert bad.status_code == 400
    assert acme_browser.get("/views/save/").status_code == 405
    with tenant_context(acme):
        view_id = SavedView.objects.get().pk
    assert logged_in(GLOBEX).post(f"/views/{view_id}/delete/").status_code == 404
    assert acme_browser.post(f"/views/{view_id}/delete/").status_code == 302
    with tenant_context(acme):
        assert not SavedView.objects.exists()


# --- CSV import --------------------------------------------------------------------


def upload(text: str, name: str = "rows.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_the_page_previews_then_writes_on_confirmation(acme, globex):
    browser = logged_in(ACME)
    text = "name,email,country\nNicolás,nico@example.com,CL\nBea,bea@example.com,ES\n"
    preview = browser.post("/import/", {"kind": "clients", "file": upload(text)})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "2 rows are ready to import" in html
    token = html.split('name="token" value="')[1].split('"')[0]
    with tenant_context(acme):
        assert not Client.objects.exists()
    # Another tenant's staff cannot confirm this preview.
    other = logged_in(GLOBEX).post("/import/", {"kind": "clients", "token": token})
    assert other.status_code == 400 and "expired" in other.content.decode()
    done = browser.post("/import/", {"kind": "clients", "token": token})
    assert done.status_code == 200 and "2 rows imported" in done.content.decode()
    with tenant_context(acme):
        assert sorted(Client.objects.values_list("name", flat=True)) == ["Bea", "Nicolás"]
        assert Client.history.filter(history_type="+").count() == 2
    with tenant_context(globex):
        assert not Client.objects.exists()
    again = browser.post("/import/", {"kind": "clients", "token": token})
    assert again.status_code == 400  # a preview is confirmed once


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "clients"}, "Choose a CSV file."),
        ({"kind": "clients", "file": upload("x", "a.csv")}, "Missing columns"),
        ({"kind": "contracts", "file": SimpleUploadedFile("a.csv", b"\xff\xfe\x00")}, "UTF-8"),
        ({"kind": "nope"}, "Select a valid choice"),
    ],
)
def test_bad_uploads_are_400_with_a_message(acme, data, message):
    response = logged_in(ACME).post("/import/", data)
    assert response.status_code == 400
    assert message in response.content.decode()


# --- Contracts page: summary, export, client autocomplete, presets --------------------


def test_contracts_summary_is_exact_and_follows_the_filters(acme_clients, acme_browser):
    page = text(acme_browser.get("/contracts/", {"status": "active"}))
    assert 'hx-get="/contracts/summary/?status=active"' in page
    everything = text(acme_browser.get("/contracts/summary/", **HTMX))
    assert "12 contracts match, totalling €5,083.75" in everything
    sweden = text(acme_browser.get("/contracts/summary/", {"min_amount": "10", "max_amount": "20"}))
    assert "2 contracts match, totalling €30.00" in sweden
    assert acme_browser.get("/contracts/summary/", {"min_amount": "x"}).status_code == 400


def test_contracts_export_streams_the_filtered_rows(acme_clients, acme_browser):
    response = acme_browser.get("/contracts/export.csv", {"client": acme_clients[0].pk})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["title"], r["client"], r["amount"]) for r in rows] == [
        ("Ana Lima #1", "Ana Lima", "250.50"), ("Ana Lima #0", "Ana Lima", "100.00"),
    ]  # fmt: skip
    assert acme_browser.get("/contracts/export.csv", {"sort": "owner"}).status_code == 400


def test_client_name_suggestions_link_to_the_same_filters(acme_clients, acme_browser):
    html = text(acme_browser.get("/contracts/clients/", {"client_name": "ana", "status": "active"}))
    ana = acme_clients[0].pk
    assert f'href="/contracts/?status=active&amp;client={ana}"' in html
    assert f'data-client-id="{ana}"' in html and "Bruno" not in html
    assert "No client matches." in text(acme_browser.get("/contracts/clients/?client_name=zzz"))
    # The chosen client's name fills the box again on the filtered page.
    assert 'value="Ana Lima"' in text(acme_browser.get("/contracts/", {"client": ana}))


def test_a_date_preset_filters_the_contracts(acme_clients, acme_browser):
    this_month = text(acme_browser.get("/contracts/", {"period": "this_month"}))
    if datetime.date.today().strftime("%Y-%m") == "2026-01":
        assert "Ana Lima #0" in this_month
    else:
        assert "No contracts match these filters." in this_month
    january = text(acme_browser.get("/contracts/", {"period": "this_year", "signed_to": "2026-01-31",
                                                    "signed_from": "2026-01-01"}))  # fmt: skip
    assert ("Ana Lima #0" in january) == (datetime.date.today().year == 2026)
    assert acme_browser.get("/contracts/", {"period": "someday"}).status_code == 400


def test_new_contract_endpoints_degrade_when_mysql_is_down(acme_clients, acme_browser):
    with contracts_down():
        summary = acme_browser.get("/contracts/summary/", **HTMX)
        export = acme_browser.get("/contracts/export.csv")
        choices = acme_browser.get("/contracts/clients/", {"client_name": "ana"})
    assert summary.status_code == 200 and "The total is unavailable right now." in text(summary)
    assert export.status_code == 503
    assert choices.status_code == 200 and "Ana Lima" in text(choices)  # PostgreSQL alone


def test_new_contract_endpoints_show_only_the_tenants_rows(acme_clients, globex):
    make_clients(globex, [("Globex Ana", "BR", True, 0, [("5.00", True)])],
                 email_domain="globex.example")  # fmt: skip
    globex_browser = logged_in(GLOBEX)
    assert "1 contract matches, totalling R$5.00" in text(globex_browser.get("/contracts/summary/"))
    export = b"".join(globex_browser.get("/contracts/export.csv").streaming_content).decode()
    assert "Globex Ana" in export and "Ana Lima" not in export
    choices = text(globex_browser.get("/contracts/clients/", {"client_name": "ana"}))
    assert "Globex Ana" in choices and "Ana Lima" not in choices
    # An acme client's id on globex: no acme contracts, no acme name.
    other = text(globex_browser.get("/contracts/", {"client": acme_clients[0].pk}))
    assert "Ana Lima" not in other and "No contracts match these filters." in other


# --- Editing a contract in its row -----------------------------------------------------


def ana_contract(acme) -> int:
    with tenant_context(acme):
        return Contract.objects.get(title="Ana Lima #0").pk


def test_the_contracts_table_offers_edit_to_staff_who_may_change_contracts(acme_clients, acme):
    contract = ana_contract(acme)
    html = text(logged_in(ACME).get("/contracts/"))
    assert f'hx-get="/contracts/{contract}/edit/"' in html
    with tenant_context(acme):
        User.objects.create_user(username="reader", password=STAFF_PASSWORD, is_staff=True)
    reader = logged_in(ACME, "reader")
    assert "/edit/" not in text(reader.get("/contracts/"))
    assert reader.get(f"/contracts/{contract}/edit/", **HTMX).status_code == 403
    assert reader.post(f"/contracts/{contract}/edit/", {"amount": "1"}).status_code == 403


def test_a_row_swaps_to_a_form_saves_through_the_services_and_swaps_back(
    acme_clients, acme, acme_browser
):
    contract = ana_contract(acme)
    form = text(acme_browser.get(f"/contracts/{contract}/edit/", **HTMX))
    assert form.startswith('<tr class="editing">') and 'value="100.00"' in form
    assert 'name="signed_on" value="2026-01-05"' in form and "checked" in form
    saved = acme_browser.post(
        f"/contracts/{contract}/edit/", {"amount": "150.25", "signed_on": "2026-02-01"}, **HTMX
    )
    row = text(saved)
    assert saved.status_code == 200 and row.startswith("<tr>")
    assert "€150.25" in row and "Feb 1, 2026" in row and "Inactive" in row
    # Unchecked: now inactive, so the client's exact totals lose this contract.
    detail = text(acme_browser.get(f"/clients/{acme_clients[0].pk}/"))
    assert '<dd id="client-active-total">€250.50</dd>' in detail
    back = text(acme_browser.get(f"/contracts/{contract}/row/", **HTMX))
    assert back.startswith("<tr>") and "€150.25" in back


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "0", "signed_on": "2026-01-05"}, "amount", "greater than or equal to 0.01"),
        ({"amount": "abc", "signed_on": "2026-01-05"}, "amount", "Enter a number."),
        ({"amount": "5", "signed_on": "someday"}, "signed_on", "Enter a valid date."),
    ],
)
def test_invalid_values_come_back_inline_and_change_nothing(
    acme_clients, acme, acme_browser, data, field, message
):
    contract = ana_contract(acme)
    response = acme_browser.post(f"/contracts/{contract}/edit/", data, **HTMX)
    html = text(response)
    assert response.status_code == 400 and html.startswith('<tr class="editing">')
    assert f'id="edit-{contract}-{field}_error"' in html and message in html
    assert 'aria-invalid="true"' in html
    assert "€100.00" in text(acme_browser.get(f"/contracts/{contract}/row/"))


def test_the_client_detail_edits_its_rows_in_place_and_refreshes_totals_and_history(
    acme_clients, acme, acme_browser
):
    contract, ana = ana_contract(acme), acme_clients[0].pk
    detail = text(acme_browser.get(f"/clients/{ana}/"))
    assert f'hx-get="/contracts/{contract}/edit/?table=client"' in detail
    assert 'form="bulk"' not in detail  # no selection boxes: no bulk bar here
    form = text(acme_browser.get(f"/contracts/{contract}/edit/?table=client", **HTMX))
    assert form.startswith('<tr class="editing"><td colspan=')
    assert f'hx-post="/contracts/{contract}/edit/?table=client"' in form
    assert f'hx-get="/contracts/{contract}/row/?table=client"' in form
    # An invalid value: the form again, with the error on its field, and nothing else.
    refused = acme_browser.post(
        f"/contracts/{contract}/edit/?table=client",
        {"amount": "0", "signed_on": "2026-01-05", "is_active": "on"},
        **HTMX,
    )
    html = text(refused)
    assert refused.status_code == 400 and html.startswith('<tr class="editing">')
    assert f'id="edit-{contract}-amount_error"' in html and "hx-swap-oob" not in html
    saved = acme_browser.post(
        f"/contracts/{contract}/edit/?table=client",
        {"amount": "150.25", "signed_on": "2026-02-01"},
        **HTMX,
    )
    html = text(saved)
    assert saved.status_code == 200 and html.startswith("<tr>") and 'form="bulk"' not in html
    row, swapped = html.split("<template>", 1)
    assert "€150.25" in row and "Inactive" in row
    assert f'hx-get="/contracts/{contract}/edit/?table=client"' in row
    # The client's figures and change history, swapped in by id, as a fresh page shows them.
    assert '<dl class="facts" id="client-facts" hx-swap-oob="true">' in swapped
    assert '<dd id="client-active-total">€250.50</dd>' in swapped
    assert 'id="audit-trail" aria-labelledby="audit-trail-title" hx-swap-oob="true"' in swapped
    trail = swapped.split('id="audit-trail"', 1)[1]
    assert f"contract #{contract}" in trail and "150.25" in trail
    assert '<dd id="client-active-total">€250.50</dd>' in text(acme_browser.get(f"/clients/{ana}/"))
    cancel = text(acme_browser.get(f"/contracts/{contract}/row/?table=client", **HTMX))
    assert cancel.startswith("<tr>") and "<template>" not in cancel and 'form="bulk"' not in cancel
    assert acme_browser.get(f"/contracts/{contract}/row/?table=other", **HTMX).status_code == 400


def test_another_tenants_contract_is_not_found(acme_clients, acme, globex):
    contract = ana_contract(acme)
    globex_browser = logged_in(GLOBEX)
    for response in (
        globex_browser.get(f"/contracts/{contract}/edit/", **HTMX),
        globex_browser.post(
            f"/contracts/{contract}/edit/", {"amount": "1", "signed_on": "2026-01-01"}
        ),
        globex_browser.get(f"/contracts/{contract}/row/", **HTMX),
    ):
        assert response.status_code == 404
    assert "€100.00" in text(logged_in(ACME).get(f"/contracts/{contract}/row/"))


def test_editing_with_mysql_down_is_a_503(acme_clients, acme, acme_browser):
    contract = ana_contract(acme)
    with contracts_down():
        responses = [
            acme_browser.get(f"/contracts/{contract}/edit/", **HTMX),
            acme_browser.post(
                f"/contracts/{contract}/edit/", {"amount": "1", "signed_on": "2026-01-01"}
            ),
            acme_browser.get(f"/contracts/{contract}/row/", **HTMX),
        ]
    assert [response.status_code for response in responses] == [503, 503, 503]
    assert acme_browser.put(f"/contracts/{contract}/edit/").status_code == 405


# --- Bulk actions --------------------------------------------------------------------


def contract_ids(acme, **filters) -> list[int]:
    with tenant_context(acme):
        return list(Contract.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))


def test_bulk_deactivate_asks_with_the_count_then_changes_exactly_those(acme_clients, acme):
    browser = logged_in(ACME)
    chosen = contract_ids(acme, title__startswith="Ana Lima")
    asked = browser.post("/contracts/bulk/", {"action": "deactivate", "ids": chosen}, **HTMX)
    html = text(asked)
    assert asked.status_code == 200 and asked["HX-Retarget"] == "#contracts-region"
    assert "Deactivate 2 contracts?" in html and 'name="confirm_action" value="deactivate"' in html
    assert all(f'value="{pk}" form="bulk" checked' in html for pk in chosen)
    assert contract_ids(acme, is_active=False) == []  # nothing yet
    done = browser.post("/contracts/bulk/", {"confirm_action": "deactivate", "ids": chosen}, **HTMX)
    assert "2 contracts changed." in text(done)
    assert contract_ids(acme, is_active=False) == chosen
    detail = text(browser.get(f"/clients/{acme_clients[0].pk}/"))
    assert '<dd id="client-active-total">€0.00</dd>' in detail


def test_bulk_on_everything_matching_the_filters(acme_clients, acme):
    browser = logged_in(ACME)
    params = {"max_amount": "20", "all": "1"}
    asked = text(browser.post("/contracts/bulk/", params | {"action": "deactivate"}, **HTMX))
    assert "Deactivate 4 contracts?" in asked  # 0.01, 1.00, 10.00, 20.00
    done = browser.post("/contracts/bulk/", params | {"confirm_action": "deactivate"})
    assert done.status_code == 200 and "4 contracts changed." in text(done)  # without JS: a page
    assert len(contract_ids(acme, is_active=False)) == 4
    export = browser.post("/contracts/bulk/", params | {"action": "export"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert sorted(row["amount"] for row in rows) == ["0.01", "1.00", "10.00", "20.00"]
    assert {row["active"] for row in rows} == {"no"}


def test_bulk_export_of_ticked_rows_needs_no_change_permission(acme_clients, acme):
    with tenant_context(acme):
        User.objects.create_user(username="reader", password=STAFF_PASSWORD, is_staff=True)
    reader = logged_in(ACME, "reader")
    chosen = contract_ids(acme, title="Bruno Costa #0")
    export = reader.post("/contracts/bulk/", {"action": "export", "ids": chosen})
    assert b"Bruno Costa #0" in b"".join(export.streaming_content)
    assert (
        reader.post("/contracts/bulk/", {"action": "deactivate", "ids": chosen}).status_code == 403
    )
    assert "Deactivate" not in text(reader.get("/contracts/"))


@pytest.mark.parametrize(
    "data",
    [
        {"action": "deactivate"},  # nothing selected
        {"ids": ["1"]},  # no action
        {"action": "explode", "ids": ["1"]},
        {"action": "deactivate", "ids": ["x"]},
        {"action": "deactivate", "ids": [str(n) for n in range(1, 102)]},
        {"action": "deactivate", "all": "1", "min_amount": "-3"},
    ],
)
def test_bad_bulk_requests_are_a_400(acme_clients, acme_browser, data):
    assert acme_browser.post("/contracts/bulk/", data).status_code == 400


def test_bulk_actions_never_reach_another_tenants_contracts(acme_clients, acme, globex):
    acme_ids = contract_ids(acme)
    globex_browser = logged_in(GLOBEX)
    for action in ("deactivate", "export"):
        data = {"confirm_action" if action != "export" else "action": action, "ids": acme_ids}
        assert globex_browser.post("/contracts/bulk/", data).status_code == 404
    everything = globex_browser.post(
        "/contracts/bulk/", {"all": "1", "confirm_action": "deactivate"}
    )
    assert "0 contracts changed." in text(everything)
    assert contract_ids(acme, is_active=False) == []


def test_bulk_actions_with_mysql_down_are_a_503(acme_clients, acme, acme_browser):
    chosen = contract_ids(acme)[:2]
    with contracts_down():
        for data in (
            {"action": "deactivate", "ids": chosen},
            {"confirm_action": "deactivate", "all": "1"},
            {"action": "export", "all": "1"},
        ):
            assert acme_browser.post("/contracts/bulk/", data).status_code == 503
    assert acme_browser.get("/contracts/bulk/").status_code == 405
