import pytest

from tests.helpers import Book, make_book


@pytest.fixture
def books(acme, globex) -> tuple[Book, Book]:
    # Same client ids in both schemas: the tenant_id filter is all that separates them.
    return (
        make_book(acme, seed=1, clients=30, contracts=120),
        make_book(globex, seed=2, clients=25, contracts=90),
    )
