"""PostgreSQL made unreachable for a block: the "default" alias points at a closed port."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from django.db.utils import load_backend

from tests.mysql_down import closed_port


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
