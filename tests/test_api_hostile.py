"""Hostile JSON sent to the API: lone surrogates, NUL, NaN/Infinity, deep nesting, a forged
page cursor. Each is a 400 or 422 that says why, never a 500, and nothing is stored."""

from __future__ import annotations

import base64
import json

import pytest

from parvis.listening.forms import encode_cursor
from parvis.listening.ingest import ingest_lines
from parvis.listening.models import MonitoredQuery
from parvis.workspaces.strategy import get_strategy
from tests.conftest import bearer
from tests.listening.factories import lines, mention

pytestmark = pytest.mark.django_db

API = "/api/v1/workspaces/lumiere"


@pytest.fixture
def headers(owner):
    return bearer(owner)


def send(client, method: str, path: str, body: str, headers):
    call = getattr(client, method)
    return call(API + path, body, content_type="application/json", **headers)


QUERY_BODIES = {
    "lone surrogate in name": (
        '{"name": "\\ud800", "kind": "brand", "expression": "x"}',
        "lone surrogate",
    ),
    "lone low surrogate": (
        '{"name": "a\\udfffb", "kind": "brand", "expression": "x"}',
        "lone surrogate",
    ),
    "NUL in expression": ('{"name": "n", "kind": "brand", "expression": "a\\u0000"}', "NUL"),
    "surrogate in a key": (
        '{"name": "n", "kind": "brand", "expression": "x", "\\ud800": 1}',
        "lone surrogate",
    ),
    "Infinity": (
        '{"name": "n", "kind": "brand", "expression": "x", "extra": Infinity}',
        "Infinity",
    ),
    "NaN": ('{"name": "n", "kind": "brand", "expression": "x", "extra": NaN}', "NaN"),
    "nested 3,000 deep": ("[" * 3000 + "]" * 3000, "nested too deeply"),
}


@pytest.mark.parametrize("case", list(QUERY_BODIES), ids=list(QUERY_BODIES))
def test_hostile_query_bodies_are_400_with_the_reason(client, headers, workspace, case):
    body, reason = QUERY_BODIES[case]
    response = send(client, "post", "/queries", body, headers)
    assert response.status_code == 400, response.content
    assert reason in response.json()["detail"]
    assert not MonitoredQuery.objects.exists()


@pytest.mark.parametrize(
    "body",
    ['{"tone": "Chaleureux \\ud800"}', '{"positioning": "\\u0000"}', '{"tone": NaN}'],
)
def test_hostile_strategy_patch_is_400_and_changes_nothing(client, headers, workspace, body):
    response = send(client, "patch", "/strategy", body, headers)
    assert response.status_code == 400, response.content
    assert "cannot be stored" in response.json()["detail"] or "NaN" in response.json()["detail"]
    assert get_strategy(workspace).tone == ""


def test_emoji_and_escaped_backslashes_are_fine(client, headers, workspace):
    body = json.dumps({"name": "Bougie 🕯 \\ud800", "kind": "brand", "expression": "bougie"})
    response = send(client, "post", "/queries", body, headers)
    assert response.status_code == 201, response.content
    assert MonitoredQuery.objects.get().name == "Bougie 🕯 \\ud800"


def forged(value: list) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        forged(["date", "9999-12-31T23:59:59-05:00", 5]),
        forged(["date", "0001-01-01T00:00:00+05:00", 5]),
        forged(["date", "2026-11-01T00:00:00", 5]),
        forged(["date", 12, 5]),
    ],
)
def test_a_forged_cursor_is_422_with_a_clear_message(
    client, headers, workspace, owner_client, cursor
):
    ingest_lines(workspace, lines([mention(1), mention(2)]))
    response = client.get(f"{API}/mentions", {"cursor": cursor}, **headers)
    assert response.status_code == 422, response.content
    assert list(response.json()["detail"]) == ["cursor"]  # « Ce lien de page n'est plus valable »
    assert owner_client.get("/w/lumiere/listening/", {"cursor": cursor}).status_code == 200


def test_a_cursor_from_a_stored_extreme_date_still_works(client, headers, workspace):
    ingest_lines(workspace, lines([mention(1), mention(2)]))
    cursor = encode_cursor("date", "9999-12-31T23:59:59+00:00", 2**40)
    response = client.get(f"{API}/mentions", {"cursor": cursor}, **headers)
    assert response.status_code == 200 and len(response.json()["items"]) == 2
