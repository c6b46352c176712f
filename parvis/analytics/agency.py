"""The agency view: one row per workspace the user belongs to (a client, for an agency), with
its objectives against their targets, its mentions of the last 30 days, the inbox's late first
answers and the crises still open. Each row costs a fixed number of queries (the KPIs read
their data once per workspace, `kpis.Readings`): the page's count grows with the workspaces,
never with their objectives or mentions (tests/analytics/test_agency.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from parvis.analytics import display, kpis
from parvis.listening import reporting, stats
from parvis.workspaces.access import user_workspaces
from parvis.workspaces.models import Membership, Objective, Workspace
from parvis.workspaces.roles import Perm

DAYS = 30


@dataclass
class Row:
    workspace: Workspace
    kpis: list[display.Shown] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # status -> objectives
    mentions: int = 0
    negative: int = 0
    late: int | None = None  # first answers after the SLA target, last 30 days
    open_crises: int | None = None


def rows(user: Any, now: dt.datetime | None = None) -> list[Row]:
    now = now or timezone.now()
    since = now - dt.timedelta(days=DAYS)
    memberships = {
        m.workspace_id: m for m in Membership.objects.filter(user=user).select_related("workspace")
    }
    found = []
    for workspace in user_workspaces(user):
        membership = memberships.get(workspace.pk)
        if membership is None or not membership.can(Perm.VIEW_REPORTS):
            continue
        evaluated = kpis.evaluate_all(
            list(Objective.objects.filter(workspace=workspace)), workspace, now
        )
        counts: dict[str, int] = {}
        for k in evaluated:
            counts[str(k.status)] = counts.get(str(k.status), 0) + 1
        sentiment = stats.sentiment_counts(workspace, since, now)
        community = reporting.section(reporting.COMMUNITY, workspace, since, now)
        crises = reporting.section(reporting.CRISES, workspace, since, now)
        found.append(
            Row(
                workspace=workspace,
                kpis=[display.shown(k) for k in evaluated],
                counts=counts,
                mentions=sentiment.analysed + sentiment.unknown,
                negative=sentiment.negative,
                late=community.breached if community is not None else None,
                open_crises=(
                    sum(1 for c in crises.crises if c.closed_at is None)
                    if crises is not None
                    else None
                ),
            )
        )
    return found
