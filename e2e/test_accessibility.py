"""axe-core finds nothing to fix on any page, at desktop and phone widths, light and dark."""

import pytest
from django_tenants.utils import schema_context, tenant_context
from playwright.sync_api import expect

from data_access.models import Contract
from e2e.conftest import log_in
from tenancy.services import ensure_staff_user
from tests.helpers.axe import axe_violations

ROOT_PASSWORD = "root-password-2026"


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


def _import(page, kind: str, csv: str) -> None:
    page.get_by_label("Import").select_option(kind)
    page.get_by_label("CSV file (UTF-8)").set_input_files(
        files=[{"name": f"{kind}.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_import_page_and_both_admins_pass_axe(
    new_page, tenant_url, acme_clients, tenants, viewport, scheme
):
    page = new_page(viewport=VIEWPORTS[viewport], color_scheme=scheme)
    log_in(page, tenant_url, "acme")
    page.goto(tenant_url("acme", "/import/"))
    found = {"import": axe_violations(page)}
    _import(page, "contracts", "client_id,title,amount,signed_on\n0,,-5,2026-13-01\n")
    expect(page.locator("#import-errors tbody tr").first).to_be_visible()
    found["import, errors listed"] = axe_violations(page)
    _import(page, "clients", "name,email,country\nNew client,new@example.com,CL\n")
    expect(page.get_by_text("1 row is ready to import")).to_be_visible()
    found["import, ready to confirm"] = axe_violations(page)
    page.get_by_role("button", name="Import").last.click()
    expect(page.locator("#import-done")).to_be_visible()
    found["import, done"] = axe_violations(page)

    # The tenant's admin, as the tenant's staff user (signed in above).
    with tenant_context(tenants["acme"]):
        contract = Contract.objects.order_by("pk").first()
    for name, path in [
        ("tenant admin", "/admin/"),
        ("admin clients", "/admin/data_access/client/"),
        ("admin clients, searched", "/admin/data_access/client/?q=a"),
        ("admin contracts", "/admin/data_access/contract/"),
        ("admin client form", f"/admin/data_access/client/{contract.client_id}/change/"),
        ("admin contract form", f"/admin/data_access/contract/{contract.pk}/change/"),
        ("admin contract history", f"/admin/data_access/contract/{contract.pk}/history/"),
    ]:
        page.goto(tenant_url("acme", path))
        expect(page.locator("#content")).to_be_visible()
        found[name] = axe_violations(page)

    # The public admin (tenants, domains, countries), as a superuser of the public schema.
    with schema_context("public"):
        ensure_staff_user(username="root", password=ROOT_PASSWORD)
    public = new_page(viewport=VIEWPORTS[viewport], color_scheme=scheme)
    public.goto(tenant_url("public", "/admin/login/").replace("public.localhost", "localhost"))
    found["public admin login"] = axe_violations(public)
    public.get_by_label("Username").fill("root")
    public.get_by_label("Password").fill(ROOT_PASSWORD)
    public.get_by_role("button", name="Log in").click()
    expect(public.locator("#content")).to_be_visible()
    found["public admin"] = axe_violations(public)
    public.goto(
        tenant_url("public", "/admin/tenancy/tenant/").replace("public.localhost", "localhost")
    )
    expect(public.locator("#changelist")).to_be_visible()
    found["public admin tenants"] = axe_violations(public)
    assert {name: violations for name, violations in found.items() if violations} == {}
