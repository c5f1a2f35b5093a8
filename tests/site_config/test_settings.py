import os
import subprocess
import sys
from pathlib import Path

import pytest

from site_config.settings import require_secure_secret_key
from tests.helpers.servers import GOOD_SECRET

ROOT = Path(__file__).resolve().parents[2]


def _import_production_settings(secret: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    return subprocess.run(
        [sys.executable, "-c", "import site_config.settings_production"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "secret", [None, "django-insecure-contrata-development-only", "short", "a" * 60]
)
def test_production_settings_refuse_an_insecure_secret(secret):
    result = _import_production_settings(secret)
    assert result.returncode != 0
    assert "SECRET_KEY is insecure" in result.stderr


def test_production_settings_start_with_a_strong_secret():
    result = _import_production_settings(GOOD_SECRET)
    assert result.returncode == 0, result.stderr


def test_strong_secret_passes_the_check():
    require_secure_secret_key(GOOD_SECRET)


def test_deploy_checks_pass_with_production_settings():
    # The e2e tests allow Django's async-unsafe calls for the whole session.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {"SECRET_KEY": GOOD_SECRET, "DJANGO_SETTINGS_MODULE": "site_config.settings_production"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _settings_value(expression: str, **env: str) -> str:
    """`expression` evaluated on site_config.settings imported in a fresh process."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CONTRACTS_DATABASE_URL", "CONTRATA_ADDR"}
    }
    result = subprocess.run(
        [sys.executable, "-c", f"from site_config import settings as s; print({expression})"],
        cwd=ROOT, env=base | env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout.strip()


def test_database_urls_follow_the_private_server_ports():
    ports = _settings_value(
        "s.DATABASES['default']['PORT'], s.DATABASES['mysql']['PORT']",
        CONTRATA_PG_PORT="55111",
        CONTRATA_MYSQL_PORT="33111",
    )
    assert ports == "55111 33111"
    explicit = _settings_value(
        "s.DATABASES['default']['PORT']",
        CONTRATA_PG_PORT="55111",
        DATABASE_URL="postgres://u@db.internal:5432/x",
    )
    assert explicit == "5432"


def test_the_served_port_comes_from_contrata_addr():
    assert _settings_value("s.CONTRATA_PORT") == "8000"
    assert _settings_value("s.CONTRATA_PORT", CONTRATA_ADDR="127.0.0.1:8010") == "8010"
