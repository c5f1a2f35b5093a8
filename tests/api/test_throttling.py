"""Request rates per token and per staff user, counted per tenant: a burst past
the rate gets 429 with Retry-After, and nobody else is slowed by it."""

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from api.models import ApiToken
from conftest import BOTH_DATABASES
from tests.helpers import ACME, GLOBEX, body, logged_in, token_client

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

RATE = 3


@pytest.fixture(autouse=True)
def small_rates(settings) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "token": f"{RATE}/minute",
            "user": f"{RATE}/minute",
            "anon": f"{RATE}/minute",
        },
    }


def burst(caller: HttpClient, path: str = "/api/clients/") -> list[int]:
    return [caller.get(path).status_code for _ in range(RATE + 2)]


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert "error" in body(response)
    assert int(response["Retry-After"]) >= 1


def test_a_burst_past_a_tokens_rate_is_refused_with_retry_after(acme):
    api = token_client(acme, ACME)
    assert burst(api) == [200] * RATE + [429, 429]
    assert_throttled(api.get("/api/countries/"))  # one count for every endpoint
    assert token_client(acme, ACME).get("/api/clients/").status_code == 200  # another token


def test_tokens_with_the_same_id_in_two_tenants_are_counted_apart(acme, globex):
    with tenant_context(acme):
        acme_token, acme_raw = ApiToken.issue(name="acme")
    with tenant_context(globex):
        twin = ApiToken(pk=acme_token.pk, name="globex twin")
        globex_raw = twin.set_new_key()
        twin.save()
    acme_api = HttpClient(HTTP_HOST=ACME, HTTP_AUTHORIZATION=f"Bearer {acme_raw}")
    globex_api = HttpClient(HTTP_HOST=GLOBEX, HTTP_AUTHORIZATION=f"Bearer {globex_raw}")
    assert burst(acme_api)[-1] == 429
    assert burst(globex_api) == [200] * RATE + [429, 429]


def test_a_staff_users_burst_is_refused_and_tokens_are_unaffected(acme, globex):
    browser = logged_in(ACME)
    assert burst(browser) == [200] * RATE + [429, 429]
    assert_throttled(browser.get("/api/clients/stats/"))
    # Another session of the same user shares the count; the same user id on
    # globex and a token of acme do not.
    assert logged_in(ACME).get("/api/clients/").status_code == 429
    assert logged_in(GLOBEX).get("/api/clients/").status_code == 200
    assert token_client(acme, ACME).get("/api/clients/").status_code == 200


def test_anonymous_callers_of_the_public_schema_are_counted_by_address(acme):
    anonymous = HttpClient(HTTP_HOST=ACME)
    assert burst(anonymous, "/api/schema/") == [200] * RATE + [429, 429]
    elsewhere = HttpClient(HTTP_HOST=ACME, REMOTE_ADDR="192.0.2.7")
    assert elsewhere.get("/api/schema/").status_code == 200
    # Refusing credentials is not throttled: there is nothing to count them by.
    assert {anonymous.get("/api/clients/").status_code for _ in range(RATE + 2)} == {401}
