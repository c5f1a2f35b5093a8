"""Each hand-written twin answers exactly what the product's ORM aggregate answers."""

from collections import Counter

import pytest

from conftest import BOTH_DATABASES
from data_access.raw_sql import QUERY_PAIRS
from data_access.selectors import aggregates
from tests.helpers import TODAY, Book

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

PAIRS = {pair.name: pair for pair in QUERY_PAIRS}


def _both(name: str, book: Book, ids: list[int] | None) -> tuple[object, object]:
    pair = PAIRS[name]
    kwargs: dict = {"tenant": book.tenant}
    if name != "orphan_contracts_by_client":
        kwargs["client_ids"] = ids
    if name == "signed_per_month":
        kwargs["today"] = TODAY
    return pair.orm(**kwargs), pair.raw(**kwargs)


@pytest.mark.parametrize("name", PAIRS)
def test_raw_twin_agrees_with_the_orm(books, name):
    for book in books:
        orm, raw = _both(name, book, None)
        assert orm == raw
    if name != "orphan_contracts_by_client":
        ids = [*sorted(books[0].clients)[::3], 999_999]
        assert _both(name, books[0], ids)[0] == _both(name, books[0], ids)[1]
        assert _both(name, books[0], [])[0] == _both(name, books[0], [])[1]
        # Past a page of ids the ORM writes them into the SQL (data_access.lookups).
        many = [*sorted(books[0].clients)[::2], *range(900_000, 900_000 + aggregates.PAGE_OF_IDS)]
        assert _both(name, books[0], many)[0] == _both(name, books[0], many)[1]


def test_every_pair_runs_a_product_aggregate_once():
    names = Counter(pair.name for pair in QUERY_PAIRS)
    assert all(n == 1 for n in names.values())
    assert all(pair.orm is getattr(aggregates, pair.name) for pair in QUERY_PAIRS)
