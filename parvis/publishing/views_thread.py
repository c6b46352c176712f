"""The composer's thread: its parts (add, remove, move) and each part's live checks (htmx).

The parts travel with the composer's form as repeated `part` fields; the buttons post them
here and get the block back in its new order, so nothing needs a script of ours. The composer's
save hands them to `threads.do_save_thread`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_POST

from parvis.connectors.models import ConnectedAccount
from parvis.publishing import pages, threads
from parvis.publishing.forms import ComposerForm
from parvis.publishing.models import Campaign, Post
from parvis.publishing.services import MAX_TEXT
from parvis.workspaces.access import WorkspaceRequest, scoped, workspace_view
from parvis.workspaces.roles import Perm
from parvis.workspaces.zones import zone_of

# The composer sends this marker with its thread block: a form without it leaves the parts.
MARKER = "thread"
OPS = ("add", "remove", "up", "down")


@dataclass
class PartRow:
    index: int  # 0-based, in the form
    text: str

    @property
    def number(self) -> int:
        return self.index + 2  # the first post is 1


def posted_parts(data: QueryDict) -> list[str]:
    """The parts as posted, bounded (a forged form with thousands is cut, not an error)."""
    return [str(t)[:MAX_TEXT] for t in data.getlist("part")][: threads.MAX_PARTS * 4]


def part_rows(request: HttpRequest, post: Post | None) -> list[PartRow]:
    """What the composer shows: the posted parts after a failed save, else the thread's."""
    if request.method == "POST" and MARKER in request.POST:
        texts = posted_parts(request.POST)
    elif post is not None:
        texts = [p.text for p in threads.parts_of(post)]
    else:
        texts = []
    return [PartRow(i, t) for i, t in enumerate(texts)]


def thread_texts(data: Any) -> list[str] | None:
    """The parts to save, or None when the form had no thread block."""
    if not hasattr(data, "getlist") or MARKER not in data:
        return None
    return posted_parts(data)


def reorder(texts: list[str], op: str, index: int) -> list[str]:
    texts = list(texts)
    if op == "add":
        if len(texts) < threads.MAX_PARTS:
            texts.append("")
    elif 0 <= index < len(texts):
        if op == "remove":
            del texts[index]
        elif op == "up" and index > 0:
            texts[index - 1], texts[index] = texts[index], texts[index - 1]
        elif op == "down" and index < len(texts) - 1:
            texts[index + 1], texts[index] = texts[index], texts[index + 1]
    return texts


def _index(value: str) -> int:
    """A part's index as posted; -1 for anything that is not a small number."""
    try:
        return int(value[:6])
    except ValueError:
        return -1


@workspace_view(Perm.PUBLISH)
@require_POST
def thread_parts(request: WorkspaceRequest) -> HttpResponse:
    """Add, remove or move a part; the block comes back with the texts in their new order."""
    op = request.POST.get("op", "")
    index = _index(request.POST.get("index", "-1"))
    texts = posted_parts(request.POST)
    if op in OPS:
        texts = reorder(texts, op, index)
    rows = [PartRow(i, t) for i, t in enumerate(texts)]
    context = {"thread_parts": rows, "max_parts": threads.MAX_PARTS, "editable": True}
    status = 200 if op in OPS else 400
    return render(request, "publishing/_thread_parts.html", context, status=status)


@workspace_view(Perm.PUBLISH)
@require_POST
def thread_checks(request: WorkspaceRequest) -> HttpResponse:
    """One part's counters and warnings, per chosen account: the composer's live checks on
    the part's text (a part has no own text per account)."""
    ws = request.workspace
    data = QueryDict(mutable=True)
    data.setlist("accounts", request.POST.getlist("accounts"))
    # htmx posts the whole composer form (every part): `index` says which part this is.
    parts = request.POST.getlist("part")
    index = _index(request.POST.get("index", "0"))
    data["text"] = parts[index] if 0 <= index < len(parts) else ""
    form = ComposerForm(
        data,
        accounts=list(scoped(ConnectedAccount, ws)),
        campaigns=list(scoped(Campaign, ws)),
        zone=zone_of(ws),
    )
    form.is_valid()
    context = {"rows": pages.live_rows(ws, form), "findings": pages.live_findings(ws, form)}
    return render(request, "publishing/_live_checks.html", context)
