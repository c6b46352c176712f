"""Moderation API: rules (list, create), the log of actions, restoring a hidden item and
previewing conditions. The same permissions as the pages: Perm.VIEW to read, Perm.MODERATE
to act (rules included). Every endpoint starts with api_membership."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status

from parvis.api.auth import api_membership
from parvis.inbox.models import Message
from parvis.moderation import listing, services
from parvis.moderation.models import Action, ActionState, Rule
from parvis.moderation.reasons import Reason
from parvis.workspaces.access import scoped
from parvis.workspaces.roles import Perm

router = Router(tags=["moderation"])

MODERATION = "/workspaces/{slug}/moderation"
PAGE = 50


class ErrorOut(Schema):
    detail: str


class RuleOut(Schema):
    id: int
    name: str
    position: int
    enabled: bool
    reason: str
    continue_after: bool
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    updated_at: dt.datetime


class RuleIn(Schema):
    name: str
    reason: str
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    enabled: bool = False
    continue_after: bool = False


class ActionOut(Schema):
    id: int
    item_id: int  # the inbox message
    conversation_id: int
    action: str
    reason: str
    rule: str | None
    member: str | None
    state: str
    note: str
    network_answer: str
    url: str
    at: dt.datetime
    done_at: dt.datetime | None


class ActionPage(Schema):
    items: list[ActionOut]
    next_offset: int | None


class RestoreIn(Schema):
    why: str


class PreviewIn(Schema):
    conditions: list[dict[str, Any]]
    days: int = 30


class PreviewItemOut(Schema):
    item_id: int
    conversation_id: int
    network: str
    text: str
    sent_at: dt.datetime
    review: bool


class PreviewOut(Schema):
    count: int
    looked_at: int
    days: int
    items: list[PreviewItemOut]


def action_out(a: Action) -> dict[str, Any]:
    return {
        "id": a.pk,
        "item_id": a.message_id,
        "conversation_id": a.message.conversation_id,
        "action": a.kind,
        "reason": a.reason,
        "rule": a.rule_name or None,
        "member": a.member.get_username() if a.member else None,
        "state": a.state,
        "note": a.note,
        "network_answer": a.network_answer,
        "url": a.url,
        "at": a.created_at,
        "done_at": a.done_at,
    }


@router.get(MODERATION + "/rules", response=list[RuleOut])
def list_rules(request: HttpRequest, slug: str) -> Any:
    """The rules in the order they are tried."""
    workspace = api_membership(request, slug).workspace
    return list(scoped(Rule, workspace).order_by("position", "id"))


@router.post(MODERATION + "/rules", response={201: RuleOut, 422: ErrorOut})
def create_rule(request: HttpRequest, slug: str, payload: RuleIn) -> Any:
    """Create a rule (conditions and actions as in docs/moderation.md); 422 with the reason
    when they cannot be used."""
    membership = api_membership(request, slug, Perm.MODERATE)
    try:
        rule = services.do_save_rule(
            membership.workspace,
            membership.user,
            name=payload.name,
            reason=payload.reason,
            conditions=payload.conditions,
            actions=payload.actions,
            enabled=payload.enabled,
            continue_after=payload.continue_after,
        )
    except ValidationError as error:
        return Status(422, {"detail": " ".join(error.messages)})
    return Status(201, rule)


@router.get(MODERATION + "/actions", response={200: ActionPage, 422: ErrorOut})
def list_actions(
    request: HttpRequest,
    slug: str,
    state: str = "",
    reason: str = "",
    action: str = "",
    offset: int = 0,
) -> Any:
    """The moderation log, newest first, 50 a page; filters `state` (queued, done, manual,
    failed), `reason`, `action`."""
    workspace = api_membership(request, slug).workspace
    if state and state not in ActionState.values:
        return Status(422, {"detail": f"state is one of: {', '.join(ActionState.values)}"})
    if reason and reason not in Reason.values:
        return Status(422, {"detail": f"reason is one of: {', '.join(Reason.values)}"})
    if not 0 <= offset <= 1_000_000:
        return Status(422, {"detail": "offset is between 0 and 1000000"})
    rows = listing.log_rows(workspace, {"state": state, "reason": reason, "action": action})
    page = list(rows[offset : offset + PAGE + 1])
    return {
        "items": [action_out(a) for a in page[:PAGE]],
        "next_offset": offset + PAGE if len(page) > PAGE else None,
    }


@router.post(MODERATION + "/items/{item_id}/restore", response={202: ActionOut, 422: ErrorOut})
def restore(request: HttpRequest, slug: str, item_id: int, payload: RestoreIn) -> Any:
    """Put a hidden item back (on the network too where it allows), saying why."""
    membership = api_membership(request, slug, Perm.MODERATE)
    message = (
        scoped(Message, membership.workspace).select_related("conversation").filter(pk=item_id)
    ).first()
    if message is None:
        raise Http404
    try:
        done = services.do_restore(message, membership.user, payload.why)
    except ValidationError as error:
        return Status(422, {"detail": " ".join(error.messages)})
    done.refresh_from_db()
    return Status(202, action_out(done))


@router.post(MODERATION + "/preview", response={200: PreviewOut, 422: ErrorOut})
def preview(request: HttpRequest, slug: str, payload: PreviewIn) -> Any:
    """What conditions would have caught over the last `days` (1 to 90): nothing is saved."""
    membership = api_membership(request, slug, Perm.MODERATE)
    if not 1 <= payload.days <= 90:
        return Status(422, {"detail": "days is between 1 and 90"})
    try:
        found, looked_at = services.preview(
            membership.workspace, payload.conditions, days=payload.days
        )
    except ValidationError as error:
        return Status(422, {"detail": " ".join(error.messages)})
    return {
        "count": len(found),
        "looked_at": looked_at,
        "days": payload.days,
        "items": [
            {
                "item_id": m.pk,
                "conversation_id": m.conversation_id,
                "network": m.network,
                "text": m.text,
                "sent_at": m.sent_at,
                "review": review,
            }
            for m, review in found[:200]
        ],
    }
