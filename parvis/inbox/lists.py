"""The inbox's lists: which conversations each view shows, in which order.

One definition for the pages and the API. Every view is served by an index: status and
date (inbox_status), assignee (inbox_assignee), the « at risk » time (inbox_at_risk).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from parvis.inbox.models import ACTIVE, Conversation, Status
from parvis.workspaces.access import scoped
from parvis.workspaces.models import Workspace

VIEWS = ("mine", "unassigned", "at_risk", "all", "waiting", "resolved", "spam")


def awake(now: dt.datetime) -> Q:
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)


def conversations(
    workspace: Workspace,
    user: Any,
    view: str = "mine",
    *,
    now: dt.datetime | None = None,
    status: str = "",
    network: str = "",
    assignee_id: int | None = None,
    tag: str = "",
    sentiment: str = "",
    source_id: int | None = None,
) -> QuerySet[Conversation]:
    now = now or timezone.now()
    rows = scoped(Conversation, workspace)
    order: tuple[str, ...] = ("-last_message_at", "-id")
    if view == "mine":
        rows = rows.filter(assignee=user, status__in=ACTIVE).filter(awake(now))
    elif view == "unassigned":
        rows = rows.filter(assignee__isnull=True, status__in=ACTIVE).filter(awake(now))
    elif view == "at_risk":
        # Due soonest first; breached ones too (they are the most at risk of all).
        rows = rows.filter(at_risk_at__lte=now, status__in=ACTIVE)
        order = ("due_at", "id")
    elif view == "waiting":
        rows = rows.filter(status=Status.WAITING)
    elif view == "resolved":
        rows = rows.filter(status=Status.RESOLVED)
    elif view == "spam":
        rows = rows.filter(status=Status.SPAM)
    else:  # all active
        rows = rows.filter(status__in=ACTIVE).filter(awake(now))
    if status:
        rows = rows.filter(status=status)
    if network:
        rows = rows.filter(network=network)
    if assignee_id is not None:
        rows = rows.filter(assignee_id=assignee_id)
    if tag:
        rows = rows.filter(tags__name=tag)
    if sentiment:
        rows = rows.filter(sentiment=sentiment)
    if source_id is not None:
        rows = rows.filter(source_id=source_id)
    return rows.order_by(*order)


def unread_count(workspace: Workspace) -> int:
    return scoped(Conversation, workspace).filter(unread=True, status__in=ACTIVE).count()
