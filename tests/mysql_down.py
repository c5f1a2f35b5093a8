"""MySQL made unreachable for a block, for tests of pages and API while it is down."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from django.db.utils import load_backend


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
