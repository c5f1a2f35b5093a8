"""Django's MySQL backend for a MariaDB Spider head (`spider://` URLs).

Two differences from MySQL:
- no savepoints: Spider refuses SAVEPOINT once one of its tables is in the
  transaction, so nested atomic blocks join the outer transaction (an error in
  an inner block rolls the whole transaction back);
- after `migrate`, and for test databases, the tenant-keyed tables become Spider
  tables over the shards of CONTRACTS_SHARD_URLS (data_access.sharding.spider).
"""

from typing import Any

from django.db import connections
from django.db.backends.mysql import base, creation, features
from django.db.models.signals import post_migrate

from data_access.sharding import spider


class DatabaseFeatures(features.DatabaseFeatures):
    uses_savepoints = False
    can_release_savepoints = False


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name: str, verbosity: int) -> None:
        spider.drop(test_database_name, spider.configured_shards(), self.connection)
        super()._destroy_test_db(test_database_name, verbosity)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    creation_class = DatabaseCreation


def shard_after_migrate(sender: Any, using: str, **kwargs: Any) -> None:
    # post_migrate comes once per app; the contracts tables are data_access's.
    if sender.label == "data_access" and isinstance(connections[using], DatabaseWrapper):
        spider.build(connections[using], spider.configured_shards())


post_migrate.connect(shard_after_migrate, dispatch_uid="data_access.sharding.spider")
