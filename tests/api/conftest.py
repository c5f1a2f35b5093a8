"""Fixtures of the API tests: acme's clients and an API caller of acme."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient

from data_access.models import Client
from tests.helpers import ACME, ACME_CLIENTS, make_clients, token_client


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    """Request counts live in the cache, which outlives a test's transaction."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def acme_clients(acme) -> list[Client]:
    return make_clients(acme, ACME_CLIENTS)


@pytest.fixture
def acme_api(acme) -> HttpClient:
    return token_client(acme, ACME)
