"""A conversation's SLA clocks, kept on its row (docs/inbox.md, "SLA clocks").

Which clock runs, when it is due and when it turns « at risk » are stored on the conversation
(`clock`, `due_at`, `at_risk_at`), so that the inbox's « at risk » and « breached » views are
index range scans; they are recomputed here after every change that moves a clock.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from parvis.inbox import sla
from parvis.inbox.models import Clock, Conversation, Status

if TYPE_CHECKING:
    from parvis.inbox.models import InboxSettings

# « At risk » once three quarters of the target have elapsed.
AT_RISK_RATIO = 0.25
STOPPED = (Status.RESOLVED, Status.SPAM)


def calendar(settings: InboxSettings) -> sla.BusinessCalendar:
    return sla.BusinessCalendar.from_settings(
        settings.time_zone, settings.business_hours, settings.holidays
    )


def due(
    settings: InboxSettings, start: dt.datetime, minutes: int
) -> tuple[dt.datetime, dt.datetime]:
    """(due, at risk) for a clock started at `start` with a target in business minutes."""
    cal = calendar(settings)
    target = minutes * 60
    return (
        cal.add_business_seconds(start, target),
        cal.add_business_seconds(start, target * (1 - AT_RISK_RATIO)),
    )


def compute(conversation: Conversation, settings: InboxSettings) -> dict[str, object]:
    values: dict[str, object] = {
        "clock": Clock.NONE,
        "due_at": None,
        "at_risk_at": None,
        "first_response_due_at": None,
    }
    if conversation.first_inbound_at is None:
        return values
    first_due, first_risk = due(
        settings, conversation.first_inbound_at, settings.first_response_minutes
    )
    values["first_response_due_at"] = first_due
    if conversation.status in STOPPED:
        return values
    if conversation.first_response_at is None:
        values.update(clock=Clock.FIRST, due_at=first_due, at_risk_at=first_risk)
    elif conversation.awaiting_since is not None:
        next_due, next_risk = due(
            settings, conversation.awaiting_since, settings.next_response_minutes
        )
        values.update(clock=Clock.NEXT, due_at=next_due, at_risk_at=next_risk)
    return values


def refresh(conversation: Conversation, settings: InboxSettings) -> None:
    """Recompute the clocks and save those columns only."""
    values = compute(conversation, settings)
    changed = [name for name, value in values.items() if getattr(conversation, name) != value]
    if conversation.first_response_at is not None and conversation.first_response_due_at:
        late = conversation.first_response_at > conversation.first_response_due_at
        if late != conversation.breached_first:
            conversation.breached_first = late
            changed.append("breached_first")
    for name in changed:
        if name in values:
            setattr(conversation, name, values[name])
    if (
        "due_at" in changed
        and values["due_at"] is not None
        and (conversation.breach_notified_at or conversation.managers_notified_at)
    ):
        # A new deadline: its breach is news again.
        conversation.breach_notified_at = None
        conversation.managers_notified_at = None
        changed += ["breach_notified_at", "managers_notified_at"]
    if changed:
        conversation.save(update_fields=changed)


def state(conversation: Conversation, now: dt.datetime) -> str:
    """ok | at_risk | breached for the running clock; met / breached once answered; none."""
    if conversation.clock and conversation.due_at:
        if now > conversation.due_at:
            return sla.SlaState.BREACHED
        if conversation.at_risk_at and now >= conversation.at_risk_at:
            return sla.SlaState.AT_RISK
        return sla.SlaState.OK
    if conversation.first_response_at is not None:
        late = conversation.last_answer_late or (
            conversation.breached_first and not conversation.late_answers
        )
        return sla.SlaState.BREACHED if late else sla.SlaState.MET
    return sla.SlaState.NONE
