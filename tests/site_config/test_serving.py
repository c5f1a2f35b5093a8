"""The production server as `make run` starts it: gunicorn, production settings,
static files from WhiteNoise, against the test databases."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.servers import (
    MIXED_PATHS,
    collectstatic,
    free_port,
    get,
    gunicorn,
    hammer,
    production_env,
)

pytestmark = pytest.mark.usefixtures("provisioned_transactional_db")
WORKERS, THREADS = 2, 2


@pytest.fixture(scope="module")
def static_root(tmp_path_factory, django_db_setup) -> Path:
    root = tmp_path_factory.mktemp("static")
    collectstatic(root)
    return root


@pytest.fixture(scope="module")
def production_server(static_root, django_db_blocker) -> Iterator[int]:
    with (
        django_db_blocker.unblock(),
        gunicorn(
            production_env(static_root), free_port(), workers=WORKERS, threads=THREADS
        ) as port,
    ):
        yield port


@pytest.mark.django_db(transaction=True, databases=["default", "mysql"])
def test_static_files_are_hashed_compressed_and_cached_for_a_year(production_server):
    status, headers, body = get(production_server, "/login/")
    assert status == 200
    assert headers["Server"].startswith("gunicorn")
    stylesheet = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', body)
    assert stylesheet, body[:500]

    status, headers, _ = get(
        production_server, stylesheet[1].decode(), headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in headers["Cache-Control"]
    assert "immutable" in headers["Cache-Control"]
    # Static files answer on any allowed host, without a tenant lookup.
    assert get(production_server, stylesheet[1].decode(), host="nobody.localhost")[0] == 200


@pytest.mark.django_db(transaction=True, databases=["default", "mysql"])
def test_debug_is_off_under_the_production_server(production_server):
    status, _, body = get(production_server, "/no-such-page/")
    assert status == 404
    assert b"URLconf" not in body and b"Traceback" not in body


@pytest.mark.django_db(transaction=True, databases=["default", "mysql"])
def test_gunicorn_holds_at_most_workers_times_threads_connections(production_server, counter):
    bound = WORKERS * THREADS
    with counter.watching():
        statuses = hammer(production_server, MIXED_PATHS, requests=200, concurrency=8)
    assert set(statuses) <= {200, 401}, statuses
    assert statuses.count(200) >= 150
    assert 1 <= counter.peak["postgresql"] <= bound
    assert 1 <= counter.peak["mysql"] <= bound
    # Persistent: the connections stay for the next requests, still within the bound.
    assert max(counter.now().values()) <= bound
    # And a second wave reuses them instead of opening more.
    with counter.watching():
        hammer(production_server, MIXED_PATHS, requests=100, concurrency=8)
    assert max(counter.peak.values()) <= bound
