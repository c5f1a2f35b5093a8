"""API tokens as a DRF authentication class: the header decides alone, a token
opens only its own tenant, and the caller (the token) is kept on the request."""

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.authentication import BearerTokenAuthentication, TokenCaller
from api.models import ApiToken
from conftest import BOTH_DATABASES
from tests.helpers import ACME, GLOBEX, body, logged_in

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)


def bearer(raw: str, host: str = ACME) -> HttpClient:
    return HttpClient(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {raw}")


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


def test_the_request_keeps_the_token_as_its_caller(in_acme):
    token, raw = ApiToken.issue(name="reporting")
    request = Request(APIRequestFactory().get("/api/clients/", HTTP_AUTHORIZATION=f"Bearer {raw}"))
    caller, auth = BearerTokenAuthentication().authenticate(request)
    assert auth == token and auth.name == "reporting"
    assert caller == TokenCaller(token) and caller.is_authenticated and not caller.is_staff
    assert caller.get_username() == "reporting"
    # No header: not this class's business (a session may still authenticate).
    assert BearerTokenAuthentication().authenticate(Request(APIRequestFactory().get("/"))) is None
    with pytest.raises(AuthenticationFailed):
        BearerTokenAuthentication().authenticate(
            Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION="Bearer nope"))
        )


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


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(header=st.text(max_size=80))
def test_random_authorization_headers(acme, header):
    response = HttpClient(HTTP_HOST=ACME).get("/api/clients/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401  # a random header is never a valid token
    assert response["Content-Type"] == "application/json"
    assert b"<script" not in response.content.lower()
    assert set(body(response)) == {"error"}
