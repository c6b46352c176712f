"""What the inbox pages read: the lists, the SLA badges, a conversation's timeline.

Read-only on purpose: every change goes through services.py / sending.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from parvis.inbox import clock, sla
from parvis.inbox.models import (
    ACTIVE,
    NOT_CLOSED,
    Conversation,
    Event,
    Message,
    Note,
    Notification,
    Reply,
    ReplyState,
    Status,
)
from parvis.workspaces.models import Workspace

PAGE_SIZE = 50

# The list's views: code → label. The first is the default.
VIEWS = [
    ("mine", gettext_lazy("Assigned to me")),
    ("unassigned", gettext_lazy("Unassigned")),
    ("at_risk", gettext_lazy("At risk")),
    ("all", gettext_lazy("All")),
    ("waiting", gettext_lazy("Waiting")),
    ("resolved", gettext_lazy("Resolved")),
    ("snoozed", gettext_lazy("Snoozed")),
]
# A conversation's status in words ("New" and "Open" mean other things elsewhere in Parvis).
STATUS_LABELS = {
    Status.NEW: pgettext_lazy("conversation status", "New"),
    Status.OPEN: pgettext_lazy("conversation status", "Open"),
    Status.WAITING: pgettext_lazy("conversation status", "Waiting on the customer"),
    Status.RESOLVED: pgettext_lazy("conversation status", "Resolved"),
    Status.SPAM: pgettext_lazy("conversation status", "Spam"),
}
VIEW_CODES = {code for code, _label in VIEWS}
API_VIEWS = ("mine", "unassigned", "at_risk", "all", "waiting", "resolved", "spam", "snoozed")
OPEN_STATES = NOT_CLOSED


def in_view(workspace: Workspace, user: Any, view: str, now: dt.datetime) -> QuerySet[Conversation]:
    """The conversations of one view, snoozed ones hidden until their time comes (they have a
    view of their own)."""
    rows = Conversation.objects.filter(workspace=workspace)
    if view == "snoozed":
        return rows.filter(snoozed_until__gt=now).order_by("snoozed_until", "id")
    rows = rows.filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
    order = ("-last_message_at", "-id")
    if view == "mine":
        rows = rows.filter(assignee=user, status__in=OPEN_STATES)
    elif view == "unassigned":
        rows = rows.filter(assignee__isnull=True, status__in=ACTIVE)
    elif view == "at_risk":
        rows = rows.exclude(clock="").filter(at_risk_at__lte=now).exclude(status__in=clock.STOPPED)
        order = ("due_at", "id")
    elif view == "waiting":
        rows = rows.filter(status=Status.WAITING)
    elif view == "resolved":
        rows = rows.filter(status=Status.RESOLVED)
    elif view == "spam":  # no tab of its own; the API and the status filter reach it
        rows = rows.filter(status=Status.SPAM)
    else:  # all: the active ones
        rows = rows.filter(status__in=ACTIVE)
    return rows.order_by(*order)


def filtered(rows: QuerySet[Conversation], filters: dict[str, Any]) -> QuerySet[Conversation]:
    if filters.get("network"):
        rows = rows.filter(network=filters["network"])
    if filters.get("source"):
        rows = rows.filter(source=filters["source"])
    if filters.get("tag"):
        rows = rows.filter(tags=filters["tag"])
    if filters.get("sentiment"):
        rows = rows.filter(sentiment=filters["sentiment"])
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    return rows


def rows_at(rows: QuerySet[Conversation], start: int, count: int) -> list[Conversation]:
    """`count` rows from `start`, with what a row shows. The ids first, then their rows: sorting
    the view's ids is cheap, sorting it with the authors, members and sources joined to every
    matching row is not (60 ms for the 12,000 unassigned conversations of a 100k inbox)."""
    ids = list(rows.values_list("pk", flat=True)[start : start + count])
    found = {
        c.pk: c
        for c in Conversation.objects.filter(pk__in=ids)
        .select_related("author", "assignee", "source", "team", "escalated_to")
        .prefetch_related("tags")
        .defer("source__config", "source__cursor")
    }
    return [found[pk] for pk in ids if pk in found]


def page_of(rows: QuerySet[Conversation], page: int) -> tuple[list[Conversation], bool]:
    """One page of rows with what a row shows, in a constant number of queries."""
    found = rows_at(rows, (page - 1) * PAGE_SIZE, PAGE_SIZE + 1)
    return found[:PAGE_SIZE], len(found) > PAGE_SIZE


def unread_count(workspace: Workspace) -> int:
    return Conversation.objects.filter(workspace=workspace, status__in=ACTIVE, unread=True).count()


def unread_notifications(workspace: Workspace, user: Any) -> int:
    return Notification.objects.filter(workspace=workspace, user=user, read_at__isnull=True).count()


# --- SLA badges -----------------------------------------------------------------------------


def duration(seconds: float) -> str:
    """« 35 min », « 2 h 10 », « 1 h 05 »: hours and minutes, as a clock reads them."""
    minutes = max(0, round(seconds / 60))
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    return _("%(hours)s h %(minutes)02d") % {"hours": minutes // 60, "minutes": minutes % 60}


LONG_OVERDUE = dt.timedelta(days=7)


@dataclass(frozen=True)
class Badge:
    state: str
    text: str


def badge(conversation: Conversation, now: dt.datetime, calendar: sla.BusinessCalendar) -> Badge:
    state = clock.state(conversation, now)
    if state in (sla.SlaState.OK, sla.SlaState.AT_RISK) and conversation.due_at:
        left = duration(sla.remaining_seconds(calendar, now, conversation.due_at))
        if state == sla.SlaState.OK:
            return Badge(state, _("OK — %(left)s left") % {"left": left})
        return Badge(state, _("At risk — %(left)s") % {"left": left})
    if state == sla.SlaState.BREACHED:
        if conversation.clock and conversation.due_at:
            if now - conversation.due_at > LONG_OVERDUE:
                # Counting business time back over weeks costs a walk over every day, for a
                # figure nobody reads to the minute: days on the calendar say it.
                days = (now - conversation.due_at).days
                return Badge(state, _("Late by %(days)s days") % {"days": days})
            late = duration(-sla.remaining_seconds(calendar, now, conversation.due_at))
            return Badge(state, _("Late by %(late)s") % {"late": late})
        return Badge(state, _("Answered late"))
    if state == sla.SlaState.MET:
        return Badge(state, _("Answered on time"))
    return Badge(sla.SlaState.NONE, "")


# --- a conversation's timeline --------------------------------------------------------------


@dataclass
class Item:
    kind: str  # message | reply | note | event
    at: dt.datetime
    obj: Any


def timeline(conversation: Conversation) -> list[Item]:
    """Messages, replies not sent yet (or failed), internal notes and events, in time order."""
    items = [
        Item("message", m.sent_at, m)
        for m in Message.objects.filter(conversation=conversation).select_related("member", "reply")
    ]
    items += [
        Item("reply", r.created_at, r)
        for r in Reply.objects.filter(conversation=conversation)
        .exclude(state=ReplyState.SENT)
        .select_related("member")
    ]
    items += [
        Item("note", n.created_at, n)
        for n in Note.objects.filter(conversation=conversation).select_related("author")
    ]
    items += [
        Item("event", e.at, e)
        for e in Event.objects.filter(conversation=conversation).select_related("actor")
    ]
    order = {"message": 0, "reply": 1, "note": 2, "event": 3}
    items.sort(key=lambda item: (item.at, order[item.kind], item.obj.pk))
    return items


def person(user: Any) -> str:
    """A member as colleagues call them: their name, else their username."""
    return user.get_full_name() or user.get_username()


def event_text(event: Event) -> str:
    """One line for an event of the timeline."""
    data = event.data or {}
    who = person(event.actor) if event.actor else _("Parvis")
    if event.kind == "assigned":
        if data.get("assignee"):
            return _("%(who)s assigned the conversation to %(to)s.") % {
                "who": who,
                "to": data.get("assignee_name") or data["assignee"],
            }
        return _("%(who)s unassigned the conversation.") % {"who": who}
    if event.kind == "status":
        new = STATUS_LABELS.get(data.get("new", ""), data.get("new", ""))
        return _("%(who)s set the status to « %(status)s ».") % {"who": who, "status": new}
    if event.kind == "priority":
        from parvis.inbox.models import Priority

        label = dict(Priority.choices).get(data.get("priority"), data.get("priority"))
        return _("%(who)s set the priority to « %(priority)s ».") % {
            "who": who,
            "priority": label,
        }
    if event.kind == "tagged":
        return _("%(who)s changed the tags (added: %(added)s; removed: %(removed)s).") % {
            "who": who,
            "added": ", ".join(data.get("added") or []) or "—",
            "removed": ", ".join(data.get("removed") or []) or "—",
        }
    if event.kind == "snoozed":
        if data.get("until"):
            return _("%(who)s snoozed the conversation.") % {"who": who}
        return _("%(who)s woke the conversation up.") % {"who": who}
    if event.kind == "taken":
        return _("%(who)s sent this mention to the inbox from listening.") % {"who": who}
    if event.kind == "escalated":
        from parvis.inbox.models import EscalationRole

        roles = dict(EscalationRole.choices)
        target = data.get("to_name") or data.get("to") or roles.get(data.get("role"), "") or ""
        return _("%(who)s escalated to %(to)s: %(reason)s") % {
            "who": who,
            "to": target,
            "reason": data.get("reason", ""),
        }
    if event.kind == "breached":
        return _("The response target was missed.")
    if event.kind == "reply_failed":
        return _("A reply could not be sent: %(error)s") % {"error": data.get("error", "")}
    return event.get_kind_display()
