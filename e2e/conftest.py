"""Playwright against pytest-django's live server, with Debian's Chromium.

The live server listens on localhost:PORT; Chromium resolves every
*.localhost name to the loopback address, so http://acme.localhost:PORT/
reaches it and django-tenants picks the tenant from the host.
"""

import datetime
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import Browser, Page, expect

from conftest import STAFF_PASSWORD
from data_access import services
from data_access.models import Client
from tenancy.models import Tenant

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# calls from that thread are still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
e2e_mark = pytest.mark.django_db(transaction=True, databases=["default", "mysql"])


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def _expect_timeout() -> None:
    expect.set_options(timeout=10_000)


@pytest.fixture
def tenants(provisioned_transactional_db, live_server) -> dict[str, Tenant]:
    return {tenant.schema_name: tenant for tenant in Tenant.objects.exclude(schema_name="public")}


@pytest.fixture
def tenant_url(live_server) -> Callable[[str, str], str]:
    port = urlsplit(live_server.url).port

    def url(schema: str, path: str = "/") -> str:
        return f"http://{schema}.localhost:{port}{path}"

    return url


# 30 acme clients over a few countries, each with 0..3 contracts of distinct amounts.
ACME_COUNTRIES = ["CL", "BR", "ES", "MX", "CL", "AR"]


def seed_acme(tenant: Tenant) -> list[Client]:
    clients = []
    with tenant_context(tenant):
        for index in range(30):
            client = Client.objects.create(
                name=f"Acme client {index:02d}",
                email=f"client{index:02d}@acme.example",
                country=ACME_COUNTRIES[index % len(ACME_COUNTRIES)],
            )
            for number in range(index % 4):
                services.create_contract(
                    client_id=client.pk,
                    title=f"Deal {index:02d}-{number}",
                    amount=Decimal(100 * index + 7 * number + 1),
                    signed_on=datetime.date(2026, 1 + (index + number) % 10, 10),
                )
            clients.append(client)
        zed = Client.objects.create(name="Zed Zebra", email="zed@acme.example", country="ES")
        services.create_contract(
            client_id=zed.pk, title="Zebra deal", amount=Decimal("55.00"),
            signed_on=datetime.date(2026, 3, 3),
        )  # fmt: skip
        clients.append(zed)
    return clients


def seed_globex(tenant: Tenant) -> list[Client]:
    with tenant_context(tenant):
        client = Client.objects.create(
            name="Globex Gustavo", email="g@globex.example", country="BR"
        )
        services.create_contract(
            client_id=client.pk, title="Globex deal", amount=Decimal("999.00"),
            signed_on=datetime.date(2026, 2, 2),
        )  # fmt: skip
    return [client]


@pytest.fixture
def acme_clients(tenants) -> list[Client]:
    return seed_acme(tenants["acme"])


@pytest.fixture
def globex_clients(tenants) -> list[Client]:
    return seed_globex(tenants["globex"])


def log_in(page: Page, url: Callable[[str, str], str], schema: str) -> None:
    page.goto(url(schema, "/login/"))
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.locator("form.login button[type=submit]").click()
    expect(page.get_by_role("heading", name="Clients", exact=True)).to_be_visible()


@pytest.fixture
def acme_page(page: Page, tenant_url, acme_clients) -> Iterator[Page]:
    log_in(page, tenant_url, "acme")
    yield page


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Pages in their own browser contexts (their own cookie jars)."""
    contexts = []

    def make(**options) -> Page:
        context = browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
