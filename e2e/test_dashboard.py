"""End to end: a real Chromium against the live server, HTMX and all."""

import csv
import datetime
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import Page, expect

from data_access import services
from data_access.models import Client, ClientTotals
from demo.seeding import seed_tenant
from e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "mysql"])

# The README's screenshots are rewritten only when asked: CONTRATA_REFRESH_SCREENSHOTS=1.
DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ROWS = "#clients-region tbody tr"


def table_names(page: Page) -> list[str]:
    return page.locator(f"{ROWS} td.col-name a").all_inner_texts()


def mark_page(page: Page) -> None:
    """A flag that a full page load would wipe out."""
    page.evaluate("() => { window.__marker = 'still here'; }")


def marker(page: Page) -> str | None:
    return page.evaluate("() => window.__marker || null")


def test_staff_log_in_on_their_tenant(page: Page, tenant_url, acme_clients):
    page.goto(tenant_url("acme", "/"))
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    log_in(page, tenant_url, "acme")
    expect(page.locator(".tenant")).to_have_text("Acme Corporation")
    expect(page.locator(ROWS)).to_have_count(25)


def test_search_as_you_type_swaps_only_the_table(acme_page: Page):
    mark_page(acme_page)
    acme_page.get_by_label("Search").press_sequentially("zebra", delay=30)
    expect(acme_page.locator(ROWS)).to_have_count(1)
    expect(acme_page.locator(ROWS).first).to_contain_text("Zed Zebra")
    expect(acme_page).to_have_url(re.compile(r"\?q=zebra$"))
    expect(acme_page.locator("#live-status")).to_have_text("Showing 1\u20131 of 1 clients")
    assert marker(acme_page) == "still here"
    # The panels followed the filters.
    expect(acme_page.locator("#kpi-clients")).to_have_text("1")
    # Back: the table and the search box both return to the unfiltered state.
    acme_page.go_back()
    expect(acme_page.locator(ROWS)).to_have_count(25)
    expect(acme_page.get_by_label("Search")).to_have_value("")
    assert marker(acme_page) == "still here"


def test_sorting_by_total_descending_matches_the_database(acme_page: Page, tenants):
    mark_page(acme_page)
    acme_page.locator("#sort-total").click()
    expect(acme_page.locator("th:has(#sort-total)")).to_have_attribute("aria-sort", "descending")
    expect(acme_page).to_have_url(re.compile(r"\?sort=-total$"))
    acme = tenants["acme"]
    totals = dict(
        ClientTotals.objects.filter(tenant_id=acme.pk).values_list("client_id", "active_amount")
    )
    with tenant_context(acme):
        clients = list(Client.objects.values_list("id", "name"))
    expected = sorted(clients, key=lambda c: (totals.get(c[0], Decimal(0)), c[0]), reverse=True)
    assert table_names(acme_page) == [name for _, name in expected[:25]]
    assert marker(acme_page) == "still here"
    # The focus stays on the header link that was activated.
    expect(acme_page.locator("#sort-total")).to_be_focused()


def test_paging_forward_then_back_restores_the_first_page(acme_page: Page):
    first_page = table_names(acme_page)
    mark_page(acme_page)
    acme_page.locator("#page-next").click()
    expect(acme_page).to_have_url(re.compile(r"\?page=2$"))
    expect(acme_page.locator(ROWS)).to_have_count(6)
    assert table_names(acme_page)[0] != first_page[0]
    acme_page.go_back()
    expect(acme_page).not_to_have_url(re.compile(r"page="))
    expect(acme_page.locator(ROWS)).to_have_count(25)
    assert table_names(acme_page) == first_page
    acme_page.go_forward()
    expect(acme_page.locator(ROWS)).to_have_count(6)
    assert marker(acme_page) == "still here"
    # A reload of the bookmarked URL renders the same state server-side.
    acme_page.reload()
    expect(acme_page.locator(ROWS)).to_have_count(6)
    expect(acme_page.locator(".pagination .current")).to_have_text("2")


def test_filtering_by_country_updates_the_panels(acme_page: Page, acme_clients):
    expect(acme_page.locator("#kpi-clients")).to_have_text("31")
    mark_page(acme_page)
    acme_page.get_by_label("Country", exact=True).select_option("CL")
    chilean = sum(1 for client in acme_clients if client.country == "CL")
    expect(acme_page.locator(ROWS)).to_have_count(chilean)
    expect(acme_page.locator("#kpi-clients")).to_have_text(str(chilean))
    expect(acme_page.locator("#panel-countries tbody tr")).to_have_count(1)
    expect(acme_page.locator("#panel-countries tbody")).to_contain_text("Chile")
    expect(acme_page).to_have_url(re.compile(r"\?country=CL$"))
    assert marker(acme_page) == "still here"


def test_globex_staff_never_see_acme_clients(new_page, tenant_url, acme_clients, globex_clients):
    page = new_page()
    log_in(page, tenant_url, "globex")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS)).to_contain_text("Globex Gustavo")
    expect(page.locator("#clients-region")).not_to_contain_text("Acme client")
    expect(page.locator("#kpi-total")).to_have_text("R$999.00")
    # Searching for an acme name finds nothing on globex.
    page.get_by_label("Search").fill("Acme")
    expect(page.locator("#empty-state")).to_be_visible()
    # An acme login in the same browser does not open globex.
    page.goto(tenant_url("acme", "/"))
    expect(page).to_have_url(re.compile(r"acme\.localhost:\d+/login/"))


def test_a_contract_added_in_the_admin_changes_the_dashboard(acme_page: Page, tenant_url, tenants):
    with tenant_context(tenants["acme"]):
        zed = Client.objects.get(name="Zed Zebra")
    acme_page.get_by_label("Search").fill("zebra")
    expect(acme_page.locator(ROWS)).to_have_count(1)
    expect(acme_page.locator(f"{ROWS} td.col-total")).to_have_text("€55.00")

    acme_page.goto(tenant_url("acme", "/admin/data_access/contract/add/"))
    # The client is picked from the searchable lookup popup, not typed in.
    with acme_page.expect_popup() as popup_info:
        acme_page.locator("#lookup_id_client_id").click()
    popup = popup_info.value
    popup.locator("#searchbar").fill("zebra")
    popup.locator("#searchbar").press("Enter")
    popup.get_by_role("link", name="Zed Zebra").click()
    expect(acme_page.locator("#id_client_id")).to_have_value(str(zed.pk))
    acme_page.locator("#id_title").fill("Zebra renewal")
    acme_page.locator("#id_amount").fill("1000.50")
    acme_page.locator("#id_signed_on").fill("2026-04-01")
    acme_page.locator("input[name=_save]").click()
    expect(acme_page.locator(".messagelist")).to_contain_text("was added successfully")

    acme_page.goto(tenant_url("acme", "/?q=zebra"))
    expect(acme_page.locator(f"{ROWS} td.col-total")).to_have_text("€1,055.50")
    expect(acme_page.locator(f"{ROWS} td.col-contracts")).to_have_text("2")


def test_exporting_csv_downloads_the_filtered_table(acme_page: Page, acme_clients):
    acme_page.get_by_label("Country", exact=True).select_option("BR")
    expect(acme_page).to_have_url(re.compile(r"\?country=BR$"))
    with acme_page.expect_download() as download_info:
        acme_page.locator("#export-csv").click()
    download = download_info.value
    assert re.fullmatch(r"clients-acme-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    with open(download.path(), newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    expected = sorted(client.name for client in acme_clients if client.country == "BR")
    assert [row["name"] for row in rows] == expected
    assert {row["country"] for row in rows} == {"BR"}


def test_slash_focuses_the_search(acme_page: Page):
    acme_page.locator("body").press("/")
    expect(acme_page.get_by_role("searchbox")).to_be_focused()
    # Typed into a box, "/" is just a character.
    acme_page.keyboard.type("a/b")
    expect(acme_page.get_by_role("searchbox")).to_have_value("a/b")


def test_date_boxes_read_iso_dates_whatever_the_browsers_locale(new_page, tenant_url, acme_clients):
    page = new_page(locale="en-US")
    log_in(page, tenant_url, "acme")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contracts").click()
    signed_from = page.get_by_label("Signed from")
    expect(signed_from).to_have_attribute("type", "text")
    expect(signed_from).to_have_attribute("placeholder", "yyyy-mm-dd")
    signed_from.fill(datetime.date.today().isoformat())
    signed_from.press("Enter")
    expect(page).to_have_url(re.compile(rf"signed_from={datetime.date.today().isoformat()}"))
    expect(signed_from).to_have_value(datetime.date.today().isoformat())


def test_phones_get_folded_filters_and_44_px_tap_targets(new_page, tenant_url, acme_clients):
    page = new_page(viewport={"width": 390, "height": 844})
    log_in(page, tenant_url, "acme")
    country = page.get_by_label("Country", exact=True)
    toggle = page.get_by_role("button", name="Filters")
    # Folded: the search shows, the other filters wait behind the button.
    expect(page.get_by_role("searchbox")).to_be_visible()
    expect(country).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    # The table starts within the first screen.
    assert page.locator(ROWS).first.bounding_box()["y"] < 844
    toggle.click()
    expect(country).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    targets = page.locator(
        "#sort-name, #sort-total, td.col-name a, .pagination a, .button, #language-select"
    )
    small = [
        (box["width"], box["height"])
        for box in (target.bounding_box() for target in targets.all())
        if box and box["height"] < 44
    ]
    assert small == []


@pytest.fixture
def screenshots(tmp_path) -> Path:
    if os.environ.get("CONTRATA_REFRESH_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    return tmp_path


def test_screenshots_at_desktop_and_phone_widths(new_page, tenant_url, tenants, screenshots):
    # The demo data a user sees after setup_demo (acme's 2,000 clients and 20,000 contracts).
    seed_tenant(tenant=tenants["acme"], clients=2_000, contracts=20_000, seed=1)
    shots = [
        ("dashboard-desktop.png", 1280, "light"),
        ("dashboard-mobile.png", 390, "light"),
        ("dashboard-dark.png", 1280, "dark"),
    ]
    for name, width, scheme in shots:
        page = new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
        log_in(page, tenant_url, "acme")
        expect(page.locator("#panel-monthly svg rect")).to_have_count(12)
        expect(page.locator(".panel-placeholder")).to_have_count(0)
        # Nothing overflows sideways at this width.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.screenshot(path=screenshots / name, full_page=width > 400)
        assert (screenshots / name).stat().st_size > 0


@pytest.mark.parametrize("width", [1440, 1280, 390])
def test_the_panels_fit_their_cards(new_page, tenant_url, tenants, width):
    # Totals large enough to need every pixel of the countries table.
    with tenant_context(tenants["acme"]):
        for index, country in enumerate(["US", "BR", "CL"]):
            client = Client.objects.create(
                name=f"Big {country}", email=f"big{index}@acme.example", country=country
            )
            services.create_contract(
                client_id=client.pk, title=f"Big deal {index}",
                amount=Decimal("987654321.99"), signed_on=datetime.date.today(),
            )  # fmt: skip
    page = new_page(viewport={"width": width, "height": 900})
    log_in(page, tenant_url, "acme")
    countries = page.locator("#panel-countries .panel-scroll")
    expect(countries.locator("tbody tr")).to_have_count(3)
    # No column is cut off: the table is as wide as its card allows, no wider.
    assert countries.evaluate("el => el.scrollWidth <= el.clientWidth")
    # It may scroll down, so a keyboard can reach it, and it has a name.
    expect(countries).to_have_attribute("tabindex", "0")
    expect(countries).to_have_accessible_name("Totals by country")
    # Each bar of the chart shows its value.
    values = page.locator("#panel-monthly svg text.value").all_text_contents()
    assert len(values) == 12 and values[-1] == "3"


def test_filters_sorting_and_paging_work_without_javascript(new_page, tenant_url, acme_clients):
    page = new_page(java_script_enabled=False)
    log_in(page, tenant_url, "acme")
    page.get_by_label("Country", exact=True).select_option("CL")
    page.get_by_role("button", name="Apply").click()
    chilean = sum(1 for client in acme_clients if client.country == "CL")
    expect(page.locator(ROWS)).to_have_count(chilean)
    page.locator("#sort-name").click()  # a plain link: name, descending
    expect(page).to_have_url(re.compile(r"\?country=CL&sort=-name$"))
    names = table_names(page)
    assert names == sorted(names, reverse=True) and len(names) == chilean
    # The sort survives the next form submission (a hidden field tied to the form).
    page.get_by_label("Active", exact=True).select_option("yes")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"sort=-name"))
    assert table_names(page) == names


def test_panels_load_after_the_table_and_show_when_they_are_stale(
    new_page, tenant_url, acme_clients
):
    page = new_page()
    held = []

    def hold(route) -> None:
        held.append(route)

    page.route(re.compile(r"/panels/kpis/"), hold)
    log_in(page, tenant_url, "acme")
    # The table is there while the panel is still on its way.
    expect(page.locator(ROWS)).to_have_count(25)  # the first page
    kpis = page.locator("#panel-kpis")
    expect(kpis.locator(".panel-placeholder")).to_have_text("Loading…")
    expect(kpis).to_have_attribute("aria-busy", "true")
    for route in held:
        route.continue_()
    page.unroute(re.compile(r"/panels/kpis/"))
    expect(page.locator("#kpi-clients")).to_have_text(str(len(acme_clients)))
    expect(kpis).not_to_have_attribute("aria-busy", "true")
    # A filter change: the old figures are marked as updating until the new ones come.
    held.clear()
    page.route(re.compile(r"/panels/kpis/"), hold)
    page.get_by_label("Country", exact=True).select_option("CL")
    chilean = sum(1 for client in acme_clients if client.country == "CL")
    expect(page.locator(ROWS)).to_have_count(chilean)
    expect(kpis).to_have_class(re.compile(r"\bhtmx-request\b"))
    expect(kpis.locator(".panel-updating")).to_be_visible()
    expect(kpis.locator(".kpis")).to_have_css("opacity", "0.4")
    for route in held:
        route.continue_()
    page.unroute(re.compile(r"/panels/kpis/"))
    expect(page.locator("#kpi-clients")).to_have_text(str(chilean))
    expect(page.locator("#panel-kpis")).not_to_have_class(re.compile(r"\bhtmx-request\b"))
