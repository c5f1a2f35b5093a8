import io

import pytest
from django.core.management import CommandError, call_command

from conftest import BOTH_DATABASES
from data_access.management.commands import compare_queries
from data_access.raw_sql import QUERY_PAIRS, QueryPair

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)


def test_compare_queries_reports_each_pair(books):
    out = io.StringIO()
    call_command("compare_queries", "--tenant=acme", "--repeat=2", stdout=out)
    text = out.getvalue()
    for pair in QUERY_PAIRS:
        assert f"== {pair.name}" in text
    assert "MISMATCH" not in text and f"all {len(QUERY_PAIRS)} pairs match" in text
    assert "ORM [mysql]: SELECT" in text and "raw [default]: SELECT COUNT(*)" in text
    assert "median ms: orm" in text


def test_compare_queries_fails_on_a_mismatch(books, monkeypatch):
    pairs = list(QUERY_PAIRS)
    broken = pairs[2]
    pairs[2] = QueryPair(
        broken.name,
        broken.orm,
        lambda **kwargs: dict(list(broken.raw(**kwargs).items())[1:]),
        broken.databases,
    )
    monkeypatch.setattr(compare_queries, "QUERY_PAIRS", tuple(pairs))
    out = io.StringIO()
    with pytest.raises(CommandError, match=f"disagree: {broken.name}"):
        call_command("compare_queries", "--tenant=acme", "--repeat=1", stdout=out)
    assert "MISMATCH" in out.getvalue()


def test_unknown_tenant_and_bad_repeat_are_refused():
    with pytest.raises(CommandError, match="no tenant"):
        call_command("compare_queries", "--tenant=nobody")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("compare_queries", "--tenant=acme", "--repeat=0")
