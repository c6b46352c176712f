"""Live smoke test against the real YouTube Data API v3 with an API key.

    PARVIS_LIVE_YOUTUBE_API_KEY=AIza… PARVIS_LIVE_YOUTUBE_CHANNEL_ID=UC… \
        python -m pytest tests/connectors/live/test_youtube_live.py

Costs 5 units (2 channel checks, 1 comments page, 1 videos and 1 channels call) and 1
search call of the key's daily quota. Optional:
PARVIS_LIVE_YOUTUBE_QUERY (default "python"), a word with new videos every day.
"""

import os

import pytest

from parvis.connectors import http
from parvis.connectors.services import do_connect_account
from parvis.connectors.youtube import YouTubeConnector
from parvis.connectors.youtube.models import YouTubeQuotaUsage
from parvis.listening.models import Mention, MonitoredQuery, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source

API_KEY = os.environ.get("PARVIS_LIVE_YOUTUBE_API_KEY", "")
CHANNEL_ID = os.environ.get("PARVIS_LIVE_YOUTUBE_CHANNEL_ID", "")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (API_KEY and CHANNEL_ID),
        reason="set PARVIS_LIVE_YOUTUBE_API_KEY and PARVIS_LIVE_YOUTUBE_CHANNEL_ID",
    ),
]


@pytest.fixture
def account(workspace):
    info = YouTubeConnector.login(http.client(), {"api_key": API_KEY, "channel_id": CHANNEL_ID})
    assert info.credentials["channel_id"] == CHANNEL_ID and info.handle
    return do_connect_account(
        workspace,
        None,
        network="youtube",
        handle=info.handle,
        display_name=info.display_name,
        credentials=info.credentials,
    )


def test_live_comments_of_the_channel(workspace, account):
    source = do_create_source(
        workspace,
        kind="youtube",
        name="YouTube comments live",
        config={"mode": "comments", "backfill_pages": 1},
        account=account,
    )
    run_source(source.pk, http_client=http.client())
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert "pass" not in source.cursor
    for mention in Mention.objects.all():
        assert mention.url.startswith("https://www.youtube.com/")
        assert "&lc=" in mention.url or "?lc=" in mention.url
    assert YouTubeQuotaUsage.objects.get().units == 1


def test_live_search_finds_recent_videos(workspace, account):
    word = os.environ.get("PARVIS_LIVE_YOUTUBE_QUERY", "python")
    MonitoredQuery.objects.create(workspace=workspace, name="Live", kind="topic", expression=word)
    source = do_create_source(
        workspace,
        kind="youtube",
        name="YouTube search live",
        config={"mode": "search", "backfill_pages": 1, "keep_all": True},
        account=account,
    )
    summary = run_source(source.pk, http_client=http.client())
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.stored > 0
    video = Mention.objects.order_by("-published_at").first()
    assert video.url.startswith("https://www.youtube.com/watch?v=") and video.title
    assert source.cursor["terms"][word]["after"]
    usage = YouTubeQuotaUsage.objects.get()
    assert (usage.searches, usage.units) == (1, 2)  # search; videos + their channels
    assert video.author.followers >= 0 and video.author.name
