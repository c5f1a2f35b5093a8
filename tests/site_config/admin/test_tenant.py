"""The tenant admin: contracts through data_access.services, scoped to the tenant."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES, STAFF_PASSWORD
from dashboard.formats import format_datetime
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


def test_the_delete_confirmation_says_the_client_has_contracts(acme):
    client, _ = new_client(acme, "Ana", "100.00", "5.00")
    browser = admin_browser("acme.localhost")
    html = browser.get(f"{CLIENTS}{client.pk}/delete/").content.decode()
    assert "This client has 2 contracts, so it cannot be deleted." in html
    empty, _ = new_client(acme, "Bea")
    html = browser.get(f"{CLIENTS}{empty.pk}/delete/").content.decode()
    assert "cannot be deleted" not in html


def test_searching_contracts_by_client_id_reads_that_clients_rows(acme):
    ana, _ = new_client(acme, "Ana", "1.00")
    bea, _ = new_client(acme, "Bea", "2.00")
    with tenant_context(acme):
        services.create_contract(
            client_id=bea.pk, title=f"Order {ana.pk}", amount=Decimal("3.00"),
            signed_on=datetime.date(2026, 2, 1),
        )  # fmt: skip
    browser = admin_browser("acme.localhost")
    with CaptureQueriesContext(connections["mysql"]) as mysql:
        html = browser.get(CONTRACTS, {"q": str(ana.pk)}).content.decode()
    assert "Ana deal" in html and "Bea deal" not in html and f"Order {ana.pk}" not in html
    # One equality on the client id, no LIKE over every title.
    listing = [q["sql"] for q in mysql.captured_queries if "ORDER BY" in q["sql"]]
    assert listing and all("LIKE" not in sql and "`client_id` = " in sql for sql in listing)
    assert "Bea deal" in browser.get(CONTRACTS, {"q": "bea"}).content.decode()


def test_the_contract_list_names_each_column_once_and_shows_money(acme):
    new_client(acme, "Ana", "1234.50")
    html = admin_browser("acme.localhost").get(CONTRACTS).content.decode()
    headers = re.findall(r'<th scope="col"[^>]*>.*?<a [^>]*>([^<]*)</a>', html, re.S)
    assert len(headers) == len(set(headers)) and "Client id" in headers
    assert '<td class="field-amount_money">€1,234.50</td>' in html


def test_the_client_list_names_countries_in_the_users_language(acme):
    new_client(acme, "Ana", "1.00")
    browser = admin_browser("acme.localhost")
    html = browser.get(CLIENTS, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<td class="field-country_label">Chile</td>' in html
    # The filter offers the clients' countries, by name.
    assert re.search(r'<a href="\?country=CL"[^>]*>Chile</a>', html)
    assert "Suecia" not in html
    chile = browser.get(CLIENTS, {"country": "CL"}).content.decode()
    assert "Ana" in chile and "0 results" not in chile


def test_the_contract_form_names_the_currency(acme):
    form = admin_browser("acme.localhost").get(f"{CONTRACTS}add/").content.decode()
    assert "Amount (EUR)" in form


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
    assert '<td class="field-active_total">€50.00</td>' in html
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


# --- The audit trail ---------------------------------------------------------------


def test_admin_edits_are_audited_with_the_user_and_shown_in_the_history(acme, globex):
    client, [contract] = new_client(acme, "Ana", "100.00")
    browser = admin_browser("acme.localhost")
    browser.post(f"{CONTRACTS}{contract.pk}/change/", contract_form(client.pk, amount="300.00"))
    browser.post(
        f"{CLIENTS}{client.pk}/change/",
        {"name": "Ana Lima", "email": client.email, "country": "CL", "is_active": "on",
         "created_at_0": "2026-01-01", "created_at_1": "10:00:00"},
    )  # fmt: skip
    with tenant_context(acme):
        staff_id = User.objects.get(username="staff").pk
        kept = [
            (row.history_type, row.amount, row.history_user_id)
            for row in Contract.history.filter(tenant_id=acme.pk, id=contract.pk).order_by(
                "history_date"
            )
        ]
        client_rows = list(
            Client.history.filter(id=client.pk)
            .order_by("history_date")
            .values_list("history_type", "name", "history_user_id")
        )
    assert kept == [("+", Decimal("100.00"), None), ("~", Decimal("300.00"), staff_id)]
    assert client_rows == [("+", "Ana", None), ("~", "Ana Lima", staff_id)]

    page = browser.get(f"{CONTRACTS}{contract.pk}/history/").content.decode()
    assert "100.00</del> → <ins>300.00" in page and "staff" in page
    with tenant_context(acme):
        changed = Contract.history.filter(tenant_id=acme.pk, id=contract.pk).latest("history_date")
    with translation.override("en"):  # the moment as dashboard.formats writes it
        assert f">{format_datetime(changed.history_date)}</time>" in page
    page = browser.get(f"{CLIENTS}{client.pk}/history/").content.decode()
    assert "Ana</del> → <ins>Ana Lima" in page
    # Another tenant's admin: the contract is a 404, its history too.
    assert (
        admin_browser("globex.localhost").get(f"{CONTRACTS}{contract.pk}/history/").status_code
        == 404
    )


def test_an_admin_delete_is_audited(acme):
    _, [contract] = new_client(acme, "Ana", "100.00")
    admin_browser("acme.localhost").post(f"{CONTRACTS}{contract.pk}/delete/", {"post": "yes"})
    with tenant_context(acme):
        assert list(
            Contract.history.filter(tenant_id=acme.pk, id=contract.pk)
            .order_by("history_date")
            .values_list("history_type", flat=True)
        ) == ["+", "-"]
