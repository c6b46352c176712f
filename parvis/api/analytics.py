"""Analytics API: each objective of the strategy with its KPI against its target
(docs/analytics.md). Read-only; the same computation as the strategy page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from parvis.analytics import kpis
from parvis.api.auth import api_membership
from parvis.workspaces.access import scoped
from parvis.workspaces.models import Objective
from parvis.workspaces.roles import Perm
from parvis.workspaces.zones import zone_of

router = Router(tags=["analytics"])
# `from` is a Python keyword: the parameter has another name and this alias.
FROM = Query(None, alias="from")


class KpiOut(Schema):
    objective_id: int
    title: str
    kind: str
    kpi: str  # the metric measured (followers, positive_share…)
    unit: str  # count, percent, hours, minutes
    current: float | None
    previous: float | None
    target: float
    status: str  # met, on_track, behind, no_data
    trend: str  # up, down, flat, or ""
    reason: str  # why there is no value (no_data), in the request's language
    period_start: dt.date
    period_end: dt.date


class ErrorOut(Schema):
    detail: str


@router.get("/workspaces/{slug}/kpis", response={200: list[KpiOut], 422: ErrorOut})
def list_kpis(
    request: HttpRequest,
    slug: str,
    to: dt.date | None = None,
    since: dt.date | None = FROM,
) -> Any:
    """Each objective whose period meets [from, to], with its KPI as it stood at the end of
    `to` (or now, if earlier); 422 when `from` is after `to`."""
    membership = api_membership(request, slug, Perm.VIEW_REPORTS)
    workspace = membership.workspace
    if since and to and since > to:
        return Status(422, {"detail": "from must be on or before to"})
    objectives = scoped(Objective, workspace)
    if since:
        objectives = objectives.filter(period_end__gte=since)
    if to:
        objectives = objectives.filter(period_start__lte=to)
    now = timezone.now()
    if to and to < dt.date(9999, 12, 31):
        end_of_to = dt.datetime.combine(to + dt.timedelta(days=1), dt.time(), zone_of(workspace))
        now = min(now, end_of_to)
    found = kpis.evaluate_all(list(objectives), workspace, now)
    return [
        {
            "objective_id": k.objective.pk,
            "title": k.objective.title,
            "kind": k.objective.kind,
            "kpi": str(k.metric),
            "unit": str(k.unit),
            "current": k.current.value,
            "previous": k.previous.value if k.previous else None,
            "target": float(k.target),
            "status": str(k.status),
            "trend": k.trend,
            "reason": str(k.reason),
            "period_start": k.objective.period_start,
            "period_end": k.objective.period_end,
        }
        for k in found
    ]
