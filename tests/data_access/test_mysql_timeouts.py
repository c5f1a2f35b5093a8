"""The MySQL connection gives up on a query that does not answer within read_timeout."""

import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.db.utils import load_backend

pytestmark = pytest.mark.django_db(databases=["default", "mysql"])


def test_mysql_connect_read_and_write_timeouts_come_from_the_settings():
    options = settings.DATABASES["mysql"]["OPTIONS"]
    assert options["connect_timeout"] == 1
    assert options["read_timeout"] == 2
    assert options["write_timeout"] == 2
    params = connections["mysql"].get_connection_params()
    assert (params["read_timeout"], params["write_timeout"]) == (2, 2)


def test_a_query_slower_than_read_timeout_fails_instead_of_waiting():
    real = connections["mysql"].settings_dict
    impatient = load_backend(real["ENGINE"]).DatabaseWrapper(
        {**real, "OPTIONS": {**real["OPTIONS"], "read_timeout": 1}}, "mysql"
    )
    try:
        with pytest.raises(OperationalError), impatient.cursor() as cursor:
            # The server would answer after 30 s; the client stops waiting.
            cursor.execute("SELECT SLEEP(30)")
            cursor.fetchall()
    finally:
        impatient.close()
