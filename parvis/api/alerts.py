"""Alerts API: the episodes (`GET .../alerts`) and the alert rules (CRUD). Reading needs
Perm.VIEW, changing rules Perm.MANAGE_ALERTS, as on the pages. Every endpoint starts with
api_membership. A rule's webhook secret can be set, never read back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status

from parvis.alerts import services
from parvis.alerts.models import AlertRule, Episode
from parvis.api.auth import api_membership
from parvis.workspaces.access import scoped
from parvis.workspaces.roles import Perm

router = Router(tags=["alerts"])

ALERTS = "/workspaces/{slug}/alerts"
MAX_ID = 2**63 - 1


class ErrorOut(Schema):
    detail: str


class EpisodeOut(Schema):
    id: int
    query: str | None
    query_id: int | None
    kind: str
    severity: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    # « minute » or « hour »: what peak_value and baseline count (mentions per minute or per
    # hour; an hourly episode is a slow bad buzz).
    resolution: str
    peak_value: int
    baseline: float
    mention_count: int


class WebhookIO(Schema):
    url: str
    format: str = "signed"


class RuleIn(Schema):
    name: str
    kind: str = "spike"
    is_active: bool = True
    query_id: int | None = None
    metric: str = "volume"
    words: str = ""
    only_negative: bool = False
    min_followers: int | None = None
    network: str = ""
    severity: str = "important"
    channels: list[str] = []
    member_ids: list[int] = []
    roles: list[str] = []
    emails: list[str] = []
    webhooks: list[WebhookIO] = []
    secret: str = ""
    cooldown_minutes: int = 30
    digest: bool = False


class RuleOut(Schema):
    id: int
    name: str
    kind: str
    is_active: bool
    query_id: int | None
    metric: str
    words: str
    only_negative: bool
    min_followers: int | None
    network: str
    severity: str
    channels: list[str]
    member_ids: list[int]
    roles: list[str]
    emails: list[str]
    webhooks: list[WebhookIO]
    has_secret: bool
    cooldown_minutes: int
    digest: bool
    updated_at: dt.datetime


class RuleCreated(RuleOut):
    generated_secret: str  # "" unless Parvis generated it: shown this once


class RuleUpdated(RuleOut):
    generated_secret: str | None = None  # only when the update generated one


def episode_out(e: Episode) -> dict[str, Any]:
    return {
        "id": e.pk,
        "query": e.query_name or None,
        "query_id": e.query_id,
        "kind": e.kind,
        "severity": e.severity,
        "opened_at": e.opened_at,
        "closed_at": e.closed_at,
        "resolution": e.resolution,
        "peak_value": e.peak_value,
        "baseline": e.baseline,
        "mention_count": e.mention_count,
    }


def rule_out(
    rule: AlertRule, generated: str | None = None, *, editor: bool = True
) -> dict[str, Any]:
    """`editor` False (a member who may only read the rules): webhook URLs without their
    path, which is an incoming webhook's credential."""
    hooks = list(rule.webhooks or [])
    if not editor:
        hooks = [dict(h, url=services.masked_url(h["url"])) for h in hooks]
    data = {
        "id": rule.pk,
        "name": rule.name,
        "kind": rule.kind,
        "is_active": rule.is_active,
        "query_id": rule.query_id,
        "metric": rule.metric,
        "words": rule.words,
        "only_negative": rule.only_negative,
        "min_followers": rule.min_followers,
        "network": rule.network,
        "severity": rule.severity,
        "channels": list(rule.channels or []),
        "member_ids": [m.pk for m in rule.members.all()],
        "roles": list(rule.roles or []),
        "emails": list(rule.emails or []),
        "webhooks": hooks,
        "has_secret": bool(rule.webhook_secret),
        "cooldown_minutes": rule.cooldown_minutes,
        "digest": rule.digest,
        "updated_at": rule.updated_at,
    }
    if generated is not None:
        data["generated_secret"] = generated
    return data


def rule_of(workspace: Any, rule_id: int) -> AlertRule:
    rule = (
        scoped(AlertRule, workspace).filter(pk=rule_id).first() if 0 < rule_id <= MAX_ID else None
    )
    if rule is None:
        raise Http404
    return rule


def data_of(payload: RuleIn) -> dict[str, Any]:
    data = payload.dict()
    data["webhooks"] = [dict(h) for h in data["webhooks"]]
    return data


@router.get(ALERTS, response={200: list[EpisodeOut], 422: ErrorOut})
def list_alerts(request: HttpRequest, slug: str, open_only: bool = False, limit: int = 100) -> Any:
    """The workspace's episodes, newest first (`open_only`: those not closed yet)."""
    membership = api_membership(request, slug)
    if not 1 <= limit <= 500:
        return Status(422, {"detail": "limit is between 1 and 500"})
    rows = scoped(Episode, membership.workspace)
    if open_only:
        rows = rows.filter(closed_at__isnull=True)
    return [episode_out(e) for e in rows.order_by("-opened_at", "-id")[:limit]]


@router.get(ALERTS + "/rules", response=list[RuleOut])
def list_rules(request: HttpRequest, slug: str) -> Any:
    membership = api_membership(request, slug)
    editor = membership.can(Perm.MANAGE_ALERTS)
    rules = scoped(AlertRule, membership.workspace).prefetch_related("members")
    return [rule_out(r, editor=editor) for r in rules]


@router.post(ALERTS + "/rules", response={201: RuleCreated, 422: ErrorOut})
def create_rule(request: HttpRequest, slug: str, payload: RuleIn) -> Any:
    membership = api_membership(request, slug, Perm.MANAGE_ALERTS)
    try:
        rule, generated = services.do_save_rule(
            membership.workspace, membership.user, data_of(payload)
        )
    except ValidationError as error:
        return Status(422, {"detail": " ".join(error.messages)})
    return Status(201, rule_out(rule, generated))


@router.get(ALERTS + "/rules/{rule_id}", response=RuleOut)
def get_rule(request: HttpRequest, slug: str, rule_id: int) -> Any:
    membership = api_membership(request, slug)
    editor = membership.can(Perm.MANAGE_ALERTS)
    return rule_out(rule_of(membership.workspace, rule_id), editor=editor)


@router.put(
    ALERTS + "/rules/{rule_id}", response={200: RuleUpdated, 422: ErrorOut}, exclude_unset=True
)
def update_rule(request: HttpRequest, slug: str, rule_id: int, payload: RuleIn) -> Any:
    membership = api_membership(request, slug, Perm.MANAGE_ALERTS)
    rule = rule_of(membership.workspace, rule_id)
    try:
        rule, generated = services.do_save_rule(
            membership.workspace, membership.user, data_of(payload), rule=rule
        )
    except ValidationError as error:
        return Status(422, {"detail": " ".join(error.messages)})
    # Webhooks added to a rule without a secret get one: shown this once, as on creation.
    return rule_out(rule, generated or None)


@router.delete(ALERTS + "/rules/{rule_id}", response={204: None})
def delete_rule(request: HttpRequest, slug: str, rule_id: int) -> Any:
    membership = api_membership(request, slug, Perm.MANAGE_ALERTS)
    services.do_delete_rule(rule_of(membership.workspace, rule_id))
    return Status(204, None)
