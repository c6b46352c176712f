"""Live smoke test against the real Threads API, read-only (nothing is posted or hidden), with
a long-lived Threads access token (from the app dashboard's User Token Generator, or a
connected account):

    PARVIS_LIVE_THREADS_USER_ID=1784… PARVIS_LIVE_THREADS_USERNAME=… \
    PARVIS_LIVE_THREADS_TOKEN=THQVJ… \
        python -m pytest tests/connectors/live/test_threads_live.py
"""

import os

import pytest

from parvis.connectors import http
from parvis.connectors.base import MetricsContext
from parvis.connectors.services import do_connect_account
from parvis.connectors.threads import ThreadsConnector
from parvis.listening.models import SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source

USER_ID = os.environ.get("PARVIS_LIVE_THREADS_USER_ID", "")
USERNAME = os.environ.get("PARVIS_LIVE_THREADS_USERNAME", "")
TOKEN = os.environ.get("PARVIS_LIVE_THREADS_TOKEN", "")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (USER_ID and USERNAME and TOKEN),
        reason="set PARVIS_LIVE_THREADS_USER_ID, PARVIS_LIVE_THREADS_USERNAME and "
        "PARVIS_LIVE_THREADS_TOKEN",
    ),
]


@pytest.fixture
def account(workspace):
    credentials = {"user_id": USER_ID, "username": USERNAME, "access_token": TOKEN}
    return do_connect_account(
        workspace, None, network="threads", handle=USERNAME, credentials=credentials
    )


def test_the_replies_are_read(workspace, account):
    source = do_create_source(
        workspace,
        kind="threads",
        name="live threads",
        config={"posts": 5, "backfill_pages": 1},
        account=account,
    )
    summary = run_source(source.pk, http_client=ThreadsConnector.http_client())
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.rejected == 0


def test_the_quota_and_the_insights_are_read(account):
    with http.client() as client:
        profile = ThreadsConnector.for_account(account, http=client)
        limits = profile.publish_limits()
        assert limits.posts_per_window and limits.posts_left is not None
        from parvis.connectors.threads import api

        latest = api.Api(client, TOKEN).get(f"{USER_ID}/threads", {"fields": "id", "limit": "1"})
        ids = [p["id"] for p in latest.get("data", [])]
        counts = profile.post_metrics(ids, MetricsContext())
    assert [c.external_id for c in counts] == ids
