"""Helpers shared by the tests: MySQL made unreachable for a block, a tenant's
book of random clients and contracts written through the services, and the
hosts, browsers and API callers of the two test tenants."""

import datetime
import json
import random
import socket
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.utils import load_backend
from django.http import HttpResponse
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from api.models import ApiToken
from conftest import STAFF_PASSWORD
from data_access import services
from data_access.boundary import breaker
from data_access.models import Client


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def contracts_down() -> Iterator[None]:
    """The "mysql" alias points at a closed port until the block ends.

    A fresh connection object stands in for the real one, which stays open
    inside the test's transaction and is put back afterwards.
    """
    real = connections["mysql"]
    backend = load_backend(real.settings_dict["ENGINE"])
    broken = backend.DatabaseWrapper({**real.settings_dict, "PORT": closed_port()}, "mysql")
    connections["mysql"] = broken
    try:
        yield
    finally:
        broken.close()
        connections["mysql"] = real
        breaker.reset()  # as if its window had passed: MySQL is back


def _broken_default():
    real = connections["default"]
    backend = load_backend(real.settings_dict["ENGINE"])
    return backend.DatabaseWrapper({**real.settings_dict, "PORT": closed_port()}, "default")


@contextmanager
def postgres_down() -> Iterator[None]:
    """Unreachable from the start of the next request (the tenant lookup fails).

    The real connection, open in the test's transaction, is put back afterwards."""
    real = connections["default"]
    broken = _broken_default()
    connections["default"] = broken
    try:
        yield
    finally:
        broken.close()
        connections["default"] = real


@contextmanager
def postgres_down_after_tenant_lookup() -> Iterator[None]:
    """Reachable for the request's first query (the tenant lookup), unreachable after
    it, so that the failure comes from the view."""
    real = connections["default"]
    broken = _broken_default()

    def swap_after_first_query(execute, sql, params, many, context):
        try:
            return execute(sql, params, many, context)
        finally:
            connections["default"] = broken

    try:
        with real.execute_wrapper(swap_after_first_query):
            yield
    finally:
        broken.close()
        connections["default"] = real


TODAY = datetime.date(2026, 6, 15)
ZERO = Decimal("0.00")
NAMES = ["Ana Silva", "Bruno Costa", "Carla Diaz", "Diego Silva", "Elena Novak", "Hugo Kim"]


@dataclass
class Book:
    """What one tenant holds, as written: clients and contracts."""

    tenant: object
    clients: dict[int, dict] = field(default_factory=dict)
    contracts: list[dict] = field(default_factory=list)

    def active_totals(self) -> dict[int, tuple[int, Decimal]]:
        totals: dict[int, list] = defaultdict(lambda: [0, ZERO])
        for contract in self.contracts:
            if contract["is_active"]:
                totals[contract["client_id"]][0] += 1
                totals[contract["client_id"]][1] += contract["amount"]
        return {client_id: (n, amount) for client_id, (n, amount) in totals.items()}


def make_book(tenant, *, seed: int, clients: int, contracts: int) -> Book:
    """Random but reproducible clients and contracts, written through the services."""
    rng = random.Random(seed)
    book = Book(tenant=tenant)
    with tenant_context(tenant):
        for number in range(clients):
            client = Client.objects.create(
                name=f"{rng.choice(NAMES)} {number}",
                email=f"c{seed}-{number}@example.com",
                country=rng.choice(["CL", "CL", "BR", "ES", "PT"]),
                is_active=rng.random() > 0.25,
            )
            book.clients[client.pk] = {
                "name": client.name,
                "email": client.email,
                "country": client.country,
                "is_active": client.is_active,
            }
        # Some clients get no contracts at all.
        with_contracts = [i for i in book.clients if rng.random() > 0.2]
        for number in range(contracts):
            contract = {
                "client_id": rng.choice(with_contracts),
                "amount": Decimal(rng.randrange(1, 500_000)) / 100,
                # Mostly inside the last 12 months, some older, a few this month.
                "signed_on": TODAY - datetime.timedelta(days=rng.randrange(0, 500)),
                "is_active": rng.random() > 0.3,
            }
            services.create_contract(title=f"Deal {number}", tenant=tenant, **contract)
            book.contracts.append(contract)
    return book


# --- Hosts, browsers and API callers ------------------------------------------------

ACME = "acme.localhost"
GLOBEX = "globex.localhost"
BASE_TIME = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC)

# acme's clients in the API tests: name, country, active, minutes after BASE_TIME,
# contracts as (amount, active). Duplicate names, equal totals and equal counts
# make the id tie-break matter.
ACME_CLIENTS = [
    ("Ana Lima", "CL", True, 5, [("100.00", True), ("250.50", True)]),
    ("Bruno", "BR", True, 1, [("350.50", True)]),
    ("ana lópez", "ES", False, 9, [("999.99", True), ("10.00", False)]),
    ("Carla", "CL", True, 3, []),
    ("Ana Lima", "CL", True, 5, [("350.50", True)]),
    ("Zoë", "AR", False, 7, []),
    ("Diego", "MX", True, 2, [("0.01", True), ("5.00", False)]),
    ("Émile", "FR", True, 8, [("1234.50", True), ("1.00", True), ("2.00", True)]),
    ("<script>alert(1)</script>", "CL", True, 4, [("42.00", True)]),
    ("bob", "US", True, 6, [("10.00", False)]),
    ("Fern", "CL", True, 10, [("2000.00", True)]),
    ("Gus", "BR", False, 11, [("75.25", True)]),
]


def logged_in(host: str, username: str = "staff") -> HttpClient:
    """A browser signed in on `host` (the provisioned staff user by default)."""
    browser = HttpClient(HTTP_HOST=host)
    response = browser.post("/login/", {"username": username, "password": STAFF_PASSWORD})
    assert response.status_code == 302
    return browser


def token_client(tenant, host: str) -> HttpClient:
    """A test client sending a fresh API token of `tenant` to `host`."""
    with tenant_context(tenant):
        raw = ApiToken.issue(name="tests")[1]
    return HttpClient(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {raw}")


def body(response: HttpResponse) -> Any:
    """The JSON of an API response, which must say it is JSON."""
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def make_clients(tenant, rows, *, email_domain: str = "example.com") -> list[Client]:
    """Clients from (name, country, active, minutes after BASE_TIME, contracts as
    (amount, active)) rows, their contracts written through the services."""
    created = []
    with tenant_context(tenant):
        for index, (name, country, active, minutes, contracts) in enumerate(rows):
            client = Client.objects.create(
                name=name,
                email=f"client{index}@{email_domain}",
                country=country,
                is_active=active,
                created_at=BASE_TIME + datetime.timedelta(minutes=minutes),
            )
            for number, (amount, is_active) in enumerate(contracts):
                services.create_contract(
                    client_id=client.pk, title=f"{name} #{number}", amount=Decimal(amount),
                    signed_on=datetime.date(2026, 1, 5), is_active=is_active,
                )  # fmt: skip
            created.append(client)
    return created
