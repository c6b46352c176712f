"""The community-management section of the analytics app's client report (through
`listening.reporting`): the conversations someone opened in the period, how many the brand
answered, how fast (the median, found by the database's ordering, not by reading every
delay), how many answers came after the SLA target, and the brand's messages sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q

from parvis.inbox.models import Conversation, Direction, Message
from parvis.listening.reporting import Community


def community(workspace: Any, since: dt.datetime, until: dt.datetime) -> Community:
    opened = Conversation.objects.filter(
        workspace=workspace, first_inbound_at__gte=since, first_inbound_at__lt=until
    )
    found = opened.aggregate(
        received=Count("id"),
        answered=Count("id", filter=Q(first_response_at__isnull=False)),
        breached=Count("id", filter=Q(breached_first=True)),
    )
    sent = Message.objects.filter(
        workspace=workspace, direction=Direction.OUT, sent_at__gte=since, sent_at__lt=until
    ).count()
    return Community(
        received=found["received"],
        answered=found["answered"],
        median_first_response_minutes=median_minutes(opened, found["answered"]),
        breached=found["breached"],
        replies_sent=sent,
    )


def median_minutes(opened: Any, answered: int) -> float | None:
    """The median delay from a conversation's first message to the brand's first answer, on
    the clock: the middle row (or the mean of the two middle rows) of the answered
    conversations ordered by that delay."""
    if not answered:
        return None
    delay = ExpressionWrapper(
        F("first_response_at") - F("first_inbound_at"), output_field=DurationField()
    )
    ordered = (
        opened.filter(first_response_at__isnull=False)
        .annotate(delay=delay)
        .order_by("delay", "id")
        .values_list("delay", flat=True)
    )
    middle = (answered - 1) // 2
    rows = list(ordered[middle : middle + (1 if answered % 2 else 2)])
    if not rows:
        return None
    seconds = [max(r.total_seconds(), 0.0) for r in rows]
    return sum(seconds) / len(seconds) / 60
