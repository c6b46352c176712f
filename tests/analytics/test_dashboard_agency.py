"""The home page's dashboard (the last 30 days, each figure a link) and the agency view (one
row per workspace of the user, a fixed number of queries per row)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parvis.alerts.models import Crisis, Episode
from parvis.inbox.models import Conversation
from parvis.listening.models import MonitoredQuery
from parvis.workspaces.models import Objective
from parvis.workspaces.roles import Role
from parvis.workspaces.services import do_add_member, do_create_workspace
from tests.analytics import report_world as w
from tests.conftest import login

pytestmark = pytest.mark.django_db
KEYS = itertools.count()


def recent(workspace, owner=None, negative=2, positive=3, late=1, crisis=True):
    now = timezone.now()
    brand, _ = MonitoredQuery.objects.get_or_create(
        workspace=workspace, name="Marque", kind="brand", expression="lumiere"
    )
    for i in range(positive):
        w.mention(workspace, now - dt.timedelta(days=2, hours=i), "positive", brand)
    for i in range(negative):
        w.mention(workspace, now - dt.timedelta(days=3, hours=i), "negative", brand)
    for i in range(late + 1):
        opened = now - dt.timedelta(days=1, hours=i)
        Conversation.objects.create(
            workspace=workspace, network="bluesky", thread_key=f"t{next(KEYS)}", created_at=opened,
            first_inbound_at=opened, last_message_at=opened,
            first_response_at=opened + dt.timedelta(minutes=20), breached_first=i < late,
        )  # fmt: skip
    if crisis:
        episode = Episode.objects.create(
            workspace=workspace, kind="negative", severity="crisis", opened_at=now,
            fired_at=now, last_event_at=now, query_name="Marque",
        )  # fmt: skip
        Crisis.objects.create(workspace=workspace, episode=episode, started_at=now)
    Objective.objects.create(
        workspace=workspace, kind="image_change", title="Image positive", kpi="positifs",
        target_value=Decimal(50), unit="%", period_start=(now - dt.timedelta(days=10)).date(),
        period_end=(now + dt.timedelta(days=20)).date(),
    )  # fmt: skip


def test_home_dashboard_links_to_what_is_behind_each_figure(workspace, owner):
    recent(workspace)
    client = login(owner)
    home = client.get(f"/w/{workspace.slug}/").content.decode()
    assert f'hx-get="/w/{workspace.slug}/reports/dashboard/"' in home
    page = client.get(f"/w/{workspace.slug}/reports/dashboard/").content.decode()
    assert 'id="dashboard"' in page
    explorer = f"/w/{workspace.slug}/listening/"
    assert f'href="{explorer}?sentiment=negative&amp;since=' in page
    assert f'href="/w/{workspace.slug}/inbox/"' in page
    assert f'href="/w/{workspace.slug}/alerts/"' in page
    # Each day's bar opens that day's mentions.
    today = timezone.localdate()
    day = (today - dt.timedelta(days=2)).isoformat()
    assert f"{explorer}?since={day}&amp;until={day}" in page
    # The inbox's late first answer and the open crisis are shown.
    assert "status-failing" in page


def test_agency_view_rows_and_isolation(workspace, owner, other_workspace, outsider):
    recent(workspace)
    second = do_create_workspace("cafe", "Café Bohème")
    do_add_member(second, owner, Role.ANALYST)
    recent(second, negative=5, crisis=False)
    page = login(owner).get("/agency/").content.decode()
    assert "Maison Lumière" in page and "Café Bohème" in page
    assert other_workspace.name not in page  # not a member
    rows = page.split("<tr>")[2:]
    lumiere = next(r for r in rows if "Maison Lumière" in r)
    cafe = next(r for r in rows if "Café Bohème" in r)
    assert ">5</a>" in cafe and ">2</a>" in lumiere  # negative mentions, last 30 days
    assert 'class="status-failing">1</a>' in lumiere  # a late answer, then an open crisis
    assert f'href="/w/{workspace.slug}/alerts/" class="status-failing">1</a>' in lumiere
    assert 'href="/w/cafe/alerts/">0</a>' in cafe
    assert login(outsider).get("/agency/").content.decode().count("<tr>") == 2


def queries_for(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/agency/").status_code == 200
    return len(captured)


def test_agency_queries_grow_with_the_workspaces_only(workspace, owner):
    """A fixed number of queries per workspace: more objectives or mentions do not add any."""
    client = login(owner)
    recent(workspace)
    base = queries_for(client)
    for i in range(3):  # more objectives and mentions in the same workspace
        recent(workspace, crisis=False)
        Objective.objects.create(
            workspace=workspace, kind="awareness", title=f"o{i}", kpi="k", target_value=10,
            period_start=timezone.localdate(), period_end=timezone.localdate(),
        )  # fmt: skip
    assert queries_for(client) == base
    one = do_create_workspace("deux", "Deux")
    do_add_member(one, owner, Role.OWNER)
    recent(one)
    two = queries_for(client)
    other = do_create_workspace("trois", "Trois")
    do_add_member(other, owner, Role.OWNER)
    recent(other)
    three = queries_for(client)
    per_workspace = two - base
    assert three - two == per_workspace
    assert per_workspace <= 15, per_workspace
    print(f"agency view: {base} queries with one workspace, +{per_workspace} per workspace")
