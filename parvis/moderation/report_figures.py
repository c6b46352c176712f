"""The moderation section of the analytics app's client report (through
`listening.reporting`): hides and deletions decided in the period, by reason, counted by the
database over the append-only action log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q

from parvis.listening.reporting import Moderation
from parvis.moderation.models import Action, ActionKind, ActionState
from parvis.moderation.reasons import Reason

REMOVALS = (ActionKind.HIDE, ActionKind.DELETE)


def moderation(workspace: Any, since: dt.datetime, until: dt.datetime) -> Moderation:
    # A removal that failed on the network did not happen: it is not counted.
    actions = Action.objects.filter(
        workspace=workspace, created_at__gte=since, created_at__lt=until
    ).exclude(state=ActionState.FAILED)
    found = actions.aggregate(
        hidden=Count("id", filter=Q(kind=ActionKind.HIDE)),
        deleted=Count("id", filter=Q(kind=ActionKind.DELETE)),
        reviewed=Count("id", filter=Q(kind=ActionKind.REVIEW)),
    )
    labels = dict(Reason.choices)
    by_reason = (
        actions.filter(kind__in=REMOVALS)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("-n", "reason")
    )
    return Moderation(
        hidden=found["hidden"],
        deleted=found["deleted"],
        reviewed=found["reviewed"],
        by_reason=tuple(
            (str(labels.get(r["reason"], r["reason"] or "—")), r["n"]) for r in by_reason
        ),
    )
