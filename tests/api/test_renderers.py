"""JSON that never reads as markup, and the browsable API for staff in a browser."""

import json

import pytest

from api.renderers import MarkupSafeJSONRenderer
from conftest import BOTH_DATABASES
from tests.helpers import body

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)


def test_client_data_is_never_echoed_as_markup(acme_clients, acme_api):
    response = acme_api.get("/api/clients/", {"q": "<script>"})
    assert b"<script" not in response.content.lower()
    assert [r["name"] for r in body(response)["results"]] == ["<script>alert(1)</script>"]
    response = acme_api.get("/api/clients/", {"sort": "<script>"})
    assert response.status_code == 400 and b"<script" not in response.content.lower()


def test_angle_brackets_are_escaped_inside_strings_only():
    rendered = MarkupSafeJSONRenderer().render({"a<b": ["<i>", "x > y", "ok"]})
    assert rendered == b'{"a\\u003Cb":["\\u003Ci\\u003E","x \\u003E y","ok"]}'
    assert json.loads(rendered) == {"a<b": ["<i>", "x > y", "ok"]}
