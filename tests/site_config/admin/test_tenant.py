"""The tenant admin: contracts through data_access.services, scoped to the tenant."""

import datetime
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES, STAFF_PASSWORD
from data_access import services
from data_access.models import Client, ClientTotals, Contract
from tests.helpers import contracts_down
from tests.oracle import rollups_from_base, stored_rollups

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

CONTRACTS = "/admin/data_access/contract/"
CLIENTS = "/admin/data_access/client/"


def admin_browser(host: str) -> HttpClient:
    browser = HttpClient(HTTP_HOST=host)
    response = browser.post("/login/", {"username": "staff", "password": STAFF_PASSWORD})
    assert response.status_code == 302
    return browser


def new_client(tenant, name: str, *amounts: str) -> tuple[Client, list[Contract]]:
    with tenant_context(tenant):
        client = Client.objects.create(
            name=name, email=f"{name.lower().replace(' ', '.')}@example.com", country="CL"
        )
        contracts = [
            services.create_contract(
                client_id=client.pk,
                title=f"{name} deal",
                amount=Decimal(amount),
                signed_on=datetime.date(2026, 2, 1),
            )
            for amount in amounts
        ]
    return client, contracts


def totals(tenant, client: Client) -> tuple[int, Decimal] | None:
    row = ClientTotals.objects.filter(tenant_id=tenant.pk, client_id=client.pk).first()
    return None if row is None else (row.active_contracts, row.active_amount)


def contract_form(client_id: int, **changes: str) -> dict[str, str]:
    return {
        "client_id": str(client_id),
        "title": "Support plan",
        "amount": "120.50",
        "signed_on": "2026-03-01",
        "is_active": "on",
        **changes,
    }


def test_another_tenants_contract_is_a_404(acme, globex):
    _, [globex_contract] = new_client(globex, "Gus", "10.00")
    browser = admin_browser("acme.localhost")
    for suffix in ("change/", "delete/", "history/"):
        assert browser.get(f"{CONTRACTS}{globex_contract.pk}/{suffix}").status_code == 404
    response = browser.post(f"{CONTRACTS}{globex_contract.pk}/change/", contract_form(1))
    assert response.status_code == 404
    assert Contract.unscoped.get(pk=globex_contract.pk).title == "Gus deal"  # untouched


def test_adding_a_contract_goes_through_the_services(acme):
    client, _ = new_client(acme, "Ana", "100.00")
    browser = admin_browser("acme.localhost")
    response = browser.post(f"{CONTRACTS}add/", contract_form(client.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    contract = Contract.unscoped.get(title="Support plan")
    assert contract.tenant_id == acme.pk and contract.client_id == client.pk
    assert totals(acme, client) == (2, Decimal("220.50"))


def test_a_contract_needs_a_client_of_this_tenant(acme, globex):
    globex_client, _ = new_client(globex, "Gus")
    with tenant_context(acme):
        assert not Client.objects.filter(pk=globex_client.pk).exists()
    response = admin_browser("acme.localhost").post(
        f"{CONTRACTS}add/", contract_form(globex_client.pk)
    )
    assert response.status_code == 200
    assert "does not exist in this tenant" in response.content.decode()
    assert not Contract.unscoped.filter(title="Support plan").exists()


def test_changing_and_deleting_a_contract_keep_the_totals(acme):
    client, [contract] = new_client(acme, "Ana", "100.00")
    other, _ = new_client(acme, "Bea")
    browser = admin_browser("acme.localhost")
    response = browser.post(
        f"{CONTRACTS}{contract.pk}/change/", contract_form(other.pk, amount="300.00")
    )
    assert response.status_code == 302
    assert totals(acme, client) == (0, Decimal("0.00"))  # a client keeps its zero row
    assert totals(acme, other) == (1, Decimal("300.00"))
    response = browser.post(f"{CONTRACTS}{contract.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Contract.unscoped.filter(pk=contract.pk).exists()
    assert totals(acme, other) == (0, Decimal("0.00"))


def test_the_contract_list_is_the_tenants_only(acme, globex):
    new_client(acme, "Ana", "100.00")
    new_client(globex, "Gus", "10.00")
    html = admin_browser("acme.localhost").get(CONTRACTS).content.decode()
    assert "Ana deal" in html and "Gus deal" not in html


def test_a_client_with_contracts_is_not_deleted(acme):
    client, _ = new_client(acme, "Ana", "100.00")
    browser = admin_browser("acme.localhost")
    response = browser.post(f"{CLIENTS}{client.pk}/delete/", {"post": "yes"}, follow=True)
    assert "cannot be deleted" in response.content.decode()
    with tenant_context(acme):
        assert Client.objects.filter(pk=client.pk).exists()


def test_a_client_without_contracts_is_deleted(acme):
    client, _ = new_client(acme, "Bea")
    response = admin_browser("acme.localhost").post(
        f"{CLIENTS}{client.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    with tenant_context(acme):
        assert not Client.objects.filter(pk=client.pk).exists()


def test_the_client_list_loads_totals_in_one_query(acme):
    for index in range(6):
        new_client(acme, f"Client {index}", *["10.00"] * index)
    browser = admin_browser("acme.localhost")
    with CaptureQueriesContext(connections["mysql"]) as mysql:
        response = browser.get(CLIENTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<td class="field-active_total">50.00 EUR</td>' in html
    assert '<td class="field-active_contracts">5</td>' in html
    assert len(mysql.captured_queries) == 1


def test_the_client_field_offers_a_searchable_lookup_popup(acme):
    new_client(acme, "Ana Lookup")
    browser = admin_browser("acme.localhost")
    form = browser.get(f"{CONTRACTS}add/").content.decode()
    assert 'id="lookup_id_client_id"' in form and f'href="{CLIENTS}?_to_field=id"' in form
    popup = browser.get(CLIENTS, {"_to_field": "id", "_popup": "1", "q": "lookup"})
    assert popup.status_code == 200
    assert "Ana Lookup" in popup.content.decode()


def test_the_client_list_still_works_when_mysql_is_down(acme):
    new_client(acme, "Ana", "100.00")
    browser = admin_browser("acme.localhost")
    with contracts_down():
        response = browser.get(CLIENTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ana" in html and "Contract data is unavailable." in html
    assert '<td class="field-active_total">—</td>' in html


def test_contract_pages_say_so_when_mysql_is_down_and_recover(acme):
    client, [contract] = new_client(acme, "Ana", "100.00")
    browser = admin_browser("acme.localhost")
    with contracts_down():
        pages = [
            browser.get(CONTRACTS),
            browser.get(f"{CONTRACTS}{contract.pk}/change/"),
            browser.get(f"{CONTRACTS}add/"),
            browser.post(f"{CONTRACTS}add/", contract_form(client.pk)),
            browser.post(f"{CONTRACTS}{contract.pk}/delete/", {"post": "yes"}),
        ]
        for response in pages:
            assert (response.status_code, response["Location"]) == (302, "/admin/")
        index = browser.get("/admin/").content.decode()
        assert "Contract data is unavailable right now." in index
    assert totals(acme, client) == (1, Decimal("100.00"))  # nothing was written or deleted
    assert browser.get(CONTRACTS).status_code == 200


def test_a_client_is_not_deleted_while_its_contracts_cannot_be_checked(acme):
    client, _ = new_client(acme, "Ana")
    browser = admin_browser("acme.localhost")
    with contracts_down():
        response = browser.post(f"{CLIENTS}{client.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == f"{CLIENTS}{client.pk}/change/"
    with tenant_context(acme):
        assert Client.objects.filter(pk=client.pk).exists()
    page = browser.get(response["Location"]).content.decode()
    assert "whether this client has contracts cannot be checked" in page


def client_form(**changes: str) -> dict[str, str]:
    return {
        "name": "Ana Lima",
        "email": "ana.lima@example.com",
        "country": "CL",
        "is_active": "on",
        "created_at_0": "2026-01-05",
        "created_at_1": "10:00:00",
        **changes,
    }


def test_client_saves_go_through_the_services_and_keep_the_rollups(acme):
    browser = admin_browser("acme.localhost")
    response = browser.post(f"{CLIENTS}add/", client_form())
    assert response.status_code == 302, response.content
    with tenant_context(acme):
        client = Client.objects.get(email="ana.lima@example.com")
    services.create_contract(
        client_id=client.pk,
        title="deal",
        amount=Decimal("40.00"),
        signed_on=datetime.date(2026, 2, 1),
        tenant=acme,
    )
    response = browser.post(f"{CLIENTS}{client.pk}/change/", client_form(country="BR"))
    assert response.status_code == 302, response.content
    assert stored_rollups(acme) == rollups_from_base(acme)
    assert stored_rollups(acme)["segment_totals"] == {("BR", True): (1, Decimal("40.00"))}
