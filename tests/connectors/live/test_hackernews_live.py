"""Live smoke test against the real Algolia Hacker News API (public, no account).

    PARVIS_LIVE_HACKERNEWS=1 python -m pytest tests/connectors/live/test_hackernews_live.py

Optional: PARVIS_LIVE_HACKERNEWS_QUERY (default "python"), a word common enough to have
items every day.
"""

import datetime as dt
import os

import pytest

from parvis.connectors import http
from parvis.listening.models import Mention, MonitoredQuery, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        os.environ.get("PARVIS_LIVE_HACKERNEWS") != "1",
        reason="set PARVIS_LIVE_HACKERNEWS=1 to search the real Hacker News API",
    ),
]


def test_live_search_stores_recent_items_and_resumes(workspace):
    word = os.environ.get("PARVIS_LIVE_HACKERNEWS_QUERY", "python")
    MonitoredQuery.objects.create(workspace=workspace, name="Live", kind="topic", expression=word)
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=6)).date().isoformat()
    source = do_create_source(workspace, kind="hackernews", name="HN live", config={"since": since})
    summary = run_source(source.pk, http_client=http.client())
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.stored > 0
    mention = Mention.objects.order_by("-published_at").first()
    assert mention.url.startswith("https://news.ycombinator.com/item?id=")
    assert mention.author.profile_url.startswith("https://news.ycombinator.com/user?id=")
    state = source.cursor["terms"][word]
    assert "window" not in state and state["since"] > 0
    again = run_source(source.pk, http_client=http.client())
    assert again.rejected == 0
