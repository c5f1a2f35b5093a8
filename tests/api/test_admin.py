"""The API token admin on the tenant site: a new token is shown once, only its
hash is stored, and tokens can be revoked."""

import hashlib
import re

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from api.models import ApiToken
from conftest import BOTH_DATABASES
from tests.helpers import ACME, logged_in

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

TOKEN = re.compile(r"ctr_[A-Za-z0-9_-]{43}")
TOKENS = "/admin/api/apitoken/"


def bearer(raw: str) -> HttpClient:
    return HttpClient(HTTP_HOST=ACME, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_admin_shows_a_new_token_once_and_stores_its_hash(acme):
    admin = logged_in(ACME)
    assert 'name="hashed_key"' not in admin.get(f"{TOKENS}add/").content.decode()
    response = admin.post(f"{TOKENS}add/", {"name": "Reporting"}, follow=True)
    assert response.status_code == 200
    (raw,) = TOKEN.findall(response.content.decode())  # shown on the page after adding
    with tenant_context(acme):
        token = ApiToken.objects.get(name="Reporting")
    assert token.hashed_key == hashlib.sha256(raw.encode()).hexdigest()
    assert bearer(raw).get("/api/clients/").status_code == 200
    # Never again: not on the list, not on the change page, not in the next message.
    listing = admin.get(TOKENS).content.decode()
    change = admin.get(f"{TOKENS}{token.pk}/change/").content.decode()
    assert token.prefix in listing and raw not in listing and raw not in change
    # Editing the name keeps the key.
    admin.post(f"{TOKENS}{token.pk}/change/", {"name": "Reports"})
    token.refresh_from_db()
    assert token.name == "Reports" and token.hashed_key == hashlib.sha256(raw.encode()).hexdigest()


def test_the_admin_revoke_action(acme):
    with tenant_context(acme):
        token, raw = ApiToken.issue(name="old")
    admin = logged_in(ACME)
    response = admin.post(TOKENS, {"action": "revoke", "_selected_action": [token.pk], "index": 0})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked
    assert bearer(raw).get("/api/clients/").status_code == 401
