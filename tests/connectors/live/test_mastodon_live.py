"""Live smoke tests against a real Mastodon instance.

Public hashtag timeline (no account):

    PARVIS_LIVE_MASTODON_INSTANCE=https://mastodon.social \
        python -m pytest tests/connectors/live/test_mastodon_live.py

With an account (word search, live stream, notifications): also set
PARVIS_LIVE_MASTODON_TOKEN to a user access token with the "read" scope (Preferences →
Development → New application on the instance, or the token Parvis stored when connecting).

Optional: PARVIS_LIVE_MASTODON_HASHTAG (default "mastodon": a tag used every minute there),
PARVIS_LIVE_MASTODON_QUERY (default "mastodon": a word searched with the token).
"""

import os

import pytest

from parvis.connectors import http
from parvis.connectors.mastodon.api import Api, normalize_instance
from parvis.connectors.services import do_connect_account
from parvis.listening.models import Mention, MonitoredQuery, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source

INSTANCE = os.environ.get("PARVIS_LIVE_MASTODON_INSTANCE", "")
TOKEN = os.environ.get("PARVIS_LIVE_MASTODON_TOKEN", "")
TAG = os.environ.get("PARVIS_LIVE_MASTODON_HASHTAG", "mastodon").lstrip("#")
WORD = os.environ.get("PARVIS_LIVE_MASTODON_QUERY", "mastodon")

needs_instance = pytest.mark.skipif(not INSTANCE, reason="set PARVIS_LIVE_MASTODON_INSTANCE")
needs_account = pytest.mark.skipif(
    not (INSTANCE and TOKEN),
    reason="set PARVIS_LIVE_MASTODON_INSTANCE and PARVIS_LIVE_MASTODON_TOKEN",
)
pytestmark = pytest.mark.django_db


@pytest.fixture
def account(workspace):
    instance = normalize_instance(INSTANCE)
    with http.client() as client:
        api = Api(client, instance, TOKEN)
        me = api.get("/api/v1/accounts/verify_credentials").json()
    assert me["username"]
    return do_connect_account(
        workspace,
        None,
        network="mastodon",
        handle=f"@{me['username']}@{api.host}",
        display_name=me.get("display_name") or me["username"],
        credentials={"instance_url": instance, "access_token": TOKEN},
    )


def run(source):
    with http.client() as client:
        summary = run_source(source.pk, http_client=client)
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    return summary


@needs_instance
def test_live_hashtag_timeline_without_account(workspace):
    MonitoredQuery.objects.create(
        workspace=workspace, name="Live", kind="topic", expression=f"#{TAG}"
    )
    source = do_create_source(
        workspace,
        kind="mastodon",
        name="Live hashtag",
        config={"mode": "search", "instance_url": INSTANCE, "backfill_days": 1},
    )
    assert run(source).stored > 0
    mention = Mention.objects.order_by("-published_at").first()
    assert mention.external_id.startswith(source.config["instance_url"].split("//")[1] + ":")
    assert mention.author.handle.count("@") == 2 and mention.text
    # A second run reads from the stored position: nearly everything is known already.
    again = run(source)
    assert again.stored < 40


@needs_account
def test_live_search_with_the_account(workspace, account):
    MonitoredQuery.objects.create(workspace=workspace, name="Live", kind="topic", expression=WORD)
    source = do_create_source(
        workspace,
        kind="mastodon",
        name="Live search",
        config={"mode": "search", "backfill_days": 1},
        account=account,
    )
    run(source)  # instances without full-text search answer no statuses: no error either way
    assert WORD in source.cursor["terms"]


@needs_account
def test_live_stream_catches_up_then_listens(workspace, account):
    source = do_create_source(
        workspace,
        kind="mastodon",
        name="Live stream",
        config={"mode": "stream", "tag": TAG, "window_seconds": 5, "keep_all": True},
        account=account,
    )
    run(source)  # the timeline first, then 5 seconds of the stream
    assert "timeline" in source.cursor


@needs_account
def test_live_notifications(workspace, account):
    source = do_create_source(
        workspace,
        kind="mastodon",
        name="Live notifications",
        config={"mode": "notifications", "backfill_days": 30},
        account=account,
    )
    run(source)
    assert set(source.cursor["feeds"]) <= {"notifications", "conversations"}
