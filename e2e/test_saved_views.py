"""End to end: filter and sort the table, save it as a shared view, open it from the menu."""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "mysql"])
ROWS = "#clients-region tbody tr"


def test_a_saved_view_restores_filters_and_sort_for_the_tenants_staff(
    acme_page: Page, new_page, tenant_url, globex_clients
):
    acme_page.get_by_label("Search").fill("zebra")
    expect(acme_page.locator(ROWS)).to_have_count(1)
    expect(acme_page).to_have_url(re.compile(r"q=zebra"))  # htmx pushed the filters
    acme_page.locator("#saved-views summary").click()
    acme_page.get_by_label("Name of the current view").fill("Zebras")
    acme_page.get_by_label("Share with the staff").check()
    acme_page.get_by_role("button", name="Save view").click()
    expect(acme_page).to_have_url(re.compile(r"/\?q=zebra$"))

    acme_page.goto(tenant_url("acme", "/"))
    expect(acme_page.locator(ROWS)).not_to_have_count(1)
    acme_page.locator("#saved-views summary").click()
    acme_page.get_by_role("link", name="Zebras").click()
    expect(acme_page.locator(ROWS)).to_have_count(1)
    expect(acme_page.get_by_label("Search")).to_have_value("zebra")

    # globex's staff do not see acme's shared view.
    globex = new_page()
    log_in(globex, tenant_url, "globex")
    globex.locator("#saved-views summary").click()
    expect(globex.locator("#saved-views")).not_to_contain_text("Zebras")
