"""Live smoke tests against the real Bluesky network.

Account (search and notifications, through the account's PDS and the Bluesky AppView):

    PARVIS_LIVE_BLUESKY_HANDLE=you.bsky.social \
    PARVIS_LIVE_BLUESKY_APP_PASSWORD=xxxx-xxxx-xxxx-xxxx \
        python -m pytest tests/connectors/live/test_bluesky_live.py

Optional: PARVIS_LIVE_BLUESKY_SERVICE_URL (default https://bsky.social),
PARVIS_LIVE_BLUESKY_QUERY (default "bluesky": a word with posts every minute),
PARVIS_LIVE_BLUESKY_HANDLE_QUERY (default "@bsky.app": an account mentioned every minute).

Firehose (public, no account): PARVIS_LIVE_BLUESKY_FIREHOSE=1 reads wss://bsky.network (or
PARVIS_BLUESKY_FIREHOSE_URL) for a few seconds.
"""

import os

import pytest

from parvis.connectors import http
from parvis.connectors.bluesky import BlueskyConnector
from parvis.connectors.services import do_connect_account
from parvis.listening.models import Mention, MonitoredQuery, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source

HANDLE = os.environ.get("PARVIS_LIVE_BLUESKY_HANDLE", "")
PASSWORD = os.environ.get("PARVIS_LIVE_BLUESKY_APP_PASSWORD", "")
SERVICE = os.environ.get("PARVIS_LIVE_BLUESKY_SERVICE_URL", "https://bsky.social")
WORD = os.environ.get("PARVIS_LIVE_BLUESKY_QUERY", "bluesky")

needs_account = pytest.mark.skipif(
    not (HANDLE and PASSWORD),
    reason="set PARVIS_LIVE_BLUESKY_HANDLE and PARVIS_LIVE_BLUESKY_APP_PASSWORD",
)
pytestmark = pytest.mark.django_db


@pytest.fixture
def account(workspace):
    with http.client() as client:
        info = BlueskyConnector.login(
            client, {"handle": HANDLE, "app_password": PASSWORD, "service_url": SERVICE}
        )
    assert info.credentials["did"].startswith("did:")
    return do_connect_account(
        workspace,
        None,
        network="bluesky",
        handle=info.handle,
        display_name=info.display_name,
        credentials=info.credentials,
    )


@needs_account
def test_live_search_stores_recent_posts_and_resumes(workspace, account):
    MonitoredQuery.objects.create(workspace=workspace, name="Live", kind="topic", expression=WORD)
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky live",
        config={"mode": "search", "backfill_pages": 1, "page_size": 25},
        account=account,
    )
    summary = run_source(source.pk, http_client=http.client())
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.stored > 0
    mention = Mention.objects.order_by("-published_at").first()
    assert mention.external_id.startswith("at://") and "/app.bsky.feed.post/" in mention.external_id
    assert mention.url.startswith("https://bsky.app/profile/")
    assert source.cursor["terms"][WORD]["newest"]["uri"].startswith("at://")
    # The stored session is reused: the second run needs no new login.
    again = run_source(source.pk, http_client=http.client())
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert again.rejected == 0


@needs_account
def test_live_search_for_a_handle_finds_mentions(workspace, account):
    """Whether Bluesky search answers an "@handle" term (what a query naming an account
    becomes) with the posts mentioning it; PARVIS_LIVE_BLUESKY_HANDLE_QUERY (default
    @bsky.app) names a much-mentioned account."""
    handle = os.environ.get("PARVIS_LIVE_BLUESKY_HANDLE_QUERY", "@bsky.app")
    MonitoredQuery.objects.create(
        workspace=workspace, name="Handle", kind="brand", expression=handle
    )
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky handle",
        config={"mode": "search", "backfill_pages": 1, "page_size": 25},
        account=account,
    )
    summary = run_source(source.pk, http_client=http.client())
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.stored > 0


@needs_account
def test_live_notifications_run(workspace, account):
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky notifications",
        config={"mode": "notifications", "backfill_pages": 1},
        account=account,
    )
    summary = run_source(source.pk, http_client=http.client())
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.rejected == 0
    assert "notifications" in source.cursor


@pytest.mark.skipif(
    os.environ.get("PARVIS_LIVE_BLUESKY_FIREHOSE") != "1",
    reason="set PARVIS_LIVE_BLUESKY_FIREHOSE=1 to read the real firehose",
)
def test_live_firehose_window(workspace):
    # Common enough that a few seconds of the whole network's posts contain it.
    MonitoredQuery.objects.create(workspace=workspace, name="Live", kind="topic", expression="the")
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Firehose live",
        config={"mode": "firehose", "window_seconds": 5, "max_events": 100_000},
    )
    summary = run_source(source.pk, http_client=http.client())
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert isinstance(source.cursor.get("seq"), int)
    assert summary.stored > 0
    assert Mention.objects.filter(url__startswith="https://bsky.app/profile/").exists()
