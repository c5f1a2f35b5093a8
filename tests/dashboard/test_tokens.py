"""API tokens: hashed at rest, shown once in the admin, revocable, one tenant each."""

import hashlib
import re

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES
from dashboard.models import ApiToken
from tests.dashboard.test_api import ACME, GLOBEX, body, logged_in

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

TOKEN = re.compile(r"ctr_[A-Za-z0-9_-]{43}")


def bearer(raw: str, host: str = ACME) -> HttpClient:
    return HttpClient(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {raw}")


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


def test_a_token_works_and_records_its_last_use(acme):
    with tenant_context(acme):
        token, raw = ApiToken.issue(name="ci")
    assert token.last_used is None
    before = timezone.now()
    assert bearer(raw).get("/api/clients/").status_code == 200
    token.refresh_from_db()
    assert token.last_used is not None and token.last_used >= before
    # Lower-case scheme and extra spaces are still a bearer token.
    api = HttpClient(HTTP_HOST=ACME, HTTP_AUTHORIZATION=f"bearer   {raw} ")
    assert api.get("/api/countries/").status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer ", "Bearer", "Basic c3RhZmY6eA==", "Token {raw}", "Bearer {raw}x", "Bearer x" * 300],
)
def test_bad_authorization_headers_get_a_401(acme, header):
    with tenant_context(acme):
        raw = ApiToken.issue(name="ci")[1]
    api = HttpClient(HTTP_HOST=ACME, HTTP_AUTHORIZATION=header.format(raw=raw))
    response = api.get("/api/clients/")
    assert response.status_code == 401 and "error" in body(response)


def test_a_revoked_token_is_refused(acme):
    with tenant_context(acme):
        token, raw = ApiToken.issue(name="ci")
    assert bearer(raw).get("/api/clients/").status_code == 200
    token.revoked = True
    with tenant_context(acme):
        token.save()
    response = bearer(raw).get("/api/clients/")
    assert response.status_code == 401
    assert body(response) == {"error": "Invalid or revoked API token."}


def test_a_bad_token_is_not_rescued_by_a_session_cookie(acme):
    browser = logged_in(ACME)
    assert browser.get("/api/clients/").status_code == 200
    assert browser.get("/api/clients/", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_a_token_of_one_tenant_is_refused_on_another(acme, globex):
    with tenant_context(acme):
        acme_raw = ApiToken.issue(name="acme ci")[1]
    with tenant_context(globex):
        globex_raw = ApiToken.issue(name="globex ci")[1]
        assert not ApiToken.objects.filter(name="acme ci").exists()
    for path in ["/api/clients/", "/api/clients/amounts/", "/api/countries/"]:
        assert bearer(acme_raw, GLOBEX).get(path).status_code == 401
        assert bearer(globex_raw, ACME).get(path).status_code == 401
        assert bearer(acme_raw, ACME).get(path).status_code == 200
        assert bearer(globex_raw, GLOBEX).get(path).status_code == 200


def test_the_admin_shows_a_new_token_once_and_stores_its_hash(acme):
    admin = logged_in(ACME)
    assert 'name="hashed_key"' not in admin.get("/admin/dashboard/apitoken/add/").content.decode()
    response = admin.post("/admin/dashboard/apitoken/add/", {"name": "Reporting"}, follow=True)
    assert response.status_code == 200
    (raw,) = TOKEN.findall(response.content.decode())  # shown on the page after adding
    with tenant_context(acme):
        token = ApiToken.objects.get(name="Reporting")
    assert token.hashed_key == hashlib.sha256(raw.encode()).hexdigest()
    assert bearer(raw).get("/api/clients/").status_code == 200
    # Never again: not on the list, not on the change page, not in the next message.
    listing = admin.get("/admin/dashboard/apitoken/").content.decode()
    change = admin.get(f"/admin/dashboard/apitoken/{token.pk}/change/").content.decode()
    assert token.prefix in listing and raw not in listing and raw not in change
    # Editing the name keeps the key.
    admin.post(f"/admin/dashboard/apitoken/{token.pk}/change/", {"name": "Reports"})
    token.refresh_from_db()
    assert token.name == "Reports" and token.hashed_key == hashlib.sha256(raw.encode()).hexdigest()


def test_the_admin_revoke_action(acme):
    with tenant_context(acme):
        token, raw = ApiToken.issue(name="old")
    admin = logged_in(ACME)
    response = admin.post(
        "/admin/dashboard/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk], "index": 0},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked
    assert bearer(raw).get("/api/clients/").status_code == 401
