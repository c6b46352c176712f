"""No page can be broken by stored data: rows written straight into the database, bypassing
validation (as data stored before it, or by hand, would be), with dates at the ends of what the
database holds and counts at the top of a 64-bit integer. Every listening page and the API
still answer 200."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from parvis.listening.ingest import ingest_lines
from parvis.listening.models import Author, Mention, MentionMatch, MonitoredQuery, Source
from parvis.listening.sources import do_create_source
from tests.conftest import bearer
from tests.listening.factories import lines, mention

pytestmark = pytest.mark.django_db

BASE = "/w/lumiere/listening/"
API = "/api/v1/workspaces/lumiere"
LAST = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
FIRST = dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.UTC)
TOP = 2**63 - 1  # the largest value a bigint column holds


@pytest.fixture
def hostile_rows(workspace):
    MonitoredQuery.objects.create(
        workspace=workspace, name="Bougies", kind="brand", expression="bougies"
    )
    ingest_lines(workspace, lines([mention(n) for n in range(1, 8)]))
    ids = list(Mention.objects.order_by("id").values_list("id", flat=True))
    Mention.objects.filter(pk__in=ids[:3]).update(published_at=LAST)
    Mention.objects.filter(pk__in=ids[3:5]).update(published_at=FIRST)
    Mention.objects.filter(pk__in=ids[5:]).update(
        likes=TOP, reposts=TOP, replies=TOP, engagement=TOP, reach=TOP
    )
    MentionMatch.objects.filter(mention_id__in=ids[:3]).update(published_at=LAST)
    Author.objects.update(last_seen_at=LAST, first_seen_at=FIRST, followers=TOP, engagement=TOP)
    source = do_create_source(
        workspace, kind="rss", name="Flux", config={"url": "https://example.com/feed"}
    )
    Source.objects.filter(pk=source.pk).update(newest_item_at=LAST, last_success_at=LAST)
    return ids


PAGES = [
    "",
    "?q=bougies",
    "?sort=date",
    "?sort=reach",
    "?sort=engagement",
    "?since=2026-01-01&until=2026-12-31",
    "export.csv",
    "overview/",
    "overview/?since=1990-01-01&until=2100-12-31",
    "sources/",
    "queries/",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_despite_stored_extremes(owner_client, hostile_rows, path):
    response = owner_client.get(BASE + path)
    assert response.status_code == 200
    if path == "export.csv":
        assert len(b"".join(response.streaming_content).splitlines()) == 8


def test_every_mention_detail_and_the_next_pages_answer(owner_client, hostile_rows):
    for pk in hostile_rows:
        assert owner_client.get(f"{BASE}mentions/{pk}/").status_code == 200
    page = owner_client.get(BASE, {"page_size": 2})
    assert page.status_code == 200


def test_query_preview_answers(owner_client, hostile_rows):
    response = owner_client.post(f"{BASE}queries/preview/", {"expression": "bougies"})
    assert response.status_code == 200
    assert "bougies" in response.content.decode().lower()


def test_api_pages_through_every_stored_mention(client, owner, hostile_rows):
    headers = bearer(owner)
    for sort in ("date", "reach", "engagement"):
        seen, url = [], f"{API}/mentions?sort={sort}&limit=2"
        for _ in range(10):
            response = client.get(url, **headers)
            assert response.status_code == 200, response.content
            body = response.json()
            seen += [item["id"] for item in body["items"]]
            if not body["next"]:
                break
            url = body["next"]
        assert sorted(seen) == sorted(hostile_rows), sort
    for pk in hostile_rows:
        response = client.get(f"{API}/mentions/{pk}", **headers)
        assert response.status_code == 200
        json.dumps(response.json())
    preview = client.post(
        f"{API}/queries/preview", {"expression": "bougies"}, "application/json", **headers
    )
    assert preview.status_code == 200


def test_the_time_zone_of_the_page_does_not_matter(owner_client, hostile_rows):
    with timezone.override("America/Los_Angeles"):
        assert owner_client.get(f"{BASE}mentions/{hostile_rows[3]}/").status_code == 200
    with timezone.override("Pacific/Kiritimati"):
        assert owner_client.get(f"{BASE}mentions/{hostile_rows[0]}/").status_code == 200
