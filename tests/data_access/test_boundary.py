"""The contracts error boundary, and what the selectors make of it: client-column
pages render without totals, contract questions are answered without their
contract terms, and everything recovers once MySQL is back."""

import datetime
import time
from decimal import Decimal

import MySQLdb
import pytest
from django.db import IntegrityError, OperationalError, connections
from django_tenants.utils import tenant_context

from data_access import boundary, services
from data_access.boundary import ContractsUnavailable, contracts_database
from data_access.models import Client, Contract
from data_access.querying import ClientQuery
from data_access.selectors.clients import client_page, client_rows
from tenancy.models import Tenant
from tests.helpers import contracts_down


@pytest.mark.django_db(databases=["default", "mysql"])
def test_a_database_error_becomes_contracts_unavailable():
    with contracts_down(), pytest.raises(ContractsUnavailable), contracts_database():
        Contract.unscoped.using("mysql").count()
    # Used as a decorator, the same.
    failing = contracts_database()(lambda: Contract.unscoped.using("mysql").count())
    with contracts_down(), pytest.raises(ContractsUnavailable):
        failing()
    assert connections["mysql"].connection is None or connections["mysql"].is_usable()


def test_other_errors_pass_through():
    with pytest.raises(KeyError), contracts_database():
        raise KeyError("not a database error")


@pytest.mark.django_db(transaction=True, databases=["default", "mysql"])
@pytest.mark.usefixtures("provisioned_transactional_db")
def test_pages_degrade_while_mysql_is_down_and_recover_after():
    acme = Tenant.objects.get(schema_name="acme")
    with tenant_context(acme):
        client = Client.objects.create(name="Ana", email="ana@example.com", country="CL")
        services.create_contract(
            client_id=client.pk, title="x", amount=Decimal("12.50"),
            signed_on=datetime.date(2026, 1, 1),
        )  # fmt: skip

    with contracts_down():
        page = client_page(ClientQuery(), tenant=acme)
        assert [(r.name, r.contract_count, r.total_amount) for r in page.rows] == [
            ("Ana", None, None)
        ]
        assert page.contracts_available is False and not page.contract_terms_dropped
        assert [r.total_amount for r in client_rows(ClientQuery(), tenant=acme)] == [None]
        for query in (ClientQuery(sort="-total"), ClientQuery(min_total=1)):
            page = client_page(query, tenant=acme)
            assert page.contract_terms_dropped and page.asked == query
            assert page.query == query.without_contract_terms()
            assert (page.paginator.count, page.contracts_available) == (1, False)
            assert [r.name for r in client_rows(query, tenant=acme)] == ["Ana"]
        with pytest.raises(ContractsUnavailable):
            services.create_contract(
                client_id=client.pk, title="y", amount=Decimal(1),
                signed_on=datetime.date(2026, 1, 2), tenant=acme,
            )  # fmt: skip

    # Back up: the next call reconnects by itself, and nothing half-written remains.
    page = client_page(ClientQuery(sort="-total"), tenant=acme)
    assert [(r.contract_count, r.total_amount) for r in page.rows] == [(1, Decimal("12.50"))]
    assert page.contracts_available is True and not page.contract_terms_dropped
    assert Contract.unscoped.filter(tenant_id=acme.pk).count() == 1


@pytest.mark.django_db(databases=["default", "mysql"])
def test_after_a_failure_mysql_is_not_tried_until_the_window_passes(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(
        boundary, "breaker", boundary.CircuitBreaker(seconds=lambda: 10, clock=lambda: now[0])
    )
    attempts = []

    @contracts_database()
    def count() -> int:
        attempts.append(now[0])
        return Contract.unscoped.using("mysql").count()

    with contracts_down():
        with pytest.raises(ContractsUnavailable):
            count()
        now[0] += 9.9
        with pytest.raises(ContractsUnavailable, match="not retried yet"):
            count()
    assert attempts == [100.0]  # the second call did not wait for MySQL
    now[0] += 0.2
    assert count() == 0  # the window passed and MySQL is back
    assert len(attempts) == 2


def test_errors_that_are_not_about_reaching_mysql_do_not_open_the_breaker(monkeypatch):
    monkeypatch.setattr(
        boundary, "breaker", boundary.CircuitBreaker(seconds=lambda: 10, clock=lambda: 0.0)
    )
    with pytest.raises(ContractsUnavailable), contracts_database():
        raise IntegrityError("duplicate key")
    assert not boundary.breaker.is_open
    with pytest.raises(ContractsUnavailable), contracts_database():
        raise OperationalError(2003, "Can't connect to server on '127.0.0.1' (111)")
    assert boundary.breaker.is_open


@pytest.mark.django_db(transaction=True, databases=["default", "mysql"])
def test_a_connection_mysql_closed_does_not_open_the_breaker(monkeypatch):
    monkeypatch.setattr(
        boundary, "breaker", boundary.CircuitBreaker(seconds=lambda: 10, clock=time.monotonic)
    )
    mysql = connections["mysql"]
    mysql.ensure_connection()
    # What a MySQL restart does to a kept connection.
    with MySQLdb.connect(**mysql.get_connection_params()) as other:
        other.cursor().execute(f"KILL {mysql.connection.thread_id()}")
    with pytest.raises(ContractsUnavailable, match="Lost connection"), contracts_database():
        Contract.unscoped.using("mysql").count()
    assert not boundary.breaker.is_open  # the next query simply reconnects
    with contracts_database():
        assert Contract.unscoped.using("mysql").count() >= 0
