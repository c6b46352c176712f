"""The KPIs as the pages show them: figures in the reader's language (« 12 000 », « 33 % »,
« 2,5 h » in French; « 12,000 », « 33% », « 2.5 h » in English), the panels rendered by the
app's own templates (auto-escaped) for the workspace's pages (workspaces/extensions.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from parvis.analytics import kpis
from parvis.analytics.kpis import Kpi, Status, Unit
from parvis.analytics.models import AccountSnapshot

# How a language writes a percentage: a number format (like the thousands separator that
# django.utils.formats gives), not a sentence to translate. French: a no-break space first.
PERCENT_SIGN = {"fr": "\u00a0%"}


def number(value: float, decimals: int = 0) -> str:
    return formats.number_format(round(value, decimals), decimals, force_grouping=True)


def figure(value: float | None, unit: Unit, signed: bool = False) -> str:
    """One KPI value with its unit, in the active language; « — » when unknown."""
    if value is None:
        return "—"
    if unit is Unit.PERCENT:
        text = number(value, 1 if abs(value) < 10 and value != int(value) else 0)
        shown = text + PERCENT_SIGN.get((get_language() or "")[:2], "%")
    elif unit is Unit.HOURS:
        shown = _("%(value)s h") % {"value": number(value, 1)}
    elif unit is Unit.MINUTES:
        shown = _("%(value)s min") % {"value": number(value, 0)}
    else:
        shown = number(value, 0)
    if signed and value > 0:
        return "+" + shown
    return shown


def delta_text(kpi: Kpi) -> str:
    delta = kpi.delta
    if delta is None:
        return ""
    if kpi.unit is Unit.PERCENT:
        points = number(delta, 1 if abs(delta) < 10 else 0)
        text = ("+" if delta > 0 else "") + _("%(value)s pts") % {"value": points}
    else:
        text = figure(delta, kpi.unit, signed=True)
    return _("%(delta)s on the previous period") % {"delta": text}


@dataclass(frozen=True)
class Shown:
    kpi: Kpi
    value: str
    target: str
    trend: str
    meter: tuple[float, float] | None  # (value, max) for a <meter>, higher-is-better only
    gained: str = ""  # followers: what the window gained

    @property
    def css(self) -> str:
        return {
            Status.MET: "status-ok",
            Status.ON_TRACK: "status-ok",
            Status.BEHIND: "status-failing",
            Status.NO_DATA: "",
        }[self.kpi.status]


def shown(kpi: Kpi) -> Shown:
    value = kpi.current.value
    target = float(kpi.target)
    meter = None
    if value is not None and kpi.higher_is_better and target > 0:
        meter = (max(0.0, min(value, target)), target)
    return Shown(
        kpi=kpi,
        value=figure(value, kpi.unit),
        target=figure(target, kpi.unit),
        trend=delta_text(kpi),
        meter=meter,
        gained=gained_text(kpi),
    )


def gained_text(kpi: Kpi) -> str:
    if kpi.metric is not kpis.Metric.FOLLOWERS or kpi.compare is None or value_missing(kpi):
        return ""
    return _("%(gained)s since the period's start") % {
        "gained": figure(kpi.compare, Unit.COUNT, signed=True)
    }


def value_missing(kpi: Kpi) -> bool:
    return kpi.current.value is None


def objective_progress(
    request: Any, objectives: list[Any], compact: bool = False
) -> dict[int, str]:
    # Rendered without the request: its context processors (the navigation's counts) would
    # run again for each objective.
    evaluated = kpis.evaluate_all(objectives, request.workspace, timezone.now())
    return {
        kpi.objective.pk: render_to_string(
            "analytics/_kpi.html", {"k": shown(kpi), "compact": compact}
        )
        for kpi in evaluated
    }


def audience(workspace: Any, now: dt.datetime, days: int = 30) -> dict[str, Any]:
    """Followers of the workspace's accounts read in the last `days` days (each account's
    last reading) and what they gained over them (from each account's first reading)."""
    since = (now - dt.timedelta(days=days)).astimezone(dt.UTC).date()
    readings = AccountSnapshot.objects.filter(
        workspace=workspace, followers__isnull=False, day__gte=since
    ).order_by("account_id", "day")
    series: dict[int, list[int]] = {}
    for account_id, followers in readings.values_list("account_id", "followers"):
        if followers is not None:
            series.setdefault(account_id, []).append(followers)
    if not series:
        return {}
    total = sum(v[-1] for v in series.values())
    gained = sum(v[-1] - v[0] for v in series.values())
    return {
        "followers": number(total),
        "gained": figure(gained, Unit.COUNT, signed=True),
        "accounts": len(series),
        "days": days,
    }


def home_panel(request: Any) -> str:
    now = timezone.now()
    return render_to_string(
        "analytics/_home_panel.html",
        {"audience": audience(request.workspace, now), "slug": request.workspace.slug},
    )
