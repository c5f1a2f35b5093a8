"""Both admins render fully styled under the Content Security Policy: no inline
style or script that the policy would block, and no 'unsafe-inline' in it."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import schema_context

from data_access.models import Client, Contract
from site_config.admin.tenant import tenant_admin_site
from tenancy.models import Tenant
from tenancy.services import ensure_staff_user

pytestmark = pytest.mark.django_db(databases=["default", "mysql"])
NOT_RUN = {"application/json", "text/template", "application/ld+json"}


class InlineCode(HTMLParser):
    """style="" attributes, <style> elements and inline scripts, with their nonces."""

    def __init__(self) -> None:
        super().__init__()
        self.style_attributes: list[str] = []
        self.styles: list[str | None] = []
        self.scripts: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attributes.append(f"<{tag} style={attributes['style']!r}>")
        if tag == "style":
            self.styles.append(attributes.get("nonce"))
        if tag == "script" and "src" not in attributes and attributes.get("type") not in NOT_RUN:
            self.scripts.append(attributes.get("nonce"))


def _nonces(policy: str, directive: str) -> set[str]:
    sources = next(
        (part.split()[1:] for part in policy.split(";") if part.split()[:1] == [directive]), []
    )
    return {match[1] for source in sources if (match := re.fullmatch(r"'nonce-(.+)'", source))}


def blocked_inline_code(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-hashes" not in policy
    page = InlineCode()
    page.feed(response.content.decode())
    style_nonces, script_nonces = _nonces(policy, "style-src"), _nonces(policy, "script-src")
    return (
        page.style_attributes
        + [f"<style nonce={n!r}>" for n in page.styles if n not in style_nonces]
        + [f"<script nonce={n!r}>" for n in page.scripts if n not in script_nonces]
    )


def _signed_in(host: str, schema: str) -> HttpClient:
    with schema_context(schema):
        ensure_staff_user(username="boss", password="boss-password-2026")
    browser = HttpClient()
    assert browser.get("/admin/login/", HTTP_HOST=host).status_code == 200
    assert blocked_inline_code(browser.get("/admin/login/", HTTP_HOST=host)) == []
    response = browser.post(
        "/admin/login/",
        {"username": "boss", "password": "boss-password-2026", "next": "/admin/"},
        HTTP_HOST=host,
    )
    assert response.status_code == 302
    return browser


def _assert_clean(browser: HttpClient, host: str, paths: list[str]) -> None:
    for path in paths:
        response = browser.get(path, HTTP_HOST=host)
        assert response.status_code == 200, path
        assert blocked_inline_code(response) == [], path


def test_tenant_admin_pages_carry_no_inline_code_the_policy_blocks(acme):
    with schema_context("acme"):
        client = Client.objects.create(name="Ada", email="ada@example.com", country="CL")
    browser = _signed_in("acme.localhost", "acme")
    _assert_clean(browser, "acme.localhost", [
        "/admin/",
        "/admin/data_access/",
        "/admin/data_access/client/",
        "/admin/data_access/client/?_to_field=id&_popup=1",
        "/admin/data_access/client/add/",
        f"/admin/data_access/client/{client.pk}/change/",
        f"/admin/data_access/client/{client.pk}/delete/",
        f"/admin/data_access/client/{client.pk}/history/",
        "/admin/data_access/contract/",
        "/admin/data_access/contract/add/",
        "/admin/api/apitoken/add/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        "/admin/auth/group/add/",
        "/admin/axes/accessattempt/",
        "/admin/password_change/",
    ])  # fmt: skip


def test_public_admin_pages_carry_no_inline_code_the_policy_blocks(acme):
    browser = _signed_in("localhost", "public")
    _assert_clean(browser, "localhost", [
        "/admin/",
        "/admin/tenancy/tenant/",
        "/admin/tenancy/tenant/add/",
        f"/admin/tenancy/tenant/{acme.pk}/change/",
        "/admin/tenancy/domain/",
        "/admin/tenancy/country/",
        "/admin/axes/accesslog/",
    ])  # fmt: skip
    assert Tenant.objects.filter(pk=acme.pk).exists()


def test_the_admins_own_inline_style_carries_the_policys_nonce(acme, monkeypatch):
    # A changelist without action bars adds a <style> of its own, with the nonce.
    contract_admin = tenant_admin_site._registry[Contract]
    monkeypatch.setattr(contract_admin, "actions_on_top", False)
    monkeypatch.setattr(contract_admin, "actions_on_bottom", False)
    browser = _signed_in("acme.localhost", "acme")
    response = browser.get("/admin/data_access/contract/", HTTP_HOST="acme.localhost")
    assert "<style nonce=" in response.content.decode()
    assert _nonces(response["Content-Security-Policy"], "style-src")
    assert blocked_inline_code(response) == []
