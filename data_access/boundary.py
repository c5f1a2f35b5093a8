"""The one error boundary of the contracts database (MySQL).

Every read or write of contracts runs inside `contracts_database()`. A database
error there closes the broken connection and becomes ContractsUnavailable, which
callers turn into a degraded page, a form message or a 503.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections


class ContractsUnavailable(RuntimeError):
    """The contracts database could not be reached; contract data is unavailable for now."""


@contextmanager
def contracts_database() -> Iterator[None]:
    """Run a block (or, as a decorator, a function) against the contracts database."""
    try:
        yield
    except DatabaseError as error:
        # The next use reconnects rather than reuse a connection in an unknown state.
        connections[settings.CONTRACTS_DATABASE].close()
        raise ContractsUnavailable(str(error)) from error
