"""Request rates per token and per staff user, counted per tenant: a burst past
the rate gets 429 with Retry-After, and nobody else is slowed by it."""

import threading
from types import SimpleNamespace

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from api.models import ApiToken
from api.throttling import TokenRateThrottle
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


def _token_request(pk: int) -> SimpleNamespace:
    # TokenRateThrottle counts by request.auth alone.
    return SimpleNamespace(auth=ApiToken(pk=pk, name="burst"))


def test_concurrent_requests_never_pass_the_rate(settings, redis_url):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token": "50/minute",
        },
    }
    request, callers = _token_request(7), 20
    start = threading.Barrier(callers)
    answers: list[bool] = []

    def burst_from_one_worker() -> None:
        throttle = TokenRateThrottle()
        start.wait()  # every worker at the same moment, as under load
        answers.extend(throttle.allow_request(request, None) for _ in range(10))

    workers = [threading.Thread(target=burst_from_one_worker) for _ in range(callers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert answers.count(True) == 50
    assert len(answers) == 200


def test_the_window_slides_and_retry_after_says_when_a_slot_leaves_it(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token": "4/minute",
        },
    }
    now = [6000.0]  # slots of 6 s: 6000 starts slot 1000
    throttle = TokenRateThrottle()
    throttle.timer = lambda: now[0]
    request = _token_request(8)
    assert [throttle.allow_request(request, None) for _ in range(3)] == [True] * 3
    now[0] += 30
    assert throttle.allow_request(request, None)
    assert not throttle.allow_request(request, None)
    # Slot 1000 counts until slot 1011 begins, at 6066: no 60 s holds more than 4.
    assert throttle.wait() == pytest.approx(36)
    now[0] = 6065.0
    assert not throttle.allow_request(request, None)
    now[0] = 6066.0
    assert [throttle.allow_request(request, None) for _ in range(4)] == [True] * 3 + [False]
    assert throttle.wait() == pytest.approx(30)  # the one of slot 1005 counts until 6096
