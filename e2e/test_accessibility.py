"""axe-core finds nothing to fix on any page, at desktop and phone widths, light and dark."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import log_in
from tests.helpers.axe import axe_violations


def settled(page) -> None:
    """Every panel loaded and no request under way (nothing dimmed)."""
    expect(page.locator(".panel-placeholder")).to_have_count(0)
    expect(page.locator(".htmx-request")).to_have_count(0)


pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "mysql"])

VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_page_passes_axe(new_page, tenant_url, acme_clients, viewport, scheme):
    page = new_page(viewport=VIEWPORTS[viewport], color_scheme=scheme)
    page.goto(tenant_url("acme", "/login/"))
    found = {"login": axe_violations(page)}
    log_in(page, tenant_url, "acme")
    # The panels have loaded (the chart has its bars), so they are checked too.
    expect(page.locator("#panel-monthly svg rect")).to_have_count(12)
    expect(page.locator("#panel-countries tbody tr").first).to_be_visible()
    settled(page)
    found["clients"] = axe_violations(page)
    if viewport == "phone":
        page.locator(".filters-toggle").click()
        found["clients, filters open"] = axe_violations(page)
    page.goto(tenant_url("acme", "/?page=999"))
    settled(page)
    found["past the end"] = axe_violations(page)
    page.goto(tenant_url("acme", "/?min_total=abc"))
    settled(page)
    found["invalid filters"] = axe_violations(page)
    page.goto(tenant_url("acme", "/contracts/"))
    found["contracts"] = axe_violations(page)
    page.goto(tenant_url("acme", f"/clients/{acme_clients[0].pk}/"))
    found["client detail"] = axe_violations(page)
    assert {name: violations for name, violations in found.items() if violations} == {}
