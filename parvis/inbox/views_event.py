"""The inbox of a live event, as a panel other pages fetch by URL (htmx `hx-get`): the
customers' messages of a time window that contain one of some terms (a hashtag, keywords).

Publishing's live-event page shows it beside its queue of prepared posts without importing the
inbox (the apps are siblings in the layers): the page knows only this URL and its parameters,
`q` (repeated, one term each), `since` and `until` (ISO 8601 with a time zone).
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from parvis.inbox.models import Direction, Message
from parvis.workspaces.access import WorkspaceRequest, workspace_view
from parvis.workspaces.models import Workspace
from parvis.workspaces.zones import zone_of

MAX_TERMS = 21
MAX_TERM = 100
LIMIT = 50


def parse_moment(value: str) -> dt.datetime | None:
    """An aware datetime between 2000 and 2100, or None for anything else."""
    try:
        moment = dt.datetime.fromisoformat(value[:40])
    except ValueError:
        return None
    if timezone.is_naive(moment) or not 2000 <= moment.year <= 2100:
        return None
    return moment


def event_messages(
    workspace: Workspace, terms: list[str], since: dt.datetime, until: dt.datetime
) -> list[Message]:
    """The customers' messages of [since, until] containing one of the terms, newest first."""
    if not terms:
        return []
    contains = reduce(or_, (Q(text__icontains=term) for term in terms))
    return list(
        Message.objects.filter(
            workspace=workspace,
            direction=Direction.IN,
            sent_at__gte=since,
            sent_at__lte=until,
        )
        .filter(contains)
        .select_related("conversation")
        .order_by("-sent_at", "-id")[:LIMIT]
    )


@workspace_view()
@require_GET
def event_panel(request: WorkspaceRequest) -> HttpResponse:
    terms = [
        t.strip()
        for t in request.GET.getlist("q")[:MAX_TERMS]
        if t.strip() and len(t) <= MAX_TERM and "\x00" not in t
    ]
    if "since" not in request.GET and "until" not in request.GET:
        context: dict[str, Any] = {
            "problem": _("Open this panel from an event: it needs the event's dates.")
        }
        return render(request, "inbox/_event_panel.html", context)
    since = parse_moment(request.GET.get("since", ""))
    until = parse_moment(request.GET.get("until", ""))
    if since is None or until is None or until < since:
        context = {"problem": _("This event's dates cannot be read.")}
        return render(request, "inbox/_event_panel.html", context, status=400)
    context = {
        "messages_found": event_messages(request.workspace, terms, since, until),
        "terms": terms,
        "limit": LIMIT,
    }
    # The times on the workspace's clock, as on the page the panel sits in.
    with timezone.override(zone_of(request.workspace)):
        return render(request, "inbox/_event_panel.html", context)
