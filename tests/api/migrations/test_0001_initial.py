"""ApiToken moved from the dashboard app to api without touching its table: a
tenant migrated before the move keeps its tokens and their permissions."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from api.models import ApiToken, hash_token
from conftest import BOTH_DATABASES

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

BEFORE_THE_MOVE = [("dashboard", "0001_initial"), ("api", None)]


def migrate(targets: list[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def test_a_tenant_migrated_before_the_move_keeps_its_tokens(in_acme):
    content_type = ContentType.objects.get_for_model(ApiToken)
    permissions = set(Permission.objects.filter(content_type=content_type).values_list("pk"))
    after_the_move = MigrationExecutor(connection).loader.graph.leaf_nodes()
    migrate(BEFORE_THE_MOVE)
    assert ContentType.objects.get(pk=content_type.pk).app_label == "dashboard"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dashboard_apitoken (name, prefix, hashed_key, created, revoked)"
            " VALUES ('from before', 'ctr_old', %s, now(), false)",
            [hash_token("ctr_old-token")],
        )

    migrate(after_the_move)
    token = ApiToken.objects.get(name="from before")
    assert token.hashed_key == hash_token("ctr_old-token") and token.prefix == "ctr_old"
    # The same content type, renamed: permissions granted on tokens still apply.
    assert ContentType.objects.get_for_model(ApiToken).pk == content_type.pk
    assert ContentType.objects.get(pk=content_type.pk).app_label == "api"
    assert set(Permission.objects.filter(content_type=content_type).values_list("pk")) == (
        permissions
    )
    assert permissions
