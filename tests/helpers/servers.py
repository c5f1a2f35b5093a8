"""Real servers in subprocesses (gunicorn, runserver) against the test databases."""

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import MySQLdb
import psycopg
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "k3J9-vQ2x_7LmN0pR5sT8uW1yZ4aC6eG9iK2mO5qS8uX1zB4dF7hJ0lN3pQ6rT9v"
# libpq names the servers' PostgreSQL connections, so they can be counted.
APPLICATION_NAME = "contrata-server-under-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(alias: str) -> str:
    """The URL of the test database behind `alias` (test_contrata, not contrata)."""
    s = connections[alias].settings_dict
    scheme = "mysql" if s["ENGINE"].endswith("mysql") else "postgres"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"{scheme}://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return env | {
        "DATABASE_URL": database_url("default"),
        "CONTRACTS_DATABASE_URL": database_url("mysql"),
        "PGAPPNAME": APPLICATION_NAME,
        **extra,
    }


def production_env(static_root: Path, **extra: str) -> dict[str, str]:
    """What `make run` sets: production settings over plain http on localhost."""
    return server_env(
        DJANGO_SETTINGS_MODULE="site_config.settings_production",
        SECRET_KEY=GOOD_SECRET,
        HTTPS="false",
        STATIC_ROOT=str(static_root),
        **extra,
    )


def collectstatic(static_root: Path) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env=production_env(static_root), check=True,
    )  # fmt: skip


@contextmanager
def running(command: list[str], env: dict[str, str], port: int) -> Iterator[int]:
    """Start `command`, wait until it accepts connections on `port`, stop it after."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def gunicorn(env: dict[str, str], port: int, *, workers: int, threads: int):
    env = env | {
        "CONTRATA_ADDR": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "site_config/gunicorn.conf.py"]
    return running(command, env, port)


def runserver(env: dict[str, str], port: int):
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    return running(command, env, port)


def get(
    port: int, path: str, *, host: str = "acme.localhost", headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One GET on a fresh TCP connection, closed after the response."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": host, "Connection": "close", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


class BackendCounter:
    """Counts the servers' connections to the test databases, now and at their peak.

    PostgreSQL: by application name. MySQL: every connection to the test database
    but this counter's and the test's own (Django's "mysql" connection)."""

    def __init__(self) -> None:
        pg = connections["default"].settings_dict
        self._pg = psycopg.connect(
            host=pg["HOST"], port=int(pg["PORT"]), user=pg["USER"],
            password=pg["PASSWORD"] or None, dbname=pg["NAME"], autocommit=True,
        )  # fmt: skip
        my = connections["mysql"].settings_dict
        self._my = MySQLdb.connect(
            host=my["HOST"], port=int(my["PORT"]), user=my["USER"],
            password=my["PASSWORD"], database=my["NAME"], autocommit=True,
        )  # fmt: skip
        self._mysql_db = my["NAME"]
        with connections["mysql"].cursor() as cursor:
            cursor.execute("SELECT CONNECTION_ID()")
            self._test_mysql_id = cursor.fetchone()[0]
        self.peak = {"postgresql": 0, "mysql": 0}
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def now(self) -> dict[str, int]:
        with self._lock:
            pg = self._pg.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                [APPLICATION_NAME],
            ).fetchone()[0]
            cursor = self._my.cursor()
            cursor.execute(
                "SELECT count(*) FROM information_schema.PROCESSLIST"
                " WHERE DB = %s AND ID NOT IN (CONNECTION_ID(), %s)",
                [self._mysql_db, self._test_mysql_id],
            )
            mysql = cursor.fetchone()[0]
        counts = {"postgresql": pg, "mysql": mysql}
        self.peak = {name: max(self.peak[name], counts[name]) for name in counts}
        return counts

    def settle(self, at_most: int) -> dict[str, int]:
        """The counts once they are at most `at_most` (connections close just after
        their response is sent), or as they are after 20 s."""
        deadline = time.monotonic() + 20
        while max((counts := self.now()).values()) > at_most and time.monotonic() < deadline:
            time.sleep(0.1)
        return counts

    @contextmanager
    def watching(self) -> Iterator["BackendCounter"]:
        """Samples the counts in the background, for the peak, during the block."""

        def sample() -> None:
            while not self._stop.wait(0.02):
                self.now()

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            yield self
        finally:
            self._stop.set()
            sampler.join()
            self.now()

    def close(self) -> None:
        self._pg.close()
        self._my.close()


# Each request on a fresh TCP connection: the tenant lookup (PostgreSQL) for all,
# both databases and the cache for /readyz.
MIXED_PATHS = ["/readyz", "/login/", "/api/countries/", "/readyz/"]


def hammer(port: int, paths: list[str], *, requests: int, concurrency: int) -> list[int]:
    """`requests` GETs spread over `paths`, each on its own TCP connection,
    `concurrency` at a time; their statuses."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(lambda i: get(port, paths[i % len(paths)])[0], range(requests)))
