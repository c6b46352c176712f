"""Crisis API: start a crisis from an episode (`POST .../alerts/{episode_id}/crisis`,
idempotent: the second call answers the same crisis with 200), read it with its checklist,
log and summary, close it. Reading needs Perm.VIEW, acting Perm.MANAGE_ALERTS, as on the
pages; another workspace's episode is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status

from parvis.alerts.crisis import analysis, services
from parvis.alerts.crisis.models import Crisis
from parvis.alerts.models import Episode
from parvis.api.auth import api_membership
from parvis.workspaces.access import scoped
from parvis.workspaces.roles import Perm

router = Router(tags=["alerts"])

CRISIS = "/workspaces/{slug}/alerts/{episode_id}/crisis"
MAX_ID = 2**63 - 1


class ErrorOut(Schema):
    detail: str


class TaskOut(Schema):
    id: int
    label: str
    action: str
    done_at: dt.datetime | None


class LogOut(Schema):
    at: dt.datetime
    kind: str
    user: str | None
    text: str


class CrisisOut(Schema):
    id: int
    episode_id: int
    state: str
    automatic: bool
    started_at: dt.datetime
    started_by: str | None
    closed_at: dt.datetime | None
    closing_note: str
    publishing_paused: bool
    tasks: list[TaskOut]
    log: list[LogOut]
    # The stored summary once closed (duration, peak, reach, sentiment before/during/after,
    # responses); while open, the same figures computed now.
    summary: dict[str, Any]


class CloseIn(Schema):
    note: str = ""


def episode_of(workspace: Any, episode_id: int) -> Episode:
    episode = (
        scoped(Episode, workspace).filter(pk=episode_id).first()
        if 0 < episode_id <= MAX_ID
        else None
    )
    if episode is None:
        raise Http404
    return episode


def crisis_of(workspace: Any, episode_id: int) -> Crisis:
    crisis = Crisis.objects.filter(episode=episode_of(workspace, episode_id)).first()
    if crisis is None:
        raise Http404
    return crisis


def name_of(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def crisis_out(crisis: Crisis) -> dict[str, Any]:
    return {
        "id": crisis.pk,
        "episode_id": crisis.episode_id,
        "state": crisis.state,
        "automatic": crisis.automatic,
        "started_at": crisis.started_at,
        "started_by": name_of(crisis.started_by),
        "closed_at": crisis.closed_at,
        "closing_note": crisis.closing_note,
        "publishing_paused": services.publishing_paused(crisis.workspace),
        "tasks": [
            {"id": t.pk, "label": t.label, "action": t.action, "done_at": t.done_at}
            for t in crisis.tasks.all()
        ],
        "log": [
            {"at": e.at, "kind": e.kind, "user": name_of(e.user), "text": e.text}
            for e in crisis.log.select_related("user")
        ],
        "summary": crisis.summary or analysis.summary(crisis),
    }


@router.post(CRISIS, response={200: CrisisOut, 201: CrisisOut})
def start_crisis(request: HttpRequest, slug: str, episode_id: int) -> Any:
    """Start the episode's crisis (201), or answer the one already started (200)."""
    membership = api_membership(request, slug, Perm.MANAGE_ALERTS)
    episode = episode_of(membership.workspace, episode_id)
    crisis, created = services.do_start_crisis(episode, membership.user)
    return Status(201 if created else 200, crisis_out(crisis))


@router.get(CRISIS, response=CrisisOut)
def get_crisis(request: HttpRequest, slug: str, episode_id: int) -> Any:
    membership = api_membership(request, slug)
    return crisis_out(crisis_of(membership.workspace, episode_id))


@router.post(CRISIS + "/close", response={200: CrisisOut, 422: ErrorOut})
def close_crisis(request: HttpRequest, slug: str, episode_id: int, payload: CloseIn) -> Any:
    """Close it with a note (closing a closed crisis changes nothing)."""
    membership = api_membership(request, slug, Perm.MANAGE_ALERTS)
    crisis = crisis_of(membership.workspace, episode_id)
    try:
        crisis = services.do_close_crisis(crisis, membership.user, payload.note)
    except ValidationError as error:
        return Status(422, {"detail": " ".join(error.messages)})
    return crisis_out(crisis)
