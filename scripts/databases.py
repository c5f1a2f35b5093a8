"""Reachability checks and database creation for the set-up script.

python scripts/databases.py env          shell assignments of ports and URLs, from the settings
python scripts/databases.py reachable URL
python scripts/databases.py create PG_URL MYSQL_URL
"""

import shlex
import sys
from pathlib import Path

import dj_database_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# A Spider head (spider://, see docs/scaling.md) is a MariaDB server to these checks.
dj_database_url.register("spider", "data_access.sharding.backend")


def _connect(url: str, *, database: str | None = None):
    config = dj_database_url.parse(url)
    if not config["ENGINE"].endswith("postgresql"):
        import MySQLdb

        return MySQLdb.connect(
            host=config["HOST"] or "127.0.0.1",
            port=int(config["PORT"] or 3306),
            user=config["USER"],
            password=config["PASSWORD"] or "",
            database=database or "",
            connect_timeout=2,
        )
    import psycopg

    return psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 5432),
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname=database or "postgres",
        connect_timeout=2,
        autocommit=True,
    )


def reachable(url: str) -> bool:
    try:
        _connect(url).close()
    except Exception:
        return False
    return True


def create(pg_url: str, mysql_url: str) -> None:
    name = dj_database_url.parse(pg_url)["NAME"]
    with _connect(pg_url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    name = dj_database_url.parse(mysql_url)["NAME"]
    conn = _connect(mysql_url)
    try:
        conn.cursor().execute(
            f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    finally:
        conn.close()


def env() -> str:
    """The settings' view of ports and URLs, so the script and Django never disagree."""
    from site_config import settings

    values = {
        "PG_PORT": settings.PG_PORT,
        "MY_PORT": settings.MYSQL_PORT,
        "DATABASE_URL": settings.DATABASE_URL,
        "CONTRACTS_DATABASE_URL": settings.CONTRACTS_DATABASE_URL,
        "PG_PRIVATE_URL": settings.PRIVATE_DATABASE_URL,
        "MY_PRIVATE_URL": settings.PRIVATE_CONTRACTS_DATABASE_URL,
        "ADDR": settings.CONTRATA_ADDR,
        "PORT": settings.CONTRATA_PORT,
    }
    return "\n".join(f"{name}={shlex.quote(str(value))}" for name, value in values.items())


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["env"]:
            print(env())
        case ["reachable", url]:
            sys.exit(0 if reachable(url) else 1)
        case ["create", pg_url, mysql_url]:
            create(pg_url, mysql_url)
        case _:
            sys.exit(__doc__)
