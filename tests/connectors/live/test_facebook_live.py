"""Live smoke test against the real Graph API, read-only (nothing is posted, hidden or
deleted), with a Page access token (from Graph API Explorer or a connected Page):

    PARVIS_LIVE_FACEBOOK_PAGE_ID=1048576… \
    PARVIS_LIVE_FACEBOOK_PAGE_TOKEN=EAA… \
        python -m pytest tests/connectors/live/test_facebook_live.py

Optional: PARVIS_LIVE_FACEBOOK_APP_SECRET (then every call carries appsecret_proof, as when
the app requires it).
"""

import datetime as dt
import os

import pytest

from parvis.connectors import http
from parvis.connectors.facebook import FacebookConnector
from parvis.connectors.services import do_connect_account
from parvis.listening.models import SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source

PAGE_ID = os.environ.get("PARVIS_LIVE_FACEBOOK_PAGE_ID", "")
TOKEN = os.environ.get("PARVIS_LIVE_FACEBOOK_PAGE_TOKEN", "")
SECRET = os.environ.get("PARVIS_LIVE_FACEBOOK_APP_SECRET", "")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (PAGE_ID and TOKEN),
        reason="set PARVIS_LIVE_FACEBOOK_PAGE_ID and PARVIS_LIVE_FACEBOOK_PAGE_TOKEN",
    ),
]


@pytest.fixture
def account(workspace):
    credentials = {"page_id": PAGE_ID, "page_access_token": TOKEN, "app_secret": SECRET}
    return do_connect_account(
        workspace, None, network="facebook", handle=PAGE_ID, credentials=credentials
    )


@pytest.mark.parametrize("mode", ["comments", "mentions"])
def test_the_page_is_read(workspace, account, mode):
    source = do_create_source(
        workspace,
        kind="facebook",
        name=f"live {mode}",
        config={"mode": mode, "posts": 5, "backfill_pages": 1},
        account=account,
    )
    summary = run_source(source.pk, http_client=FacebookConnector.http_client())
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.rejected == 0


def test_the_pages_figures_are_read(account):
    with http.client() as client:
        page = FacebookConnector.for_account(account, http=client)
        today = dt.datetime.now(dt.UTC).date()
        days = page.page_metrics(today - dt.timedelta(days=7), today)
    assert set(days) == {"page_follows", "page_total_media_view_unique"}
