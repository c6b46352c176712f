"""Listening API: mentions with the explorer's filters and cursor pages, one mention, monitored
queries (CRUD, 422 with the syntax error's position), preview, roles and query counts."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parvis.listening.ingest import ingest_lines
from parvis.listening.models import Mention, MonitoredQuery
from parvis.workspaces.models import NetworkChoice
from parvis.workspaces.roles import Role
from tests.conftest import bearer
from tests.listening.factories import lines, mention
from tests.listening.test_explorer import HOSTILE_TEXT, build_corpus, item

pytestmark = pytest.mark.django_db

API = "/api/v1/workspaces/lumiere"


@pytest.fixture
def corpus(workspace):
    return build_corpus(workspace)


@pytest.fixture
def headers(owner):
    return bearer(owner)


def get(client, headers, path, **params):
    response = client.get(API + path, params, **headers)
    return response.status_code, response.json()


def ext(items) -> list[str]:
    return [i["external_id"].removeprefix("ext-") for i in items]


def test_mentions_list_with_filters(client, headers, corpus):
    status, body = get(client, headers, "/mentions")
    assert status == 200
    assert body["count"] == 7 and body["count_capped"] is False and body["next"] is None
    assert ext(body["items"]) == ["g", "f", "e1", "d", "c", "b", "a"]
    head = body["items"][2]
    assert head["group_size"] == 3 and head["author"]["handle"] == "fan1.bsky.social"
    brand = MonitoredQuery.objects.get(kind="brand")
    assert brand.pk in head["queries"]
    assert body["items"][1]["text"] == HOSTILE_TEXT  # JSON carries text as it was written

    cases = {
        "sentiment=negative": ["f", "b"],
        "network=rss": ["c"],
        "lang=en": ["d"],
        "since=2026-11-05": ["g", "f"],
        "until=2026-11-01": ["a"],
        "since=2026-11-03T00:00:00Z&until=2026-11-04T00:00:00Z": ["d", "c"],
        "q=societe": ["c"],
        f"query={MonitoredQuery.objects.get(kind='competitor').pk}": ["d"],
        "author=alice.bsky.social": ["a"],
        "min_reach=2000": ["g", "a"],
    }
    for query, expected in cases.items():
        response = client.get(f"{API}/mentions?{query}", **headers)
        assert ext(response.json()["items"]) == expected, query


def test_the_api_has_the_pages_filters_sorts_and_counts(client, headers, workspace, corpus):
    NetworkChoice.objects.create(
        workspace=workspace, network="bluesky", handle="lumiere.bsky.social"
    )
    Mention.objects.filter(external_id="ext-f").update(toxicity=0.9, spam=0.7)
    status, body = get(client, headers, "/mentions")
    assert status == 200 and body["count"] == 6 and body["mentions"] == 8  # g left out
    assert body["mentions_capped"] is False
    cases = {
        "own=only": ["g"],
        "toxic=toxic": ["f"],
        "spam=hide": ["e1", "d", "c", "b", "a"],
        "q=retard OR boutique": ["c", "b"],
        "sort=negative&limit=2": ["b", "f"],
    }
    for query, expected in cases.items():
        response = client.get(f"{API}/mentions?{query}", **headers)
        assert ext(response.json()["items"]) == expected, query
    mine = client.get(f"{API}/mentions?own=all", **headers).json()["items"]
    assert [i["own_account"] for i in mine] == [True] + [False] * 6
    status, body = get(client, headers, "/mentions", q="lang:fr", own="nobody")
    assert status == 422 and set(body["detail"]) == {"q", "own"}


def test_mentions_pages_follow_next_until_the_end(client, headers, corpus):
    seen = []
    url = f"{API}/mentions?limit=2&sort=engagement&network=bluesky"
    while url:
        parts = urlsplit(url)
        body = client.get(f"{parts.path}?{parts.query}", **headers).json()
        assert body["count"] == 5
        seen += ext(body["items"])
        url = body["next"]
        if url:
            assert url.startswith("http://testserver/api/v1/") and "network=bluesky" in url
    assert len(seen) == 5 and seen[:2] == ["a", "g"]


def test_page_size_is_bounded(client, headers, workspace):
    ingest_lines(workspace, lines([mention(i) for i in range(205)]))
    status, body = get(client, headers, "/mentions", limit=1000)
    assert status == 200 and len(body["items"]) == 200 and body["next"]
    _, body = get(client, headers, "/mentions")
    assert len(body["items"]) == 50


def test_bad_filters_are_422_with_the_fields(client, headers, corpus):
    status, body = get(client, headers, "/mentions", since="31/12/2026", sentiment="angry")
    assert status == 422 and set(body["detail"]) == {"since", "sentiment"}
    status, body = get(client, headers, "/mentions", cursor="garbage")
    assert status == 422 and "cursor" in body["detail"]


def test_one_mention(client, headers, corpus, other_workspace):
    status, body = get(client, headers, f"/mentions/{corpus['a'].pk}")
    assert status == 200
    assert body["author"]["followers"] == 50_000 and body["engagement"] == 48
    assert body["sentiment"] == "positive" and "toxicity_categories" in body
    ingest_lines(other_workspace, lines([mention(1)]))
    from parvis.listening.models import Mention

    foreign = Mention.objects.get(workspace=other_workspace).pk
    assert client.get(f"{API}/mentions/{foreign}", **headers).status_code == 404


def test_queries_crud(client, headers, workspace):
    body = {"name": "Marque", "kind": "brand", "expression": '"maison lumiere"'}
    response = client.post(f"{API}/queries", body, content_type="application/json", **headers)
    assert response.status_code == 201
    created = response.json()
    assert created["is_active"] is True and created["kind"] == "brand"
    path = f"{API}/queries/{created['id']}"
    assert client.get(path, **headers).json()["name"] == "Marque"
    assert [q["name"] for q in client.get(f"{API}/queries", **headers).json()] == ["Marque"]
    body = {**body, "expression": "lumiere", "is_active": False}
    response = client.put(path, body, content_type="application/json", **headers)
    assert response.status_code == 200 and response.json()["expression"] == "lumiere"
    assert client.delete(path, **headers).status_code == 204
    assert client.get(path, **headers).status_code == 404


def test_a_bad_expression_is_422_with_its_position(client, headers, workspace):
    body = {"name": "Marque", "kind": "brand", "expression": "bougie AND (cire"}
    response = client.post(f"{API}/queries", body, content_type="application/json", **headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unbalanced_paren"
    assert (error["position"], error["character"]) == (11, 12)
    assert "12" in response.json()["detail"]["expression"][0]
    body["name"], body["expression"] = "x", "ok"
    client.post(f"{API}/queries", body, content_type="application/json", **headers)
    response = client.post(f"{API}/queries", body, content_type="application/json", **headers)
    assert response.status_code == 422 and "name" in response.json()["detail"]
    assert MonitoredQuery.objects.count() == 1


def test_preview(client, headers, corpus):
    response = client.post(
        f"{API}/queries/preview",
        {"expression": "livraison OR societe"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["scanned"], body["matched"]) == (9, 2)
    first = body["items"][0]  # c: title then text
    joined = f"{first['title']}\n{first['text']}"
    assert [joined[s:e] for s, e in first["highlights"]] == ["Société", "Société"]
    response = client.post(
        f"{API}/queries/preview",
        {"expression": '"cire'},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 422 and response.json()["error"]["position"] == 0


def test_an_analyst_reads_but_cannot_write(client, workspace, member_factory, corpus):
    headers = bearer(member_factory(Role.ANALYST))
    query = MonitoredQuery.objects.get(kind="brand")
    assert client.get(f"{API}/mentions", **headers).status_code == 200
    assert client.get(f"{API}/queries/{query.pk}", **headers).status_code == 200
    body = {"name": "x", "kind": "brand", "expression": "x"}
    for method, path in [
        ("post", "/queries"),
        ("put", f"/queries/{query.pk}"),
        ("post", "/queries/preview"),
    ]:
        response = getattr(client, method)(
            API + path, body, content_type="application/json", **headers
        )
        assert response.status_code == 403, path
    assert client.delete(f"{API}/queries/{query.pk}", **headers).status_code == 403


def test_list_queries_do_not_grow_with_the_page(client, headers, workspace, corpus):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{API}/mentions?limit=200", **headers).status_code == 200
        return len(ctx.captured_queries)

    count()  # the token's first use is recorded once
    before = count()
    ingest_lines(
        workspace,
        lines(
            [item(f"n{n}", f"Maison Lumière {n}", 2, author={"handle": f"h{n}"}) for n in range(40)]
        ),
    )
    assert count() == before
