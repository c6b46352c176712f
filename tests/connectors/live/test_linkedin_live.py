"""Live smoke test against the real LinkedIn API, read-only (nothing is posted or deleted),
with an access token of a member who administers the page (from the app's OAuth token
generator in the LinkedIn Developer Portal, or a connected account), the app approved for the
Community Management API:

    PARVIS_LIVE_LINKEDIN_ORGANIZATION=2414183 PARVIS_LIVE_LINKEDIN_TOKEN=AQX… \
        python -m pytest tests/connectors/live/test_linkedin_live.py
"""

import datetime as dt
import os

import pytest

from parvis.connectors import http
from parvis.connectors.base import MetricsContext
from parvis.connectors.linkedin import LinkedInConnector
from parvis.connectors.linkedin import api as li
from parvis.connectors.services import do_connect_account
from parvis.listening.models import SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source

ORGANIZATION = os.environ.get("PARVIS_LIVE_LINKEDIN_ORGANIZATION", "")
TOKEN = os.environ.get("PARVIS_LIVE_LINKEDIN_TOKEN", "")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (ORGANIZATION and TOKEN),
        reason="set PARVIS_LIVE_LINKEDIN_ORGANIZATION and PARVIS_LIVE_LINKEDIN_TOKEN",
    ),
]


@pytest.fixture
def account(workspace):
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    credentials = {
        "organization": f"urn:li:organization:{ORGANIZATION}",
        "access_token": TOKEN,
        "expires_at": later.isoformat(),
    }
    return do_connect_account(
        workspace,
        None,
        network="linkedin",
        handle=f"urn:li:organization:{ORGANIZATION}",
        credentials=credentials,
    )


def test_the_page_is_administered_and_its_comments_read(workspace, account):
    with http.client() as client:
        from parvis.connectors.linkedin import oauth

        assert ORGANIZATION in oauth.administered(li.Api(client, TOKEN))
    source = do_create_source(
        workspace, kind="linkedin", name="live linkedin", config={"posts": 5}, account=account
    )
    summary = run_source(source.pk, http_client=LinkedInConnector.http_client())
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.rejected == 0


def test_the_statistics_are_read(account):
    with http.client() as client:
        page = LinkedInConnector.for_account(account, http=client)
        assert page.account_metrics(MetricsContext()).followers is not None
        posts = page.recent_posts(li.Api(client, TOKEN), f"urn:li:organization:{ORGANIZATION}", 3)
        counts = page.post_metrics(posts, MetricsContext())
    assert {c.external_id for c in counts} <= set(posts)
