"""Inbox figures per member and per network (definitions: docs/inbox.md, "Figures")."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from parvis.inbox import clock, sla
from parvis.inbox.models import Conversation
from parvis.inbox.services import get_settings
from parvis.workspaces.models import Workspace


@dataclass
class Figures:
    conversations: int = 0
    answered: int = 0
    first_business: list[float] = field(default_factory=list)  # seconds
    first_wall: list[float] = field(default_factory=list)
    resolution_wall: list[float] = field(default_factory=list)
    resolution_business: list[float] = field(default_factory=list)
    breached: int = 0

    def as_dict(self) -> dict[str, Any]:
        def hours(value: float | None) -> float | None:
            return None if value is None else round(value / 3600, 2)

        return {
            "conversations": self.conversations,
            "answered": self.answered,
            "response_rate": round(self.answered / self.conversations, 4)
            if self.conversations
            else None,
            "first_response_business_hours": {
                "median": hours(sla.median(self.first_business)),
                "p90": hours(sla.percentile(self.first_business, 90)),
            },
            "first_response_hours": {
                "median": hours(sla.median(self.first_wall)),
                "p90": hours(sla.percentile(self.first_wall, 90)),
            },
            "resolution_hours": {
                "median": hours(sla.median(self.resolution_wall)),
                "p90": hours(sla.percentile(self.resolution_wall, 90)),
            },
            "resolution_business_hours": {
                "median": hours(sla.median(self.resolution_business)),
                "p90": hours(sla.percentile(self.resolution_business, 90)),
            },
            # Conversations that missed a target: a late first or next answer, or a clock past
            # its due time at the end of the period with no answer yet.
            "targets_missed": self.breached,
        }


def full_name(first: str | None, last: str | None) -> str:
    """A member's name from the joined columns: None when the conversation has no such
    member (a LEFT JOIN), not the word « None »."""
    return " ".join(part for part in (first, last) if part).strip()


def figures(
    workspace: Workspace, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[str, Figures]]:
    """Conversations whose first inbound message falls in [start, end): totals, by member
    (who sent the first answer; unassigned answers under "") and by network."""
    calendar = clock.calendar(get_settings(workspace))
    now = timezone.now()
    rows = (
        Conversation.objects.filter(
            workspace=workspace, first_inbound_at__gte=start, first_inbound_at__lt=end
        )
        .exclude(status="spam")
        .values_list(
            "network",
            "first_responder__username",
            "first_responder__first_name",
            "first_responder__last_name",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
            "first_inbound_at",
            "first_response_at",
            "resolved_at",
            "breached_first",
            "late_answers",
            "clock",
            "due_at",
        )
    )
    total = Figures()
    by_member: dict[str, Figures] = defaultdict(Figures)
    by_network: dict[str, Figures] = defaultdict(Figures)
    for row in rows.iterator():
        network, responder, r_first, r_last, assignee, a_first, a_last = row[:7]
        first_in, first_out, resolved, breached_first, late_answers, running, due = row[7:]
        overdue = bool(running and due and due < min(end, now))
        breached = breached_first or late_answers > 0 or overdue
        # Under the member's name as colleagues know it; "" for conversations nobody took.
        member = (
            full_name(r_first, r_last) or responder or full_name(a_first, a_last) or assignee or ""
        )
        for bucket in (total, by_member[member], by_network[network]):
            bucket.conversations += 1
            bucket.breached += int(breached)
            if first_out is not None:
                bucket.answered += 1
                bucket.first_wall.append((first_out - first_in).total_seconds())
                bucket.first_business.append(calendar.business_seconds(first_in, first_out))

            if resolved is not None:
                bucket.resolution_wall.append((resolved - first_in).total_seconds())
                bucket.resolution_business.append(calendar.business_seconds(first_in, resolved))
    return {"total": {"": total}, "members": dict(by_member), "networks": dict(by_network)}
