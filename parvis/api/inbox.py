"""Inbox API: conversations (the pages' views and filters), their messages, replying,
assigning and changing the status. Every endpoint starts with api_membership."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from parvis.api.auth import api_membership
from parvis.inbox import clock, listing, sending, services
from parvis.inbox.forms import members_of
from parvis.inbox.models import Conversation, Message, Reply
from parvis.workspaces.access import scoped
from parvis.workspaces.models import Membership
from parvis.workspaces.roles import Perm

router = Router(tags=["inbox"])

INBOX = "/workspaces/{slug}/inbox"
PAGE = 50


class SlaOut(Schema):
    clock: str  # first | next | "" (none running)
    state: str  # ok | at_risk | breached | met | none
    due_at: dt.datetime | None
    first_response_due: dt.datetime | None
    first_response_at: dt.datetime | None


class ConversationOut(Schema):
    id: int
    network: str
    kind: str
    subject: str
    author_handle: str
    status: str
    priority: int
    assignee: str | None
    team: str | None
    tags: list[str]
    unread: bool
    snoozed_until: dt.datetime | None
    escalated_to: str | None
    escalated_role: str
    sla: SlaOut
    message_count: int
    last_message_at: dt.datetime
    version: int


class MessageOut(Schema):
    id: int
    direction: str
    external_id: str
    author_handle: str
    author_name: str
    member: str | None
    text: str
    url: str
    sent_at: dt.datetime
    sentiment: str


class ReplyOut(Schema):
    id: int
    state: str
    text: str
    member: str | None
    last_error: str
    external_id: str
    sent_at: dt.datetime | None
    created_at: dt.datetime


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]
    replies: list[ReplyOut]


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_offset: int | None


class WarningOut(Schema):
    code: str
    message: str


class ReplyIn(Schema):
    text: str
    force: bool = False
    seen_version: int | None = None


class ReplyQueuedOut(Schema):
    id: int | None  # None when nothing was queued (warnings to confirm with force)
    state: str  # queued | not_sent
    warnings: list[WarningOut]


class AssignIn(Schema):
    assignee: str | None = None  # a member's username, null to unassign


class StatusIn(Schema):
    status: str


class ErrorOut(Schema):
    detail: str


def username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def conversation_out(c: Conversation, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": c.pk,
        "network": c.network,
        "kind": c.kind,
        "subject": c.subject,
        "author_handle": c.author.handle if c.author else "",
        "status": c.status,
        "priority": c.priority,
        "assignee": username(c.assignee),
        "team": c.team.name if c.team else None,
        "tags": [t.name for t in c.tags.all()],
        "unread": c.unread,
        "snoozed_until": c.snoozed_until,
        "escalated_to": username(c.escalated_to),
        "escalated_role": c.escalated_role,
        "sla": {
            "clock": c.clock,
            "state": str(clock.state(c, now)),
            "due_at": c.due_at,
            "first_response_due": c.first_response_due_at,
            "first_response_at": c.first_response_at,
        },
        "message_count": c.message_count,
        "last_message_at": c.last_message_at,
        "version": c.version,
    }


def with_related(rows: Any) -> Any:
    return rows.select_related("author", "assignee", "team", "escalated_to").prefetch_related(
        "tags"
    )


@router.get(INBOX, response={200: ConversationPage, 422: ErrorOut})
def list_conversations(
    request: HttpRequest,
    slug: str,
    view: str = "all",
    status: str = "",
    assignee: str = "",
    network: str = "",
    offset: int = 0,
) -> Any:
    """Conversations of one view (mine, unassigned, at_risk, all, waiting, resolved, spam),
    filtered by status, assignee (a username, or « none ») and network; 50 a page."""
    membership = api_membership(request, slug)
    if view not in listing.API_VIEWS:
        return Status(422, {"detail": f"view is one of: {', '.join(listing.API_VIEWS)}"})
    if not 0 <= offset <= 100_000:
        return Status(422, {"detail": "offset is between 0 and 100000"})
    assignee_id = None
    if assignee == "none":
        view = "unassigned" if view in ("all", "mine") else view
    elif assignee:
        found = Membership.objects.filter(
            workspace=membership.workspace, user__username=assignee
        ).first()
        assignee_id = found.user_id if found else -1
    now = timezone.now()
    # The pages' definition of each view (inbox/listing.py), so both show the same.
    rows = listing.in_view(membership.workspace, membership.user, view, now)
    rows = listing.filtered(rows, {"status": status, "network": network})
    if assignee_id is not None:
        rows = rows.filter(assignee_id=assignee_id)
    page = listing.rows_at(rows, offset, PAGE + 1)
    more = len(page) > PAGE
    return {
        "items": [conversation_out(c, now) for c in page[:PAGE]],
        "next_offset": offset + PAGE if more else None,
    }


def fetch(
    request: HttpRequest, slug: str, conversation_id: int, perm: Perm
) -> tuple[Any, Conversation]:
    """(the acting user, the conversation), fetched and authorized together."""
    membership = api_membership(request, slug, perm)
    conversation = (
        with_related(scoped(Conversation, membership.workspace)).filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise Http404
    return membership.user, conversation


@router.get(INBOX + "/{conversation_id}", response=ConversationDetailOut)
def get_conversation(request: HttpRequest, slug: str, conversation_id: int) -> Any:
    _user, conversation = fetch(request, slug, conversation_id, Perm.VIEW)
    data = conversation_out(conversation, timezone.now())
    messages = Message.objects.filter(conversation=conversation).select_related("member")
    data["messages"] = [
        {
            "id": m.pk,
            "direction": m.direction,
            "external_id": m.external_id,
            "author_handle": m.author_handle,
            "author_name": m.author_name,
            "member": username(m.member),
            "text": m.text,
            "url": m.url,
            "sent_at": m.sent_at,
            "sentiment": m.sentiment,
        }
        for m in messages
    ]
    data["replies"] = [
        reply_out(r)
        for r in Reply.objects.filter(conversation=conversation).select_related("member")
    ]
    return data


def reply_out(r: Reply) -> dict[str, Any]:
    return {
        "id": r.pk,
        "state": r.state,
        "text": r.text,
        "member": username(r.member),
        "last_error": r.last_error,
        "external_id": r.external_id,
        "sent_at": r.sent_at,
        "created_at": r.created_at,
    }


@router.post(
    INBOX + "/{conversation_id}/reply", response={202: ReplyQueuedOut, 409: ReplyQueuedOut}
)
def reply(request: HttpRequest, slug: str, conversation_id: int, payload: ReplyIn) -> Any:
    """Queue a reply. With editorial-line warnings (or a collision), nothing is queued and the
    answer is 409 with the warnings: send again with `"force": true` to send anyway (a reply
    over the network's length limit is never sent)."""
    user, conversation = fetch(request, slug, conversation_id, Perm.REPLY)
    queued = sending.do_queue_reply(
        conversation,
        user,
        payload.text,
        force=payload.force,
        seen_version=payload.seen_version,
    )
    if queued.reply is None:
        return Status(409, {"id": None, "state": "not_sent", "warnings": queued.warnings})
    queued.reply.refresh_from_db(fields=["state"])
    return Status(
        202, {"id": queued.reply.pk, "state": queued.reply.state, "warnings": queued.warnings}
    )


@router.post(INBOX + "/{conversation_id}/assign", response=ConversationOut)
def assign(request: HttpRequest, slug: str, conversation_id: int, payload: AssignIn) -> Any:
    actor, conversation = fetch(request, slug, conversation_id, Perm.REPLY)
    user = None
    if payload.assignee:
        user = members_of(conversation.workspace).filter(username=payload.assignee).first()
        if user is None:
            raise ValidationError("no member of this workspace has that username")
    services.do_assign(conversation, actor, assignee=user)
    return conversation_out(fetch(request, slug, conversation_id, Perm.VIEW)[1], timezone.now())


@router.post(INBOX + "/{conversation_id}/status", response=ConversationOut)
def set_status(request: HttpRequest, slug: str, conversation_id: int, payload: StatusIn) -> Any:
    actor, conversation = fetch(request, slug, conversation_id, Perm.REPLY)
    services.do_set_status(conversation, actor, payload.status)
    return conversation_out(fetch(request, slug, conversation_id, Perm.VIEW)[1], timezone.now())
