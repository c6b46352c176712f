"""Live smoke test against the real Instagram Graph API, read-only (nothing is posted, hidden
or deleted), with the token of the Page the Instagram professional account is linked to:

    PARVIS_LIVE_INSTAGRAM_USER_ID=178414… \
    PARVIS_LIVE_INSTAGRAM_PAGE_TOKEN=EAA… \
        python -m pytest tests/connectors/live/test_instagram_live.py

Optional: PARVIS_LIVE_INSTAGRAM_APP_SECRET (every call then carries appsecret_proof).
"""

import os

import pytest

from parvis.connectors.base import MetricsContext
from parvis.connectors.instagram import InstagramConnector
from parvis.connectors.services import do_connect_account
from parvis.listening.models import SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source

USER_ID = os.environ.get("PARVIS_LIVE_INSTAGRAM_USER_ID", "")
TOKEN = os.environ.get("PARVIS_LIVE_INSTAGRAM_PAGE_TOKEN", "")
SECRET = os.environ.get("PARVIS_LIVE_INSTAGRAM_APP_SECRET", "")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (USER_ID and TOKEN),
        reason="set PARVIS_LIVE_INSTAGRAM_USER_ID and PARVIS_LIVE_INSTAGRAM_PAGE_TOKEN",
    ),
]


@pytest.fixture
def account(workspace):
    credentials = {"ig_user_id": USER_ID, "page_access_token": TOKEN, "app_secret": SECRET}
    return do_connect_account(
        workspace, None, network="instagram", handle=USER_ID, credentials=credentials
    )


@pytest.mark.parametrize("mode", ["comments", "mentions"])
def test_the_account_is_read(workspace, account, mode):
    source = do_create_source(
        workspace,
        kind="instagram",
        name=f"live {mode}",
        config={"mode": mode, "posts": 3, "backfill_pages": 1},
        account=account,
    )
    summary = run_source(source.pk, http_client=InstagramConnector.http_client())
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.rejected == 0


def test_the_limit_and_the_latest_posts_counts_are_read(account):
    connector = InstagramConnector.for_account(account, http=InstagramConnector.http_client())
    limits = connector.publish_limits()
    assert limits.posts_per_window and limits.posts_left is not None
    api, user_id = connector.api()
    latest = [m["id"] for m in api.get(f"{user_id}/media", {"fields": "id", "limit": "3"})["data"]]
    counts = connector.post_metrics(latest, MetricsContext())
    assert [c.external_id for c in counts] == latest
