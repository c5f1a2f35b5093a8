"""Brute force is stopped per tenant (django-axes): on the tenant login, the
tenant admin and the public admin."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import schema_context

from conftest import STAFF_PASSWORD
from tenancy.services import ensure_staff_user

pytestmark = pytest.mark.django_db(databases=["default", "mysql"])
LIMIT = settings.AXES_FAILURE_LIMIT
PUBLIC_ADMIN_PASSWORD = "platform-admin-password-2026"

# (host, login path, username, right password)
ACME_LOGIN = ("acme.localhost", "/login/", "staff", STAFF_PASSWORD)
ACME_ADMIN = ("acme.localhost", "/admin/login/", "staff", STAFF_PASSWORD)
PUBLIC_ADMIN = ("localhost", "/admin/login/", "admin", PUBLIC_ADMIN_PASSWORD)


@pytest.fixture(autouse=True)
def public_admin(acme) -> None:
    with schema_context("public"):
        ensure_staff_user(username="admin", password=PUBLIC_ADMIN_PASSWORD)


def _sign_in(browser: HttpClient, host: str, path: str, username: str, password: str):
    # The admin's login form carries next=/admin/ (the public host has no dashboard).
    form = {"username": username, "password": password, "next": "/admin/"}
    return browser.post(path, form, HTTP_HOST=host)


def _lock(host: str, path: str, username: str, *, address: str = "127.0.0.1") -> list[int]:
    browser = HttpClient(REMOTE_ADDR=address)
    return [_sign_in(browser, host, path, username, f"wrong-{n}").status_code for n in range(LIMIT)]


def _assert_locked_out(response) -> None:
    assert response.status_code == 429
    assert "registration/lockout.html" in [t.name for t in response.templates]
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    assert f"Wait {minutes} minutes and try again" in response.content.decode()
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize("login", [ACME_LOGIN, ACME_ADMIN, PUBLIC_ADMIN])
def test_repeated_failures_lock_even_the_right_password_out_with_a_message(login):
    host, path, username, password = login
    statuses = _lock(host, path, username)
    assert statuses[:-1] == [200] * (LIMIT - 1)  # the form, with its error
    assert statuses[-1] == 429
    browser = HttpClient()
    _assert_locked_out(_sign_in(browser, host, path, username, password))
    assert browser.get("/admin/", HTTP_HOST=host).status_code == 302  # not signed in


def test_a_lockout_on_acme_never_locks_globex_or_the_public_admin(globex):
    _lock(*ACME_LOGIN[:3])
    _assert_locked_out(_sign_in(HttpClient(), *ACME_LOGIN))
    # Same username, same address, other tenants.
    assert _sign_in(HttpClient(), "globex.localhost", "/login/", "staff", STAFF_PASSWORD).status_code == 302  # fmt: skip
    assert _sign_in(HttpClient(), *PUBLIC_ADMIN).status_code == 302
    with schema_context("globex"):
        assert not AccessAttempt.objects.exists()


def test_a_lockout_holds_only_for_that_address():
    _lock(*ACME_LOGIN[:3], address="203.0.113.9")
    _assert_locked_out(_sign_in(HttpClient(REMOTE_ADDR="203.0.113.9"), *ACME_LOGIN))
    assert _sign_in(HttpClient(REMOTE_ADDR="198.51.100.4"), *ACME_LOGIN).status_code == 302


def test_a_lockout_ends_after_the_cool_off_time():
    _lock(*ACME_LOGIN[:3])
    _assert_locked_out(_sign_in(HttpClient(), *ACME_LOGIN))
    # As if the cool-off had passed since the last failure.
    with schema_context("acme"):
        AccessAttempt.objects.update(
            attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
        )
    assert _sign_in(HttpClient(), *ACME_LOGIN).status_code == 302


@pytest.mark.parametrize(
    ("locked", "admin_host", "admin_username", "admin_password"),
    [
        (ACME_LOGIN, "acme.localhost", "boss", "boss-password-2026"),
        (PUBLIC_ADMIN, "localhost", "root", "root-password-2026"),
    ],
)
def test_an_admin_of_that_site_resets_a_lockout(locked, admin_host, admin_username, admin_password):
    schema = "acme" if admin_host == "acme.localhost" else "public"
    with schema_context(schema):
        ensure_staff_user(username=admin_username, password=admin_password)
    _lock(*locked[:3])
    _assert_locked_out(_sign_in(HttpClient(), *locked))

    admin = HttpClient()
    assert _sign_in(admin, admin_host, "/admin/login/", admin_username, admin_password).status_code == 302  # fmt: skip
    changelist = admin.get("/admin/axes/accessattempt/", HTTP_HOST=admin_host)
    assert changelist.status_code == 200
    assert locked[2] in changelist.content.decode()
    with schema_context(schema):
        attempt = AccessAttempt.objects.get(username=locked[2])
    deleted = admin.post(
        f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}, HTTP_HOST=admin_host
    )
    assert deleted.status_code == 302
    assert _sign_in(HttpClient(), *locked).status_code == 302


def test_the_lockout_message_speaks_the_users_language():
    _lock(*ACME_LOGIN[:3])
    response = HttpClient().post(
        "/login/", {"username": "staff", "password": STAFF_PASSWORD},
        HTTP_HOST="acme.localhost", HTTP_ACCEPT_LANGUAGE="es",
    )  # fmt: skip
    assert response.status_code == 429
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    assert f"Espere {minutes} minutos e inténtelo de nuevo" in response.content.decode()


def _sign_in_via_proxy(forwarded_for: str, password: str):
    browser = HttpClient(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)
    return _sign_in(browser, "acme.localhost", "/login/", "staff", password)


def test_behind_a_trusted_proxy_the_address_it_saw_is_locked_not_a_forged_one(settings):
    settings.TRUSTED_PROXIES = 1
    for n in range(LIMIT):
        _sign_in_via_proxy(f"192.0.2.{n}, 203.0.113.9", "wrong")
    # Whatever the client claims on the left, the proxy saw 203.0.113.9.
    _assert_locked_out(_sign_in_via_proxy("192.0.2.200, 203.0.113.9", STAFF_PASSWORD))
    assert _sign_in_via_proxy("203.0.113.10", STAFF_PASSWORD).status_code == 302


def test_without_trusted_proxies_x_forwarded_for_is_ignored():
    for n in range(LIMIT):
        _sign_in_via_proxy(f"192.0.2.{n}", "wrong")
    _assert_locked_out(_sign_in_via_proxy("192.0.2.99", STAFF_PASSWORD))
