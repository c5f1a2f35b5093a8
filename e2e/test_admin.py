"""The tenant admin in a real Chromium: its lists fit a laptop screen."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "mysql"])


@pytest.mark.parametrize("width", [1440, 1280])
def test_the_clients_list_shows_every_column(new_page, tenant_url, acme_clients, width):
    page = new_page(viewport={"width": width, "height": 900})
    log_in(page, tenant_url, "acme")
    page.goto(tenant_url("acme", "/admin/data_access/client/"))
    expect(page.locator("td.field-active_total").first).to_be_visible()
    # No column runs past the list's edge (the totals were cut off at 1280 px).
    assert page.locator("#changelist .results").evaluate("el => el.scrollWidth <= el.clientWidth")
