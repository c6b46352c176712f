"""The demo's weeks of counts: seeded once per day whatever the number of runs, growing, and
shown by the KPIs and the home page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parvis.analytics import kpis
from parvis.analytics.kpis import Metric, Status
from parvis.analytics.models import AccountSnapshot
from parvis.connectors.services import do_connect_account
from parvis.demo.analytics import DAYS, ensure_demo_snapshots

pytestmark = pytest.mark.django_db


def test_seeding_twice_keeps_one_row_a_day(workspace):
    account = do_connect_account(
        workspace, None, network="bluesky", handle="maisonlumiere.bsky.social", credentials={}
    )
    now = timezone.now()
    ensure_demo_snapshots(account, now)
    ensure_demo_snapshots(account, now + dt.timedelta(minutes=5))
    rows = list(AccountSnapshot.objects.filter(account=account).order_by("day"))
    assert len(rows) == DAYS + 1
    assert len({r.day for r in rows}) == len(rows)
    assert rows[-1].followers > rows[0].followers + 400  # ~14 a day


def test_the_demo_followers_objective_reads_the_snapshots(workspace):
    from parvis.workspaces.models import Objective

    account = do_connect_account(
        workspace, None, network="bluesky", handle="maisonlumiere.bsky.social", credentials={}
    )
    now = timezone.now()
    ensure_demo_snapshots(account, now)
    today = timezone.localdate()
    Objective.objects.create(
        workspace=workspace, kind="audience_growth", title="Grandir", kpi="Abonnés",
        target_value=300, unit="abonnés", period_start=today - dt.timedelta(days=14),
        period_end=today + dt.timedelta(days=16), network="bluesky",
    )  # fmt: skip
    (kpi,) = kpis.objective_kpis(workspace, now)
    assert kpi.metric is Metric.FOLLOWERS
    # About 14 a day: ~200 gained in 14 days of 31, on pace for ~440 ≥ 300 to gain.
    assert kpi.compare and 150 < kpi.compare < 260
    assert kpi.status is Status.ON_TRACK
    assert kpi.previous and kpi.previous.value and 150 < kpi.previous.value < 260
