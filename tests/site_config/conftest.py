from collections.abc import Iterator

import pytest

from tests.helpers.servers import BackendCounter


@pytest.fixture
def counter() -> Iterator[BackendCounter]:
    counter = BackendCounter()
    yield counter
    counter.close()
