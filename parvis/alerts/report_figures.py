"""The crises section of the analytics app's client report (through `listening.reporting`):
the crises open at some moment of the period, and the alerts' episodes opened in it by
severity."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q

from parvis.alerts.models import Crisis, Episode, Severity
from parvis.listening.reporting import Crises, CrisisRow

# A period's report lists its crises; more than this many is a report of its own.
MOST = 20


def crises(workspace: Any, since: dt.datetime, until: dt.datetime) -> Crises:
    rows = (
        Crisis.objects.filter(workspace=workspace, started_at__lt=until)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=since))
        .select_related("episode")
        .order_by("started_at", "id")[:MOST]
    )
    labels = dict(Severity.choices)
    found = tuple(
        CrisisRow(
            started_at=c.started_at,
            closed_at=c.closed_at,
            title=str(c.episode),
            severity=str(labels.get(c.episode.severity, c.episode.severity)),
            mentions=c.episode.mention_count,
            peak=c.episode.peak_value,
            note=c.closing_note,
        )
        for c in rows
    )
    by_severity = (
        Episode.objects.filter(workspace=workspace, opened_at__gte=since, opened_at__lt=until)
        .values("severity")
        .annotate(n=Count("id"))
        .order_by("-n", "severity")
    )
    return Crises(
        crises=found,
        alerts_by_severity=tuple(
            (str(labels.get(r["severity"], r["severity"])), r["n"]) for r in by_severity
        ),
    )
