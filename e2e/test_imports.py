"""End to end: a CSV import checked (dry run) with its errors, then fixed and confirmed."""

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import Page, expect

from data_access.models import Client, ClientTotals

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "mysql"])


def test_import_dry_run_lists_errors_then_confirm_writes_and_audits(
    acme_page: Page, tenant_url, tenants
):
    acme = tenants["acme"]
    with tenant_context(acme):
        zed = Client.objects.get(name="Zed Zebra")
        before = ClientTotals.objects.get(tenant_id=acme.pk, client_id=zed.pk).active_amount
    acme_page.get_by_role("link", name="Import").click()
    acme_page.get_by_label("Import").select_option("contracts")
    header = "client_id,title,amount,signed_on,is_active\n"
    bad = (
        header
        + f"{zed.pk},Zebra upgrade,100.00,2026-04-01,yes\n{zed.pk},Broken,-5,2026-13-01,yes\n"
    )
    acme_page.get_by_label("CSV file (UTF-8)").set_input_files(
        files=[{"name": "contracts.csv", "mimeType": "text/csv", "buffer": bad.encode()}]
    )
    acme_page.get_by_role("button", name="Check the file").click()
    errors = acme_page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("3")
    expect(errors.nth(0)).to_contain_text("amount")
    expect(errors.nth(1)).to_contain_text("signed_on")
    with tenant_context(acme):
        assert ClientTotals.objects.get(tenant_id=acme.pk, client_id=zed.pk).active_amount == before

    good = (
        header
        + f"{zed.pk},Zebra upgrade,100.00,2026-04-01,yes\n{zed.pk},Zebra extra,5,2026-04-02,yes\n"
    )
    acme_page.get_by_label("Import").select_option("contracts")
    acme_page.get_by_label("CSV file (UTF-8)").set_input_files(
        files=[{"name": "contracts.csv", "mimeType": "text/csv", "buffer": good.encode()}]
    )
    acme_page.get_by_role("button", name="Check the file").click()
    expect(acme_page.get_by_text("2 rows are ready to import")).to_be_visible()
    with tenant_context(acme):
        assert ClientTotals.objects.get(tenant_id=acme.pk, client_id=zed.pk).active_amount == before
    acme_page.get_by_role("button", name="Confirm the import").click()
    expect(acme_page.locator("#import-done")).to_have_text("2 rows imported.")
    with tenant_context(acme):
        after = ClientTotals.objects.get(tenant_id=acme.pk, client_id=zed.pk).active_amount
    assert after == before + 105

    acme_page.goto(tenant_url("acme", f"/clients/{zed.pk}/"))
    trail = acme_page.locator("#audit-trail")
    expect(trail.locator("tr[data-kind='+'][data-model='contract']").first).to_contain_text("staff")
    expect(trail).to_contain_text("Zebra extra")
