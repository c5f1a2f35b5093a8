"""The cache is shared by every process: a PostgreSQL table, or Redis when configured."""

import subprocess
import sys

import pytest
from django.core.cache import cache, caches
from django.db import connection

from tests.helpers.servers import ROOT, server_env


def _in_another_process(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT, env=server_env(**env), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout.strip()


READ_THEN_DELETE = (
    "from django.core.cache import cache; print(cache.get('shared')); cache.delete('shared')"
)


@pytest.mark.django_db
def test_the_cache_table_is_in_the_public_schema():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'django_cache'"
        )
        assert cursor.fetchall() == [("public",)]


@pytest.mark.django_db(transaction=True)
def test_a_value_one_process_writes_another_reads_and_deletes():
    assert type(caches["default"]).__name__ == "DatabaseCache"
    cache.set("shared", "written by the test process", timeout=60)
    assert _in_another_process(READ_THEN_DELETE) == "written by the test process"
    assert cache.get("shared") is None


@pytest.mark.django_db
def test_with_redis_url_processes_share_redis(redis_url):
    backend = _in_another_process(
        "from django.core.cache import caches; print(type(caches['default']).__name__)",
        REDIS_URL=redis_url,
    )
    assert backend == "RedisCache"
    write = (
        "import time; from django.core.cache import cache\n"
        "for _ in range(100):\n"
        "    try:\n"
        "        cache.set('shared', 'written by one process', 60); break\n"
        "    except Exception: time.sleep(0.1)  # redis-server starting\n"
    )
    _in_another_process(write, REDIS_URL=redis_url)
    assert _in_another_process(READ_THEN_DELETE, REDIS_URL=redis_url) == "written by one process"
    assert _in_another_process(READ_THEN_DELETE, REDIS_URL=redis_url) == "None"


@pytest.mark.django_db(transaction=True)
def test_with_redis_url_sessions_are_read_from_redis_and_ended_everywhere(redis_url):
    engine = "from django.conf import settings; print(settings.SESSION_ENGINE)"
    assert _in_another_process(engine).endswith(".db")
    assert _in_another_process(engine, REDIS_URL=redis_url).endswith(".cached_db")
    start = (
        "import time; from django.contrib.sessions.backends.cached_db import SessionStore\n"
        "for _ in range(100):\n"
        "    try:\n"
        "        s = SessionStore(); s['who'] = 'staff'; s.create(); break\n"
        "    except Exception: time.sleep(0.1)  # redis-server starting\n"
        "print(s.session_key)"
    )
    key = _in_another_process(start, REDIS_URL=redis_url)
    read = f"from django.contrib.sessions.backends.cached_db import SessionStore; print(SessionStore('{key}').get('who'))"
    end = f"from django.contrib.sessions.backends.cached_db import SessionStore; SessionStore('{key}').delete()"
    assert _in_another_process(read, REDIS_URL=redis_url) == "staff"
    _in_another_process(end, REDIS_URL=redis_url)
    # Ended in one process, gone for every other: from Redis and from PostgreSQL.
    assert _in_another_process(read, REDIS_URL=redis_url) == "None"
    assert _in_another_process(read) == "None"
