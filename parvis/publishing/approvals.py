"""Approving posts: in the app (a member with the step's role) or through a signed link sent
by e-mail to one approver, for one step of one version of one post, used once, expiring.

A link is a row (`ApprovalLink`: post, step, version, e-mail, nonce) and a token signed with
`TimestampSigner` over the row's id and nonce: the signature proves Parvis made it, the time
in it and the row's `expires_at` bound its life, the row's `used_at` (set by a conditional
UPDATE) makes it single use, and its version makes it void once the post is edited.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from parvis.publishing.models import (
    Approval,
    ApprovalLink,
    Decision,
    EventKind,
    Post,
    Status,
)
from parvis.publishing.services import (
    Report,
    check_post,
    check_text,
    event,
    get_approval_settings,
    head_of,
    lock,
    now_aware,
    report_error,
    set_status,
)
from parvis.workspaces.models import Membership
from parvis.workspaces.roles import Perm, Role
from parvis.workspaces.zones import zone_of

SALT = "parvis.publishing.approval-link"


def can_approve_step(user: Any, head: Post, step: int) -> bool:
    """A member with the approve permission and the step's role (an owner may also act for
    a manager's step); never for a step of a flow that has not that many steps."""
    flow = get_approval_settings(head.workspace)
    if not 1 <= step <= flow.steps:
        return False
    membership = Membership.objects.filter(workspace_id=head.workspace_id, user=user).first()
    if membership is None or not membership.can(Perm.APPROVE):
        return False
    wanted = flow.role_for(step)
    return membership.role == wanted or (
        membership.role == Role.OWNER and wanted in (Role.MANAGER, Role.OWNER)
    )


def current_step(head: Post) -> int:
    return head.approval_step + 1


def do_submit_for_approval(post: Post, actor: Any) -> Post:
    """Ask the approvers (the first step). Without an approval flow, the post is approved
    as it is."""
    with transaction.atomic():
        head = lock(post)
        if head.status not in (Status.DRAFT, Status.CHANGES_REQUESTED):
            raise ValidationError(_("Only a draft can be sent for approval."))
        # An approver must not approve a text or media no network would take: the counting
        # (length, media) is fixed first. Brand safety and the time are for scheduling.
        report = check_post(head)
        if report.counting or report.variants:
            raise report_error(Report(counting=report.counting, variants=report.variants))
        flow = get_approval_settings(head.workspace)
        head.approval_step = 0
        head.approved_version = None
        head.approved_at = None
        fields = ["approval_step", "approved_version", "approved_at"]
        if flow.steps == 0:
            head.approved_version = head.version
            head.approved_at = timezone.now()
            set_status(head, Status.APPROVED, fields=fields)
            event(head, EventKind.APPROVED, actor, message=_("No approval asked here."))
            return head
        set_status(head, Status.AWAITING_APPROVAL, fields=fields)
        event(head, EventKind.SUBMITTED, actor, step=1, version=head.version)
    return head


def _decide(
    head: Post,
    step: int,
    decision: str,
    comment: str,
    *,
    user: Any = None,
    email: str = "",
    via_link: bool = False,
) -> Post:
    """Record one decision on the locked head (the caller checked who decides)."""
    comment = check_text(comment.strip(), "comment")
    if head.status != Status.AWAITING_APPROVAL or current_step(head) != step:
        raise ValidationError(_("This post is not waiting for this approval any more."))
    if decision == Decision.CHANGES_REQUESTED and not comment:
        raise ValidationError({"comment": _("Say what should change.")})
    now = timezone.now()
    approval = Approval(
        workspace_id=head.workspace_id,
        post=head,
        step=step,
        post_version=head.version,
        decision=decision,
        comment=comment,
        user=user if getattr(user, "is_authenticated", False) else None,
        via_link=via_link,
        email=email,
        at=now,
    )
    approval.full_clean(exclude=["post", "user"])
    approval.save()
    who = user if getattr(user, "is_authenticated", False) else None
    details: dict[str, Any] = {
        "step": step,
        "version": head.version,
        "via_link": via_link,
        "email": email,
    }
    if decision == Decision.CHANGES_REQUESTED:
        head.approval_step = 0
        set_status(head, Status.CHANGES_REQUESTED, fields=["approval_step"])
        event(head, EventKind.CHANGES_REQUESTED, who, message=comment, **details)
        return head
    head.approval_step = step
    flow = get_approval_settings(head.workspace)
    if step < flow.steps:
        head.save(update_fields=["approval_step", "updated_at"])
        event(head, EventKind.APPROVED, who, message=comment, **details)
        return head
    head.approved_version = head.version
    head.approved_at = now
    set_status(head, Status.APPROVED, fields=["approval_step", "approved_version", "approved_at"])
    event(head, EventKind.APPROVED, who, message=comment, final=True, **details)
    return head


def schedule_if_timed(head: Post, actor: Any) -> Post:
    """Once approved, a post that has its time is scheduled, if every check passes (else it
    stays approved, and the log says why)."""
    from parvis.publishing import services

    if head.status != Status.APPROVED or head.scheduled_at is None:
        return head
    try:
        with transaction.atomic():
            return services.do_schedule(head, actor)
    except ValidationError as error:
        event(head, EventKind.NOT_SCHEDULED, None, message=" ".join(error.messages))
        return head


def do_approve(post: Post, user: Any, comment: str = "", *, step: int | None = None) -> Post:
    """Approve the current step as `user` (403 when they may not)."""
    with transaction.atomic():
        head = lock(post)
        step = step or current_step(head)
        if not can_approve_step(user, head, step):
            raise PermissionDenied
        head = _decide(head, step, Decision.APPROVED, comment, user=user)
        head = schedule_if_timed(head, user)
    return head


def do_request_changes(post: Post, user: Any, comment: str, *, step: int | None = None) -> Post:
    with transaction.atomic():
        head = lock(post)
        step = step or current_step(head)
        if not can_approve_step(user, head, step):
            raise PermissionDenied
        return _decide(head, step, Decision.CHANGES_REQUESTED, comment, user=user)


# --- signed links -----------------------------------------------------------------------------


def do_create_link(
    post: Post, actor: Any, email: str, *, now: dt.datetime | None = None
) -> tuple[ApprovalLink, str]:
    """A link for `email` to decide the post's current step: (the row, the token to put in
    the URL). The token is shown once (in the e-mail), never stored."""
    now = now_aware(now)
    with transaction.atomic():
        head = lock(post)
        if head.status != Status.AWAITING_APPROVAL:
            raise ValidationError(_("This post is not waiting for an approval."))
        flow = get_approval_settings(head.workspace)
        link = ApprovalLink(
            workspace_id=head.workspace_id,
            post=head,
            step=current_step(head),
            post_version=head.version,
            email=email.strip(),
            nonce=secrets.token_urlsafe(24),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=now,
            expires_at=now + dt.timedelta(hours=flow.link_hours),
        )
        link.full_clean(exclude=["post", "created_by"])
        link.save()
        event(head, EventKind.LINK_SENT, actor, email=link.email, step=link.step)
    token = signing.TimestampSigner(salt=SALT).sign(f"{link.pk}:{link.nonce}")
    return link, token


def send_link(link: ApprovalLink, url: str) -> None:
    """E-mail the approver their link (the UI builds `url` from the token)."""
    post = link.post
    subject = _("Approval requested: %(workspace)s") % {"workspace": post.workspace.name}
    body = _(
        "A post of %(workspace)s waits for your approval:\n\n%(text)s\n\n"
        "Approve it or ask for changes here (this link works once, for this post only, "
        "until %(expires)s, %(zone)s time):\n%(url)s\n"
    ) % {
        "workspace": post.workspace.name,
        "text": post.text[:2000],
        # In the workspace's time zone and the language's own format (« 11 décembre 2026
        # 02:08 »), as the calendar shows its times.
        "expires": formats.date_format(
            link.expires_at.astimezone(zone_of(post.workspace)), "DATETIME_FORMAT"
        ),
        "zone": zone_of(post.workspace).key,
        "url": url,
    }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [link.email])


class LinkError(ValidationError):
    """A link that does not (or no longer) decide anything: forged, expired, used, stale."""


@dataclass
class LinkInfo:
    link: ApprovalLink
    post: Post


def resolve_link(
    token: str, *, post_id: int | None = None, now: dt.datetime | None = None
) -> LinkInfo:
    """The link behind a token, if it still decides its post (without using it): the page
    the approver opens shows the post from this."""
    now = now_aware(now)
    flow_hours = 24 * 30  # the longest a flow allows; the row's expires_at is the real bound
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(
            token, max_age=dt.timedelta(hours=flow_hours)
        )
    except signing.SignatureExpired:
        raise LinkError(_("This link has expired.")) from None
    except signing.BadSignature:
        raise LinkError(_("This link is not valid.")) from None
    link_id, _sep, nonce = value.partition(":")
    link = (
        ApprovalLink.objects.select_related("post__workspace")
        .filter(pk=int(link_id) if link_id.isdigit() else 0, nonce=nonce)
        .first()
    )
    if link is None:
        raise LinkError(_("This link is not valid."))
    if post_id is not None and link.post_id != post_id:
        raise LinkError(_("This link is not valid."))
    if link.used_at is not None:
        raise LinkError(_("This link has already been used."))
    if link.expires_at <= now:
        raise LinkError(_("This link has expired."))
    head = head_of(link.post)
    if (
        head.version != link.post_version
        or head.status != Status.AWAITING_APPROVAL
        or current_step(head) != link.step
    ):
        raise LinkError(_("This post has changed since this link was sent: it needs a new one."))
    return LinkInfo(link=link, post=head)


def do_decide_by_link(
    token: str,
    decision: str,
    comment: str = "",
    *,
    post_id: int | None = None,
    now: dt.datetime | None = None,
) -> Post:
    """The approver's answer through their link (no password): used once, for that post."""
    if decision not in Decision.values:
        raise ValidationError({"decision": _("Approve or ask for changes.")})
    now = now_aware(now)
    with transaction.atomic():
        info = resolve_link(token, post_id=post_id, now=now)
        head = lock(info.post)
        used = ApprovalLink.objects.filter(pk=info.link.pk, used_at__isnull=True).update(
            used_at=now
        )
        if not used:  # another request used it a moment ago
            raise LinkError(_("This link has already been used."))
        link = resolve_link_unlocked(info.link, head, now)
        head = _decide(head, link.step, decision, comment, email=link.email, via_link=True)
        if decision == Decision.APPROVED:
            head = schedule_if_timed(head, None)
    return head


def resolve_link_unlocked(link: ApprovalLink, head: Post, now: dt.datetime) -> ApprovalLink:
    """The link's checks again under the head's lock (the post may have moved meanwhile)."""
    if (
        head.version != link.post_version
        or head.status != Status.AWAITING_APPROVAL
        or current_step(head) != link.step
    ):
        raise LinkError(_("This post has changed since this link was sent: it needs a new one."))
    return link
