"""API tokens are hashed at rest and shown only once."""

import hashlib
import re

import pytest
from django_tenants.utils import tenant_context

from api.models import ApiToken
from conftest import BOTH_DATABASES

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

TOKEN = re.compile(r"ctr_[A-Za-z0-9_-]{43}")


def test_only_the_hash_is_stored(acme):
    with tenant_context(acme):
        token, raw = ApiToken.issue(name="ci")
        stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert TOKEN.fullmatch(raw)
    assert stored["hashed_key"] == hashlib.sha256(raw.encode()).hexdigest()
    assert stored["prefix"] == raw[:12] and raw.startswith(stored["prefix"])
    assert not any(raw in str(value) for value in stored.values())
    with tenant_context(acme):
        assert ApiToken.issue(name="ci")[1] != raw
