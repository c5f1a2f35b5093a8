"""runserver (make dev) keeps no database connection once its requests are done.

Its own module: the gunicorn of test_serving must be gone for the counts to be
runserver's alone."""

import pytest

from tests.helpers.servers import MIXED_PATHS, free_port, hammer, runserver, server_env

pytestmark = pytest.mark.usefixtures("provisioned_transactional_db")


@pytest.mark.django_db(transaction=True, databases=["default", "mysql"])
def test_runserver_closes_every_connection_at_the_end_of_its_request(counter):
    concurrency = 8
    with runserver(server_env(), free_port()) as port, counter.watching():
        statuses = hammer(port, MIXED_PATHS, requests=200, concurrency=concurrency)
        # A thread per TCP connection, and only requests in flight hold a database
        # connection: a client's next request may start while the thread that
        # served its previous one is still closing, hence twice the clients.
        assert max(counter.peak.values()) <= 2 * concurrency
        assert counter.settle(at_most=0) == {"postgresql": 0, "mysql": 0}
    assert set(statuses) <= {200, 401}, statuses
