"""MySQL down: client-column pages still render without totals; aggregate ones say so."""

import datetime
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connections
from django_tenants.utils import tenant_context

from data_access import services
from data_access.client_table import ContractsUnavailable, client_page, client_rows
from data_access.models import Client
from data_access.params import ClientQuery
from tenancy.models import Tenant


@contextmanager
def mysql_unreachable() -> Iterator[None]:
    """Point the MySQL alias at a closed port until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    mysql = connections["mysql"]
    saved = mysql.settings_dict["HOST"], mysql.settings_dict["PORT"]
    mysql.close()
    mysql.settings_dict["HOST"], mysql.settings_dict["PORT"] = "127.0.0.1", closed_port
    try:
        yield
    finally:
        mysql.close()
        mysql.settings_dict["HOST"], mysql.settings_dict["PORT"] = saved


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

    with mysql_unreachable():
        page = client_page(ClientQuery(), tenant=acme)
        assert [(r.name, r.contract_count, r.total_amount) for r in page.rows] == [
            ("Ana", None, None)
        ]
        assert page.contracts_available is False
        assert [r.total_amount for r in client_rows(ClientQuery(), tenant=acme)] == [None]
        for query in (ClientQuery(sort="total", descending=True), ClientQuery(min_total=1)):
            with pytest.raises(ContractsUnavailable):
                client_page(query, tenant=acme)
            assert client_page(query.without_contract_terms(), tenant=acme).count == 1

    # Back up: the next call reconnects by itself.
    page = client_page(ClientQuery(sort="total", descending=True), tenant=acme)
    assert [(r.contract_count, r.total_amount) for r in page.rows] == [(1, Decimal("12.50"))]
    assert page.contracts_available is True
