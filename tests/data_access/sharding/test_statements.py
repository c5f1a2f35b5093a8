import pytest
from django.db import connections

from data_access.models import Contract
from data_access.sharding.statements import Kind, classify, tenant_keyed_tables
from tests.helpers import CrossTenantStatement, StatementAudit

TABLES = frozenset(
    {
        "data_access_contract",
        "data_access_clienttotals",
        "data_access_segmenttotals",
        "data_access_monthtotals",
    }
)
C = "`data_access_contract`"
T = "`data_access_clienttotals`"


def kind(sql: str, params=(), *, many: bool = False) -> Kind:
    return classify(sql, params, tables=TABLES, many=many).kind


def test_the_tenant_keyed_tables_are_the_contracts_databases():
    assert tenant_keyed_tables() == TABLES | {"data_access_historicalcontract"}


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        (f"SELECT {C}.`id` FROM {C} WHERE {C}.`tenant_id` = %s", [2]),
        (
            f"SELECT COUNT(*) FROM {C} WHERE ({C}.`tenant_id` = %s AND {C}.`client_id` IN (%s, %s))",
            [2, 5, 6],
        ),
        (
            f"SELECT 1 FROM {C} WHERE ({C}.`client_id` = %s AND {C}.`tenant_id` = %s) LIMIT 1",
            [5, 2],
        ),
        (f"SELECT 1 FROM {C} WHERE ((({C}.`tenant_id` = %s)) AND NOT ({C}.`is_active`))", [2]),
        (
            f"SELECT 1 FROM {C} WHERE {C}.`signed_on` BETWEEN %s AND %s AND {C}.`tenant_id` = %s",
            ["a", "b", 2],
        ),
        (f"SELECT 1 FROM {C} U0 WHERE (U0.`tenant_id` = %s AND U0.`id` = %s) FOR UPDATE", [2, 1]),
        (
            f"SELECT COUNT(*) FROM (SELECT {C}.`id` AS `col1` FROM {C} WHERE {C}.`tenant_id` = %s GROUP BY 1) subquery",
            [2],
        ),
        (
            f"UPDATE {T} SET `active_contracts` = ({T}.`active_contracts` + %s) WHERE ({T}.`client_id` = %s AND {T}.`tenant_id` = %s)",
            [1, 5, 2],
        ),
        (f"DELETE FROM {C} WHERE ({C}.`id` = %s AND {C}.`tenant_id` = %s)", [1, 2]),
        (
            f"INSERT INTO {C} (`tenant_id`, `client_id`) VALUES (%s, %s), (%s, %s) RETURNING {C}.`id`",
            [2, 5, 2, 6],
        ),
        (
            f"INSERT INTO {T} (tenant_id, client_id) SELECT tenant_id, client_id FROM {C} WHERE tenant_id = %s AND is_active GROUP BY tenant_id, client_id",
            [2],
        ),
        (
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {C} FIELDS TERMINATED BY '\\t' (client_id, title) SET tenant_id = %s",
            ["/x", 2],
        ),
        (f"SELECT 1 FROM {C} WHERE {C}.`tenant_id` IN (%s)", [2]),
        (
            f"SELECT 1 FROM {C} WHERE ({C}.`tenant_id` = %s AND ({C}.`title` LIKE %s OR {C}.`client_id` = %s))",
            [2, "%a%", 5],
        ),
        (f"EXPLAIN SELECT 1 FROM {C} WHERE 2 = {C}.`tenant_id`", []),
    ],
)
def test_single_tenant_statements(sql, params):
    verdict = classify(sql, params, tables=TABLES)
    assert verdict.kind is Kind.SINGLE_TENANT, verdict.reason
    assert verdict.tenants == {2}


@pytest.mark.parametrize(
    ("sql", "params", "reason"),
    [
        (f"SELECT COUNT(*) FROM {C}", [], "without tenant_id"),
        (f"SELECT 1 FROM {C} WHERE {C}.`id` = %s", [1], "without tenant_id"),
        (f"UPDATE {C} SET `title` = %s WHERE {C}.`id` = %s", ["x", 1], "without tenant_id"),
        (f"DELETE FROM {C} WHERE {C}.`id` IN (%s)", [1], "without tenant_id"),
        (
            f"SELECT 1 FROM {C} WHERE ({C}.`tenant_id` = %s OR {C}.`client_id` = %s)",
            [2, 5],
            "without tenant_id",
        ),
        (f"SELECT 1 FROM {C} WHERE {C}.`tenant_id` IN (%s, %s)", [2, 3], "without tenant_id"),
        (f"SELECT 1 FROM {C} WHERE {C}.`tenant_id` >= %s", [2], "without tenant_id"),
        (
            f"SELECT 1 FROM {C} WHERE {C}.`tenant_id` = %s AND {C}.`client_id` IN (SELECT U0.`client_id` FROM {T} U0)",
            [2],
            "reads data_access_clienttotals",
        ),
        (
            f"SELECT 1 FROM {C} WHERE {C}.`tenant_id` = %s UNION SELECT 1 FROM {C} WHERE {C}.`tenant_id` = %s",
            [2, 3],
            "2 tenants",
        ),
        (
            f"INSERT INTO {C} (`tenant_id`, `client_id`) VALUES (%s, %s), (%s, %s)",
            [2, 5, 3, 6],
            "2 tenants",
        ),
        (f"INSERT INTO {C} (`client_id`) VALUES (%s)", [5], "without tenant_id"),
        (f"LOAD DATA LOCAL INFILE %s INTO TABLE {C} (tenant_id, client_id)", ["/x"], "without SET"),
    ],
)
def test_cross_tenant_statements(sql, params, reason):
    verdict = classify(sql, params, tables=TABLES)
    assert verdict.kind is Kind.CROSS_TENANT
    assert reason in verdict.reason


def test_executemany_rows_must_share_a_tenant():
    sql = f"INSERT INTO {C} (`tenant_id`, `client_id`) VALUES (%s, %s)"
    assert kind(sql, [(2, 5), (2, 6)], many=True) is Kind.SINGLE_TENANT
    assert kind(sql, [(2, 5), (3, 6)], many=True) is Kind.CROSS_TENANT


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (f"CREATE TABLE {C} (`id` bigint NOT NULL)", Kind.SCHEMA),
        (f"ALTER TABLE {C} ADD INDEX `x` (`tenant_id`)", Kind.SCHEMA),
        (f"TRUNCATE {C}", Kind.SCHEMA),
        (f"ANALYZE TABLE {C}, {T}", Kind.SCHEMA),
        ("SAVEPOINT `s1`", Kind.UNTENANTED),
        ("SET autocommit=0", Kind.UNTENANTED),
        (f"SHOW INDEX FROM {C} WHERE Key_name = 'x'", Kind.UNTENANTED),
        ("SELECT `django_migrations`.`app` FROM `django_migrations`", Kind.UNTENANTED),
        ("CREATE TABLE `django_migrations` (`id` bigint)", Kind.UNTENANTED),
    ],
)
def test_statements_that_are_not_about_one_tenant(sql, expected):
    assert kind(sql) is expected


@pytest.mark.django_db(databases=["default", "mysql"])
def test_the_audit_fails_on_a_cross_tenant_statement_from_the_product(acme):
    audit = StatementAudit(sender_of=lambda stack: "data_access/selectors/panels.py")
    with connections["mysql"].execute_wrapper(audit):
        assert Contract.unscoped.filter(tenant_id=acme.pk).count() == 0
        with pytest.raises(CrossTenantStatement, match="reads data_access_contract without"):
            Contract.unscoped.count()
    assert audit.counts["single-tenant"] == 1
    assert len(audit.violations) == 1
