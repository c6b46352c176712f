"""Best time to post: the page (one account's weekday x hour map) and the composer's « next
best slot » button. The figures come from publishing/metrics.py; these views parse,
authorize and present."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from parvis.connectors.models import ConnectedAccount
from parvis.publishing import metrics
from parvis.publishing.besttime import HOURS, Cell, HeatMap
from parvis.publishing.forms import ComposerForm
from parvis.publishing.models import Status, Variant
from parvis.publishing.views import show
from parvis.workspaces.access import WorkspaceRequest, get_in_workspace, scoped, workspace_view
from parvis.workspaces.models import Workspace
from parvis.workspaces.roles import Perm
from parvis.workspaces.zones import zone_of

PERIODS = (30, 90, 180)
MAX_ID = 2**63 - 1  # the largest primary key the databases hold
LEVELS = 6  # colour steps of a cell, 0 (lowest score of the map) to 5 (highest)
MAX_ACCOUNTS = 50  # accounts one « next best slot » may weigh


def hour_label(hour: int) -> str:
    return f"{hour:02d}:00"


def slot_label(weekday: int, hour: int) -> str:
    return _("%(day)s at %(start)s") % {"day": WEEKDAYS[weekday], "start": hour_label(hour)}


@dataclass(frozen=True)
class ShownCell:
    cell: Cell
    level: int
    label: str  # what a screen reader says of it


def levels(heat: HeatMap) -> list[list[ShownCell]]:
    """The cells with their colour step: spread between the map's lowest and highest score
    (a flat map is all middle)."""
    scores = [c.score for row in heat.cells for c in row]
    low, high = min(scores), max(scores)
    rows = []
    for row in heat.cells:
        shown = []
        for cell in row:
            if high - low < 0.005:
                level = LEVELS // 2
            else:
                level = round((cell.score - low) / (high - low) * (LEVELS - 1))
            label = _("%(slot)s: score %(score)s (posts: %(posts)s, mentions: %(mentions)s)") % {
                "slot": slot_label(cell.weekday, cell.hour),
                "score": number_format(cell.score, 2),
                "posts": number_format(cell.posts, 1),
                "mentions": cell.mentions,
            }
            shown.append(ShownCell(cell=cell, level=level, label=label))
        rows.append(shown)
    return rows


def basis_text(posts: int, mentions: int, days: int) -> str:
    """« based on N published posts and M mentions over the last D days »"""
    return _("Based on %(posts)s and %(mentions)s over the last %(days)s.") % {
        "posts": ngettext("%(n)s published post", "%(n)s published posts", posts) % {"n": posts},
        "mentions": ngettext("%(n)s mention", "%(n)s mentions", mentions) % {"n": mentions},
        "days": ngettext("%(n)s day", "%(n)s days", days) % {"n": days},
    }


def parse_id(value: str) -> int | None:
    """A primary key from the address: digits that fit the databases, else None."""
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_days(value: str) -> int:
    return int(value) if value in {str(p) for p in PERIODS} else metrics.DAYS


def _accounts(ws: Workspace) -> list[ConnectedAccount]:
    return list(scoped(ConnectedAccount, ws).order_by("network", "handle", "pk"))


def _busiest(ws: Workspace, accounts: list[ConnectedAccount]) -> ConnectedAccount:
    """The account with the most published posts (the first one without any)."""
    counts = dict(
        scoped(Variant, ws)
        .filter(status=Status.PUBLISHED)
        .values_list("account_id")
        .annotate(n=Count("pk"))
        .values_list("account_id", "n")
    )
    return max(accounts, key=lambda a: counts.get(a.pk, 0))


@workspace_view()
@require_GET
def besttime(request: WorkspaceRequest, account_id: int | None = None) -> HttpResponse:
    ws = request.workspace
    zone = zone_of(ws)
    accounts = _accounts(ws)
    if account_id is None:
        if not accounts:
            return show(request, "publishing/besttime.html", {"accounts": []}, zone)
        account = _busiest(ws, accounts)
    elif account_id > MAX_ID:  # past 64 bits: no such row, and the database would refuse it
        raise Http404
    else:
        account = get_in_workspace(ConnectedAccount, ws, pk=account_id)
    days = parse_days(request.GET.get("days", ""))
    found = metrics.account_map(account, timezone.now(), days=days)
    heat = found.heat
    context: dict[str, Any] = {
        "accounts": accounts,
        "chosen": account,
        "days": days,
        "periods": PERIODS,
        "hours": [hour_label(h) for h in range(HOURS)],
        "rows": [(WEEKDAYS[d], row) for d, row in enumerate(levels(heat))],
        "levels": range(LEVELS),
        "heat": heat,
        "confidence_text": heat.summary().text(_),
        "basis_text": basis_text(heat.posts, found.mentions, days),
        "best": [
            {"label": slot_label(c.weekday, c.hour), "score": c.score, "cell": c}
            for c in heat.best(3)
        ],
        "can_publish": request.membership.can(Perm.PUBLISH),
    }
    return show(request, "publishing/besttime.html", context, zone)


@workspace_view(Perm.PUBLISH)
@require_GET
def next_slot(request: WorkspaceRequest) -> HttpResponse:
    """The composer's button: the next best hour for the ticked accounts, written into the
    date and time fields (htmx out-of-band swaps) with a line saying why."""
    ws = request.workspace
    zone = zone_of(ws)
    raw_ids = request.GET.getlist("accounts")[:MAX_ACCOUNTS]
    parsed = [parse_id(v) for v in raw_ids]
    ids = [i for i in parsed if i is not None]
    if len(ids) != len(parsed):
        return _slot_answer(request, zone, _("This account is not one of the workspace's."), 400)
    accounts = list(scoped(ConnectedAccount, ws).filter(pk__in=ids))
    if len(accounts) != len(set(ids)):
        return _slot_answer(request, zone, _("This account is not one of the workspace's."), 400)
    if not accounts:
        return _slot_answer(request, zone, _("Tick at least one account first."), 200)
    exclude = parse_id(request.GET.get("post", ""))
    now = timezone.now()
    suggestion = metrics.suggest_slot(accounts, now, exclude_post=exclude)
    basis = basis_text(suggestion.posts, suggestion.mentions, suggestion.days)
    if suggestion.slot is None:
        text = _("Every hour of the coming week is within two hours of a planned post.")
        return _slot_answer(request, zone, f"{text} {basis}", 200)
    slot = suggestion.slot
    local = slot.at.astimezone(zone)
    why = _(
        "%(when)s: score %(score)s (1 is the account's average; the best hour of the coming "
        "week at least two hours from its planned posts)."
    ) % {
        "when": date_format(local, "l j F, H:i"),
        "score": number_format(slot.score, 2),
    }
    if suggestion.confidence == "not_enough":
        basis += " " + _("Not enough data yet: the suggestion mostly follows the audience.")
    form = ComposerForm(
        accounts=[], campaigns=[], zone=zone, initial={"day": local.date(), "time": local.time()}
    )
    for name in ("day", "time"):
        form.fields[name].widget.attrs["hx-swap-oob"] = "true"
    context = {"why": why, "basis": basis, "day": form["day"], "time": form["time"]}
    return show(request, "publishing/besttime_slot.html", context, zone)


def _slot_answer(request: WorkspaceRequest, zone: Any, text: str, status: int) -> HttpResponse:
    return show(request, "publishing/besttime_slot.html", {"why": text}, zone, status=status)
