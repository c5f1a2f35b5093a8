"""Session set-up shared by tests/ and e2e/: real PostgreSQL and MySQL test databases,
the public tenant and two tenants, acme and globex, whose client ids overlap; the
audit of every statement sent to the contracts database; and, when that database
is a Spider head (`make test-sharded`), tests that commit their contracts."""

import subprocess
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.backends.signals import connection_created
from django.test import TestCase
from django.utils import translation
from django_tenants.utils import tenant_context

from data_access.boundary import breaker
from data_access.selectors import panels
from data_access.sharding.backend.base import DatabaseWrapper as SpiderHead
from data_access.sharding.statements import tenant_keyed_tables
from site_config.tenant_middleware import tenants_by_host
from tenancy.models import Tenant
from tenancy.services import ensure_public_tenant, load_countries, provision_tenant
from tests.helpers import StatementAudit
from tests.helpers.servers import free_port

TENANTS = {"acme": ("Acme Corporation", "EUR"), "globex": ("Globex Brasil", "BRL")}
STAFF_PASSWORD = "staff-password-2026"

BOTH_DATABASES = ["default", "mysql"]


def provision_test_tenants() -> None:
    ensure_public_tenant(domain="localhost")
    for schema, (name, currency) in TENANTS.items():
        provision_tenant(
            schema_name=schema,
            name=name,
            currency=currency,
            admin_username="staff",
            admin_password=STAFF_PASSWORD,
        )


# Every statement the session sends to the contracts database, on every thread's
# connection (the live server's too), goes through this audit.
statement_audit = StatementAudit()


def _audit_contracts_connection(sender, connection, **kwargs) -> None:
    if connection.alias == settings.CONTRACTS_DATABASE:
        statement_audit.install(connection)


connection_created.connect(_audit_contracts_connection)
statement_audit.install(connections[settings.CONTRACTS_DATABASE])


def pytest_terminal_summary(terminalreporter) -> None:
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(statement_audit.counts.items()))
    terminalreporter.write_line(f"statements on the contracts database: {counts}")
    for allowance, senders in sorted(statement_audit.senders.items()):
        terminalreporter.write_line(f"  {allowance}: sent from {', '.join(sorted(senders))}")
    for violation in statement_audit.violations:
        terminalreporter.write_line(f"NOT SINGLE-TENANT: {violation}", red=True)


# A Spider head refuses SAVEPOINT once a transaction has touched its tables, so a
# test cannot be one transaction that the product's nested atomic blocks roll back
# to. On a head the contracts database stays out of each test's transaction: every
# service commits for real, on one shard, as in production, and the contracts
# tables are emptied after each test instead.
ON_SPIDER_HEAD = issubclass(type(connections[settings.CONTRACTS_DATABASE]), SpiderHead)

if ON_SPIDER_HEAD:
    _test_case_databases = TestCase._databases_names.__func__

    def _databases_but_contracts(cls, include_mirrors=True) -> list[str]:
        names = _test_case_databases(cls, include_mirrors)
        return [name for name in names if name != settings.CONTRACTS_DATABASE]

    TestCase._databases_names = classmethod(_databases_but_contracts)


def _uses_contracts_database(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    databases = marker.kwargs.get("databases", ()) if marker else ()
    return databases == "__all__" or settings.CONTRACTS_DATABASE in databases


@pytest.fixture(autouse=True)
def _empty_contracts_after_each_test_on_a_spider_head(request, django_db_blocker):
    yield
    if ON_SPIDER_HEAD and _uses_contracts_database(request):
        with django_db_blocker.unblock(), connections[settings.CONTRACTS_DATABASE].cursor() as c:
            for table in sorted(tenant_keyed_tables()):
                c.execute(f"DELETE FROM `{table}`")


def pytest_sessionfinish(session) -> None:
    # A statement raised in another thread (the live server) fails the run too.
    if statement_audit.violations:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> None:
    with django_db_blocker.unblock():
        provision_test_tenants()


@pytest.fixture(autouse=True)
def _back_to_public_schema_and_english() -> Iterator[None]:
    yield
    breaker.reset()
    tenants_by_host.clear()  # tenants are re-created between transactional tests
    connection.set_schema_to_public()
    # LocaleMiddleware activates a request's language for the whole thread.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _orphan_report_refreshed_inline(request, monkeypatch) -> None:
    """A scheduled refresh of the orphan report runs in the thread that scheduled it:
    a thread of its own would open connections that cannot see the test's
    transaction. Transactional tests (the browser tests, the test of the real
    thread) keep the thread."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        monkeypatch.setattr(panels, "run_refresh", panels.inline)


@pytest.fixture
def held_refreshes(monkeypatch) -> list[Callable[[], None]]:
    """Refreshes of the orphan report, scheduled but held until the test runs them."""
    jobs: list[Callable[[], None]] = []
    monkeypatch.setattr(panels, "run_refresh", jobs.append)
    return jobs


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A private redis-server for the test, stopped after it."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def acme(db) -> Tenant:
    return Tenant.objects.get(schema_name="acme")


@pytest.fixture
def globex(db) -> Tenant:
    return Tenant.objects.get(schema_name="globex")


@pytest.fixture
def in_acme(acme: Tenant) -> Iterator[Tenant]:
    with tenant_context(acme):
        yield acme


@pytest.fixture
def provisioned_transactional_db(request) -> None:
    """Transactional tests flush public tables (tenants, domains, countries) but
    not tenant schemas: recreate the tenants and countries and empty the tenants'
    tables first."""
    request.getfixturevalue("transactional_db")
    provision_test_tenants()
    load_countries()
    for schema in TENANTS:
        with connection.cursor() as cursor:
            cursor.execute(f'TRUNCATE "{schema}"."data_access_client" RESTART IDENTITY')
