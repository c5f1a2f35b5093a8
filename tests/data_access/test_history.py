"""Who changes are attributed to."""

import pytest
from django.contrib.auth.models import AnonymousUser, User

from data_access.history import acting_as, current_actor

pytestmark = pytest.mark.django_db


def test_acting_as_ignores_anonymous_users_and_restores_the_previous_actor(in_acme):
    staff = User.objects.get(username="staff")
    assert current_actor() is None
    with acting_as(staff):
        with acting_as(AnonymousUser()):
            assert current_actor() is None
        assert current_actor() == staff
    assert current_actor() is None
