"""Helpers shared by the tests: MySQL made unreachable for a block, and a tenant's
book of random clients and contracts written through the services."""

import datetime
import random
import socket
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections
from django.db.utils import load_backend
from django_tenants.utils import tenant_context

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
