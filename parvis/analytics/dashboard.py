"""The workspace's home as a dashboard: the last 30 days at a glance (volume by day and
sentiment, share of voice, top authors, top posts, inbox health, moderation, alerts), each
figure a link to the mentions or pages behind it. The home page holds a placeholder that
fetches the panel (`reports:dashboard`) once shown. The listening figures are the overview's,
read through its cache (the same key as the overview page: one computation serves both);
the others come through `listening.reporting` (aggregates). Charts are SVG numbers computed
here and drawn by the template (no script)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from parvis.analytics.display import PERCENT_SIGN, number
from parvis.listening import explorer, freshness, reporting
from parvis.listening.own import own_author_ids

DAYS = 30


def percent(value: float | None) -> str:
    """« 20 % » with a no-break space in French (it never wraps alone), « 20% » in English."""
    if value is None:
        return ""
    return number(value, 0) + PERCENT_SIGN.get((get_language() or "")[:2], "%")


def home_dashboard(request: Any) -> str:
    """The home page's placeholder: the panel comes by its own request once the page is shown
    (htmx), so the home page's own queries stay as few as they were."""
    return render_to_string(
        "analytics/_dashboard_slot.html", {"current_workspace": request.workspace}
    )


def panel(request: Any) -> str:
    workspace = request.workspace
    until = timezone.localdate()
    since = until - dt.timedelta(days=DAYS - 1)
    own = tuple(own_author_ids(workspace))
    data, _computed_at = freshness.cached(
        workspace.pk,
        "overview",
        (since, until, own),
        lambda: explorer.overview(workspace, since, until),
    )
    start, end = explorer.period_bounds(since, until)
    community = reporting.section(reporting.COMMUNITY, workspace, start, end)
    moderation = reporting.section(reporting.MODERATION, workspace, start, end)
    crises = reporting.section(reporting.CRISES, workspace, start, end)
    publications = reporting.section(reporting.PUBLICATIONS, workspace, start, end)
    context = {
        "data": data,
        "since": since,
        "until": until,
        "chart": explorer.volume_chart(data.days),
        "positive": data.sentiment_share("positive"),
        "neutral": data.sentiment_share("neutral"),
        "negative": data.sentiment_share("negative"),
        "authors": data.top_authors[:5],
        "community": community,
        "response_rate": percent(community.response_rate) if community else "",
        "median": number(community.median_first_response_minutes, 0)
        if community and community.median_first_response_minutes is not None
        else "",
        "moderation": moderation,
        "crises": crises,
        "open_crises": [c for c in (crises.crises if crises else ()) if c.closed_at is None],
        "posts": publications.top[:3] if publications else (),
        "publications": publications,
        "current_workspace": workspace,
    }
    return render_to_string("analytics/_dashboard.html", context)
