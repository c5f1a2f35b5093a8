"""End to end on the contracts page: client-name autocomplete, a date preset,
editing a row in place and a bulk deactivation, in a real Chromium."""

import datetime
import re
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import Page, expect

from data_access import services
from data_access.models import Client, ClientTotals, Contract

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "mysql"])

ROWS = "#contracts-region tbody tr"


@pytest.fixture
def contracts_page(acme_page: Page, tenant_url) -> Page:
    acme_page.goto(tenant_url("acme", "/contracts/"))
    expect(acme_page.locator(ROWS)).to_have_count(25)
    return acme_page


def settled(page: Page) -> None:
    """The row's form is in and htmx has finished with it (what a person's next key waits for)."""
    expect(page.locator("tr.editing")).to_have_class("editing")


def zed(tenants) -> Client:
    with tenant_context(tenants["acme"]):
        return Client.objects.get(name="Zed Zebra")


def save_a_refused_amount(page: Page) -> None:
    """In an open row form: a zero amount, saved with Enter, is refused by the
    services; the error shows in the row, on the field, which keeps the focus."""
    amount = page.get_by_label("Amount", exact=True)
    expect(amount).to_be_focused()
    amount.fill("0")
    amount.press("Enter")
    expect(page.locator(".inline-edit .errors")).to_contain_text("greater than or equal to 0.01")
    expect(amount).to_have_attribute("aria-invalid", "true")
    settled(page)
    expect(amount).to_be_focused()


def test_the_client_name_autocomplete_filters_by_that_client(contracts_page: Page, tenants):
    page = contracts_page
    page.get_by_role("combobox", name="Client").press_sequentially("zeb", delay=30)
    suggestion = page.locator("#client-choices a", has_text="Zed Zebra")
    expect(suggestion).to_be_visible()
    expect(page.get_by_role("combobox", name="Client")).to_have_attribute("aria-expanded", "true")
    # Keyboard: down into the list, Enter on the suggestion.
    page.get_by_role("combobox", name="Client").press("ArrowDown")
    expect(suggestion).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS).first).to_contain_text("Zebra deal")
    expect(page).to_have_url(re.compile(rf"\?client={zed(tenants).pk}$"))
    expect(page.get_by_label("Client id")).to_have_value(str(zed(tenants).pk))
    expect(page.locator("#contracts-summary")).to_have_text("1 contract matches, totalling €55.00")


def test_a_date_preset_narrows_the_table_and_the_total(contracts_page: Page, tenants):
    page = contracts_page
    last_month_end = datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
    services.create_contract(
        client_id=zed(tenants).pk, title="Last month's deal", amount=Decimal("10.00"),
        signed_on=last_month_end.replace(day=15), tenant=tenants["acme"],
    )  # fmt: skip
    with tenant_context(tenants["acme"]):
        expected = Contract.objects.filter(
            signed_on__gte=last_month_end.replace(day=1), signed_on__lte=last_month_end
        ).count()
    page.get_by_label("Signed in").select_option("last_month")
    expect(page).to_have_url(re.compile(r"\?period=last_month$"))
    expect(page.locator("#contracts-summary")).to_contain_text(f"{expected} contracts match")
    expect(page.locator(f"{ROWS} td.col-title", has_text="Last month's deal")).to_be_visible()
    dates = page.locator(f"{ROWS} td.col-signed").all_inner_texts()
    # English dates read "Oct 15, 2026" (dashboard.formats).
    month, year = last_month_end.strftime("%b "), last_month_end.strftime(", %Y")
    assert dates and all(date.startswith(month) and date.endswith(year) for date in dates)


def test_a_row_is_edited_in_place_with_an_inline_error_first(contracts_page: Page, tenants):
    page = contracts_page
    page.goto(page.url + f"?client={zed(tenants).pk}")
    row = page.locator(ROWS).first
    row.get_by_role("button", name="Edit Zebra deal").click()
    settled(page)
    amount = page.get_by_label("Amount", exact=True)
    expect(amount).to_have_value("55.00")
    save_a_refused_amount(page)
    # Escape gives the row back unchanged.
    amount.press("Escape")
    expect(page.locator(ROWS).first).to_contain_text("€55.00")
    expect(page.get_by_role("button", name="Edit Zebra deal")).to_be_focused()
    # Then a valid amount, saved with Enter.
    page.keyboard.press("Enter")
    settled(page)
    page.get_by_label("Amount", exact=True).fill("66.50")
    page.get_by_label("Amount", exact=True).press("Enter")
    expect(page.locator(ROWS).first).to_contain_text("€66.50")
    expect(page.get_by_role("button", name="Edit Zebra deal")).to_be_focused()
    totals = ClientTotals.objects.get(tenant_id=tenants["acme"].pk, client_id=zed(tenants).pk)
    assert totals.active_amount == Decimal("66.50")


def test_a_row_is_edited_in_place_on_the_client_detail(acme_page: Page, tenant_url, tenants):
    """The same row and form as on the contracts page; a save also refreshes the
    client's figures and change history."""
    page, client = acme_page, zed(tenants)
    page.goto(tenant_url("acme", f"/clients/{client.pk}/"))
    rows, trail = page.locator("#client-contracts tbody tr"), page.locator(".audit-entry")
    expect(page.locator("#client-active-total")).to_have_text("€55.00")
    entries = trail.count()
    page.get_by_role("button", name="Edit Zebra deal").focus()
    page.keyboard.press("Enter")
    settled(page)
    amount = page.get_by_label("Amount", exact=True)
    save_a_refused_amount(page)
    expect(page.locator("#client-active-total")).to_have_text("€55.00")
    amount.fill("66.50")
    amount.press("Enter")
    expect(rows.first).to_contain_text("€66.50")
    expect(page.get_by_role("button", name="Edit Zebra deal")).to_be_focused()
    expect(page.locator("#client-active-total")).to_have_text("€66.50")
    expect(trail).to_have_count(entries + 1)
    expect(trail.first).to_contain_text("55.00")
    expect(trail.first).to_contain_text("66.50")
    expect(page.locator("#client-contracts input[name=ids]")).to_have_count(0)
    assert ClientTotals.objects.get(
        tenant_id=tenants["acme"].pk, client_id=client.pk
    ).active_amount == Decimal("66.50")


def test_bulk_deactivate_asks_for_confirmation_with_the_count(contracts_page: Page, tenants):
    page = contracts_page
    boxes = page.locator(f"{ROWS} input[name=ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    ids = [int(boxes.nth(n).get_attribute("value")) for n in (0, 1)]
    page.get_by_role("button", name="Deactivate", exact=True).click()
    expect(page.locator("#bulk-question")).to_have_text("Deactivate 2 contracts?")
    expect(page.locator("#bulk-confirm")).to_be_focused()
    with tenant_context(tenants["acme"]):
        assert Contract.objects.filter(is_active=False).count() == 0  # not before confirming
    page.locator("#bulk-confirm").click()
    expect(page.locator("#bulk-notice")).to_contain_text("2 contracts changed.")
    for contract_id in ids:
        row = page.locator(f"{ROWS}:has(input[value='{contract_id}'])")
        expect(row.locator("td.col-status")).to_have_text("Inactive")
    with tenant_context(tenants["acme"]):
        inactive = set(Contract.objects.filter(is_active=False).values_list("pk", flat=True))
    assert inactive == set(ids)
