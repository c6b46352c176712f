"""Publishing API: the accounts a workspace publishes to, posts (create, list, read), sending
for approval, approving and scheduling. Every endpoint starts with api_membership; counting,
safety and approval problems are 422s whose `detail` is keyed by network code (then
`safety`, `approval`, `time`, `variants`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status

from parvis.api.auth import api_membership
from parvis.connectors.models import ConnectedAccount
from parvis.publishing import approvals, engine, services
from parvis.publishing.models import Campaign, Decision, Media, Post
from parvis.publishing.models import Status as PostStatus
from parvis.workspaces.access import scoped
from parvis.workspaces.roles import Perm

router = Router(tags=["publishing"])

WS = "/workspaces/{slug}"
POSTS = WS + "/posts"
MAX_ID = 2**63 - 1
PAGE = 500
MAX_VARIANTS = 200  # accounts one post goes to


class AccountOut(Schema):
    id: int
    network: str
    handle: str
    display_name: str
    capabilities: list[str]


class VariantIn(Schema):
    account_id: int
    text: str = ""  # empty: the post's text


class PostIn(Schema):
    text: str = ""
    variants: list[VariantIn] = []
    scheduled_at: dt.datetime | None = None
    media: list[int] = []  # ids of uploaded media, in order
    campaign: str | None = None  # a campaign's name (created when new)
    language: str = ""


class VariantOut(Schema):
    id: int
    account_id: int
    network: str
    handle: str
    text: str
    status: str
    external_id: str
    url: str
    published_at: dt.datetime | None
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str
    what_to_do: str


class PostOut(Schema):
    id: int
    text: str
    status: str
    scheduled_at: dt.datetime | None
    campaign: str | None
    language: str
    version: int
    approval_step: int
    approved: bool
    thread_parent: int | None
    thread_position: int
    author: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    variants: list[VariantOut]
    media: list[int]


class DecisionIn(Schema):
    decision: str = Decision.APPROVED  # approved | changes_requested
    comment: str = ""


class ScheduleIn(Schema):
    scheduled_at: dt.datetime | None = None  # default: the post's own time
    # Brand-safety warnings of the post are accepted, for this reason (kept in the post's log).
    override_reason: str = ""


class ErrorOut(Schema):
    detail: Any


def post_out(post: Post) -> dict[str, Any]:
    variants = list(post.variants.select_related("account").order_by("id"))
    return {
        "id": post.pk,
        "text": post.text,
        "status": post.status,
        "scheduled_at": post.scheduled_at,
        "campaign": post.campaign.name if post.campaign_id and post.campaign else None,
        "language": post.language,
        "version": post.version,
        "approval_step": post.approval_step,
        "approved": services.is_approved(services.head_of(post)),
        "thread_parent": post.thread_parent_id,
        "thread_position": post.thread_position,
        "author": post.author.get_username() if post.author else None,
        "created_at": post.created_at,
        "updated_at": post.updated_at,
        "variants": [
            {
                "id": v.pk,
                "account_id": v.account_id,
                "network": v.account.network,
                "handle": v.account.handle,
                "text": v.effective_text,
                "status": v.status,
                "external_id": v.external_id,
                "url": v.url,
                "published_at": v.published_at,
                "attempts": v.attempts,
                "next_attempt_at": v.next_attempt_at,
                "last_error": v.last_error,
                "what_to_do": v.what_to_do,
            }
            for v in variants
        ],
        "media": list(post.media.order_by("position", "id").values_list("id", flat=True)),
    }


def post_of(workspace: Any, post_id: int) -> Post:
    post = (
        scoped(Post, workspace).select_related("campaign", "author").filter(pk=post_id).first()
        if 0 < post_id <= MAX_ID
        else None
    )
    if post is None:
        raise Http404
    return post


def check_ids(ids: list[int], what: str) -> None:
    if any(not 0 < i <= MAX_ID for i in ids):
        raise ValidationError({what: "An id is out of range."})


@router.get(WS + "/accounts", response=list[AccountOut])
def list_accounts(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    workspace = api_membership(request, slug).workspace
    out = []
    for account in scoped(ConnectedAccount, workspace).order_by("network", "handle"):
        cls = engine.connector_class(account)
        out.append(
            {
                "id": account.pk,
                "network": account.network,
                "handle": account.handle,
                "display_name": account.display_name,
                "capabilities": sorted(str(c) for c in cls.capabilities) if cls else [],
            }
        )
    return out


@router.post(POSTS, response={201: PostOut, 422: ErrorOut})
def create_post(request: HttpRequest, slug: str, payload: PostIn) -> Any:
    """A draft, refused (422, per network) when a variant does not fit its network."""
    membership = api_membership(request, slug, Perm.PUBLISH)
    workspace = membership.workspace
    if len(payload.variants) > MAX_VARIANTS or len(payload.media) > services.MAX_MEDIA:
        raise ValidationError({"variants": "Too many accounts or files for one post."})
    check_ids([v.account_id for v in payload.variants], "variants")
    check_ids(payload.media, "media")
    with transaction.atomic():
        campaign = None
        if payload.campaign and payload.campaign.strip():
            campaign = scoped(Campaign, workspace).filter(name=payload.campaign.strip()).first()
            if campaign is None:
                campaign = services.do_create_campaign(workspace, membership.user, payload.campaign)
        post = services.do_create_post(
            workspace,
            membership.user,
            payload.text,
            variants={v.account_id: v.text for v in payload.variants},
            scheduled_at=payload.scheduled_at,
            campaign=campaign,
            language=payload.language,
        )
        if payload.media:
            found = {m.pk: m for m in scoped(Media, workspace).filter(pk__in=payload.media)}
            if len(found) != len(set(payload.media)):
                raise ValidationError({"media": "No such file in this workspace."})
            services.do_attach_media(post, membership.user, [found[i] for i in payload.media])
        report = services.check_post(post)
        if report.counting:
            raise ValidationError(dict(report.counting))
    return Status(201, post_out(Post.objects.get(pk=post.pk)))


@router.get(POSTS, response={200: list[PostOut], 422: ErrorOut})
def list_posts(
    request: HttpRequest,
    slug: str,
    start: dt.datetime | None = Query(None, alias="from"),  # noqa: B008
    end: dt.datetime | None = Query(None, alias="to"),  # noqa: B008
    status: str | None = None,
    campaign: str | None = None,
    account: int | None = None,
    network: str | None = None,
    limit: int = PAGE,
) -> Any:
    """Posts by their time, `from` ≤ time < `to`; optionally one status, one campaign (by
    name), posts going to one account (id) or to one network."""
    workspace = api_membership(request, slug).workspace
    rows = scoped(Post, workspace).select_related("campaign", "author")
    for value in (start, end):
        if value is not None:
            try:
                services.check_time(value)
            except ValidationError as error:
                return Status(422, {"detail": error.messages[0]})
    if start is not None:
        rows = rows.filter(scheduled_at__gte=start)
    if end is not None:
        rows = rows.filter(scheduled_at__lt=end)
    if status:
        if status not in PostStatus.values:
            return Status(422, {"detail": f"status is one of: {', '.join(PostStatus.values)}"})
        rows = rows.filter(status=status)
    if campaign:
        rows = rows.filter(campaign__name=campaign)
    if account is not None:
        if not 0 < account <= MAX_ID:
            return Status(422, {"detail": "account is an id"})
        rows = rows.filter(variants__account_id=account)
    if network:
        rows = rows.filter(variants__account__network=network)
    if account is not None or network:
        rows = rows.distinct()
    rows = rows.order_by("scheduled_at", "id")[: max(1, min(limit, PAGE))]
    return [post_out(p) for p in rows]


@router.get(POSTS + "/{post_id}", response=PostOut)
def get_post(request: HttpRequest, slug: str, post_id: int) -> Any:
    workspace = api_membership(request, slug).workspace
    return post_out(post_of(workspace, post_id))


@router.post(POSTS + "/{post_id}/submit", response={200: PostOut, 422: ErrorOut})
def submit_post(request: HttpRequest, slug: str, post_id: int) -> Any:
    """Send the post for approval (approved at once where the workspace asks for none)."""
    membership = api_membership(request, slug, Perm.PUBLISH)
    post = post_of(membership.workspace, post_id)
    approvals.do_submit_for_approval(post, membership.user)
    return post_out(Post.objects.get(pk=post.pk))


@router.post(POSTS + "/{post_id}/approve", response={200: PostOut, 422: ErrorOut})
def approve_post(request: HttpRequest, slug: str, post_id: int, payload: DecisionIn) -> Any:
    """Approve the post's current step, or ask for changes (with a comment)."""
    membership = api_membership(request, slug, Perm.APPROVE)
    post = post_of(membership.workspace, post_id)
    if payload.decision == Decision.CHANGES_REQUESTED:
        approvals.do_request_changes(post, membership.user, payload.comment)
    elif payload.decision == Decision.APPROVED:
        approvals.do_approve(post, membership.user, payload.comment)
    else:
        raise ValidationError({"decision": "approved or changes_requested"})
    return post_out(Post.objects.get(pk=post.pk))


@router.post(POSTS + "/{post_id}/schedule", response={200: PostOut, 422: ErrorOut})
def schedule_post(request: HttpRequest, slug: str, post_id: int, payload: ScheduleIn) -> Any:
    """Schedule at `scheduled_at` (or the post's time): every check must pass."""
    membership = api_membership(request, slug, Perm.PUBLISH)
    post = post_of(membership.workspace, post_id)
    with transaction.atomic():
        if payload.override_reason.strip() and services.check_post(post).unresolved:
            services.do_override_safety(post, membership.user, payload.override_reason)
        services.do_schedule(post, membership.user, payload.scheduled_at)
    return post_out(Post.objects.get(pk=post.pk))
