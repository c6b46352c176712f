"""Live smoke tests against the real X API v2, with a user access token of your own app
(OAuth 2.0 user context, e.g. the one Parvis stored when connecting, or one from
developer.x.com's OAuth 2.0 tools):

    PARVIS_LIVE_X_ACCESS_TOKEN=… python -m pytest tests/connectors/live/test_x_live.py

Reads who the account is (every tier), then its mentions (Basic or above:
PARVIS_LIVE_X_TIER=basic, the default). With PARVIS_LIVE_X_PUBLISH=1 it also publishes one
post, finds it again among the account's posts, reads its counts and deletes it.
"""

import datetime as dt
import os

import pytest

from parvis.connectors import http
from parvis.connectors.base import (
    FetchContext,
    MetricsContext,
    OutgoingPost,
    PublishContext,
)
from parvis.connectors.services import do_connect_account
from parvis.connectors.x import XConnector
from parvis.connectors.x.api import Api

TOKEN = os.environ.get("PARVIS_LIVE_X_ACCESS_TOKEN", "")
TIER = os.environ.get("PARVIS_LIVE_X_TIER", "basic")
PUBLISH = os.environ.get("PARVIS_LIVE_X_PUBLISH", "") == "1"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not TOKEN, reason="set PARVIS_LIVE_X_ACCESS_TOKEN"),
]


@pytest.fixture
def connector(workspace):
    client = http.client()
    me = Api(client, TOKEN).get("users/me", {}, needs="free")["data"]
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    account = do_connect_account(
        workspace,
        None,
        network="x",
        handle=f"@{me['username']}",
        credentials={
            "access_token": TOKEN,
            "expires_at": later,
            "user_id": me["id"],
            "username": me["username"],
            "tier": TIER,
        },
    )
    return XConnector.for_account(account, {"mode": "mentions"}, http=client)


@pytest.mark.skipif(TIER == "free", reason="reading mentions needs Basic or above")
def test_mentions_are_read(connector):
    result = connector.fetch({}, FetchContext())
    assert "since_id" in result.cursor or "pass" in result.cursor
    assert all(item.error or item.data["network"] == "x" for item in result.items)


@pytest.mark.skipif(not PUBLISH, reason="set PARVIS_LIVE_X_PUBLISH=1 to post and delete")
def test_publish_find_count_delete(connector):
    start = dt.datetime.now(dt.UTC)
    text = f"Parvis smoke test {start:%Y-%m-%d %H:%M:%S} — deleted right away"
    post = connector.publish(OutgoingPost(text=text), PublishContext())
    try:
        if TIER != "free":
            assert connector.find_post(OutgoingPost(text=text), start, PublishContext()) == post
            [counts] = connector.post_metrics([post.external_id], MetricsContext())
            assert counts.likes == 0
    finally:
        assert connector.delete_post(post.external_id)
