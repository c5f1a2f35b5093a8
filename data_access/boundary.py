"""The one error boundary of the contracts database (MySQL).

Every read or write of contracts runs inside `contracts_database()`. A database
error there closes the broken connection and becomes ContractsUnavailable, which
callers turn into a degraded page, a form message or a 503.

A failure to reach MySQL also opens a circuit breaker: for the next
CONTRACTS_BREAKER_SECONDS this process does not try MySQL at all, so a page that
would read it five times waits for one timeout, not five. Then it tries again.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections


class ContractsUnavailable(RuntimeError):
    """The contracts database could not be reached; contract data is unavailable for now."""


class CircuitBreaker:
    """Open for `seconds` after a failure; closed again once they have passed."""

    def __init__(self, *, seconds: Callable[[], float], clock: Callable[[], float]) -> None:
        self._seconds = seconds
        self._clock = clock
        self._open_until = 0.0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self._clock() < self._open_until

    def trip(self) -> None:
        with self._lock:
            self._open_until = self._clock() + self._seconds()

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


breaker = CircuitBreaker(seconds=lambda: settings.CONTRACTS_BREAKER_SECONDS, clock=time.monotonic)


# "Server has gone away" and "Lost connection" at once, with no wait: MySQL
# closed a connection this process kept (a restart, wait_timeout). The next
# connection will work, so this is no reason to stop trying. The same errors
# after a wait are a hung server.
LOST_CONNECTION = frozenset({2006, 2013})
INSTANT = 0.5  # seconds


def _stale_connection(error: DatabaseError, *, seconds: float) -> bool:
    return bool(error.args) and error.args[0] in LOST_CONNECTION and seconds < INSTANT


@contextmanager
def contracts_database() -> Iterator[None]:
    """Run a block (or, as a decorator, a function) against the contracts database."""
    if breaker.is_open:
        raise ContractsUnavailable("the contracts database failed moments ago; not retried yet")
    started = time.monotonic()
    try:
        yield
    except DatabaseError as error:
        seconds = time.monotonic() - started
        if isinstance(error, OperationalError | InterfaceError) and not _stale_connection(
            error, seconds=seconds
        ):
            breaker.trip()
        # The next use reconnects rather than reuse a connection in an unknown state.
        connections[settings.CONTRACTS_DATABASE].close()
        raise ContractsUnavailable(str(error)) from error
