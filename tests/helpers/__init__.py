"""Helpers shared by the tests: MySQL made unreachable for a block, a tenant's
book of random clients and contracts written through the services, and the
hosts, browsers and API callers of the two test tenants, and the audit of every
statement sent to the contracts database."""

import datetime
import json
import random
import socket
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connections
from django.db.utils import load_backend
from django.http import HttpResponse
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from api.models import ApiToken
from data_access import services
from data_access.boundary import breaker
from data_access.models import Client
from data_access.sharding.statements import Kind, Verdict, classify, tenant_keyed_tables


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
    # Here, not at the top: conftest.py imports this module for its statement audit.
    from conftest import STAFF_PASSWORD

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


# --- Every statement on the contracts database is single-tenant ------------------------

ROOT = Path(__file__).resolve().parents[2]
TEST_CODE = ("tests/", "e2e/", "conftest.py")


@dataclass(frozen=True, slots=True)
class Allowance:
    """Statements that may span tenants on purpose: who sends them, and why."""

    name: str
    reason: str
    applies: Callable[[Verdict, str, list[str]], bool]  # (verdict, sender, stack files)


def _on_stack(stack: list[str], *parts: str) -> bool:
    return any(part in path for path in stack for part in parts)


# Listed in the README ("Single-tenant statements"); everything else the suite
# sends to the contracts database must name one tenant.
CROSS_TENANT_ALLOWANCES = [
    Allowance(
        "migrations",
        "a schema change applies to every tenant's rows; on a sharded topology it runs "
        "on each shard",
        lambda verdict, sender, stack: (
            verdict.kind is Kind.SCHEMA and _on_stack(stack, "django/db/migrations/")
        ),
    ),
    Allowance(
        "Spider tables",
        "building the shards' tables and the head's Spider tables from the migrated "
        "schema, once the migrations have made them (empty)",
        lambda verdict, sender, stack: _on_stack(stack, "data_access/sharding/spider.py"),
    ),
    Allowance(
        "flush between transactional tests",
        "Django empties every table after a test that commits (TransactionTestCase)",
        lambda verdict, sender, stack: _on_stack(stack, "django/core/management/commands/flush.py"),
    ),
    Allowance(
        "the tests' own statements",
        "the oracle and the assertions read across tenants on purpose, to prove isolation "
        "(for example, that no contract of another tenant exists), and on a Spider head "
        "the contracts tables are emptied after each test; the product never sends these",
        lambda verdict, sender, stack: sender.startswith(TEST_CODE),
    ),
]


class CrossTenantStatement(AssertionError):
    pass


@dataclass
class StatementAudit:
    """An execute wrapper for the contracts database: classifies every statement
    and raises CrossTenantStatement on one that spans tenants without an allowance."""

    tables: frozenset[str] = field(default_factory=tenant_keyed_tables)
    # Who sent a statement, from the stack's file names (a test may pin it).
    sender_of: Callable[[list[str]], str] = field(default=lambda stack: _sender(stack))
    counts: Counter = field(default_factory=Counter)
    # Allowance name -> the files that sent statements under it.
    senders: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    violations: list[str] = field(default_factory=list)

    def __call__(self, execute, sql, params, many, context):
        verdict = classify(sql, params, tables=self.tables, many=many)
        if verdict.kind in (Kind.SINGLE_TENANT, Kind.UNTENANTED):
            self.counts[verdict.kind.value] += 1
        else:
            stack = _stack_files()
            sender = self.sender_of(stack)
            allowance = next(
                (a for a in CROSS_TENANT_ALLOWANCES if a.applies(verdict, sender, stack)), None
            )
            if allowance is None:
                message = f"{verdict.kind} statement from {sender} ({verdict.reason}): {sql}"
                self.violations.append(message)
                raise CrossTenantStatement(message)
            self.counts[f"allowed: {allowance.name}"] += 1
            self.senders[allowance.name].add(sender)
        return execute(sql, params, many, context)

    def install(self, connection) -> None:
        if self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)


def _stack_files() -> list[str]:
    files = []
    frame = sys._getframe(2)
    while frame is not None:
        files.append(frame.f_code.co_filename)
        frame = frame.f_back
    return files


def _sender(stack: list[str]) -> str:
    """The nearest file of this repository on the stack, or "framework" (Django,
    pytest-django) when none is: the test database set-up, for instance."""
    root = f"{ROOT}/"
    for path in stack:
        if path.startswith(root) and "/site-packages/" not in path:
            return path.removeprefix(root)
    return "framework"
