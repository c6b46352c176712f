"""Live smoke test against Reddit's OAuth API, with your own app and account.

Web app (refresh token from the authorization-code flow):
    PARVIS_LIVE_REDDIT_CLIENT_ID=… PARVIS_LIVE_REDDIT_CLIENT_SECRET=… \
    PARVIS_LIVE_REDDIT_REFRESH_TOKEN=… \
    python -m pytest tests/connectors/live/test_reddit_live.py
Script app (single-user install): instead of the refresh token,
    PARVIS_LIVE_REDDIT_USERNAME=… PARVIS_LIVE_REDDIT_PASSWORD=…
Optional: PARVIS_LIVE_REDDIT_QUERY (default "python").
"""

import datetime as dt
import os

import pytest

from parvis.connectors import http
from parvis.connectors.reddit import RedditConnector, api
from parvis.connectors.services import do_connect_account
from parvis.listening.models import Mention, MonitoredQuery, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source

ENV = os.environ.get
HAS_APP = bool(ENV("PARVIS_LIVE_REDDIT_CLIENT_ID") and ENV("PARVIS_LIVE_REDDIT_CLIENT_SECRET"))
HAS_GRANT = bool(
    ENV("PARVIS_LIVE_REDDIT_REFRESH_TOKEN")
    or (ENV("PARVIS_LIVE_REDDIT_USERNAME") and ENV("PARVIS_LIVE_REDDIT_PASSWORD"))
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (HAS_APP and HAS_GRANT),
        reason="set PARVIS_LIVE_REDDIT_CLIENT_ID, _CLIENT_SECRET and _REFRESH_TOKEN "
        "(or _USERNAME and _PASSWORD) to call the real Reddit API",
    ),
]


def live_account(workspace):
    client_id = ENV("PARVIS_LIVE_REDDIT_CLIENT_ID", "")
    client_secret = ENV("PARVIS_LIVE_REDDIT_CLIENT_SECRET", "")
    if ENV("PARVIS_LIVE_REDDIT_REFRESH_TOKEN"):
        credentials = {
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": ENV("PARVIS_LIVE_REDDIT_REFRESH_TOKEN", ""),
        }
        body = api.request_token(
            http.client(),
            client_id,
            client_secret,
            {"grant_type": "refresh_token", "refresh_token": credentials["refresh_token"]},
        )
        credentials |= api.token_fields(body)
        handle = "u/" + api.me(http.client(), credentials["access_token"])
    else:
        info = RedditConnector.login(
            http.client(),
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "username": ENV("PARVIS_LIVE_REDDIT_USERNAME", ""),
                "password": ENV("PARVIS_LIVE_REDDIT_PASSWORD", ""),
            },
        )
        credentials, handle = info.credentials, info.handle
    return do_connect_account(
        workspace, None, network="reddit", handle=handle, credentials=credentials
    )


def test_live_search_and_inbox(workspace):
    word = ENV("PARVIS_LIVE_REDDIT_QUERY", "python")
    MonitoredQuery.objects.create(workspace=workspace, name="Live", kind="topic", expression=word)
    account = live_account(workspace)
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
    search = do_create_source(
        workspace,
        kind="reddit",
        name="Reddit live",
        config={"mode": "search", "since": since},
        account=account,
    )
    summary = run_source(search.pk, http_client=http.client())
    search.refresh_from_db()
    assert search.status == SourceStatus.OK, search.last_error
    assert summary.stored > 0
    mention = Mention.objects.order_by("-published_at").first()
    assert mention.external_id.startswith("t3_")
    assert mention.url.startswith("https://www.reddit.com/r/")
    inbox = do_create_source(
        workspace, kind="reddit", name="Inbox live", config={"mode": "inbox"}, account=account
    )
    run_source(inbox.pk, http_client=http.client())
    inbox.refresh_from_db()
    assert inbox.status == SourceStatus.OK, inbox.last_error
