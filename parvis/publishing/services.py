"""Writing, checking and scheduling posts: every change to a post goes through a `do_*` here
(approvals in approvals.py, publication in engine.py).

Rules:
- a thread is its head post plus parts (`thread_parent` = head, `thread_position` 1, 2, …):
  the head carries the version, the approval and the time; status changes apply to all parts;
- an edit of what would be published (text, variants, media) bumps the head's `version`;
  a post that was awaiting approval, approved or scheduled goes back to approval
  (`back_to_approval`); with no approval flow, a scheduled post is checked again;
- scheduling needs: the approval of this version (or no flow), a time, every variant counted
  OK for its network, and every brand-safety finding overridden with a reason;
- every change is locked on the head's row (select_for_update), checked (full_clean), saved
  with update_fields and logged as a PostEvent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Max, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.connectors.base import MediaFile
from parvis.connectors.limits import stored_limits
from parvis.connectors.models import ConnectedAccount
from parvis.core.audit import record_event
from parvis.core.models import AuditEvent
from parvis.core.networks import network_label
from parvis.publishing import checks
from parvis.publishing import media as mediatypes
from parvis.publishing.models import (
    EDITABLE_STATUSES,
    SENT_STATUSES,
    ApprovalSettings,
    Campaign,
    EventKind,
    Flow,
    Media,
    Post,
    PostEvent,
    Status,
    Variant,
)
from parvis.workspaces.models import Workspace
from parvis.workspaces.roles import Role

MAX_TEXT = 100_000  # far above any network's limit: a bound on what is stored, not a rule
MAX_UPLOAD = 512 * 1024 * 1024
MAX_MEDIA = 20
# A post scheduled a little in the past (the form took time) still goes, at once.
PAST_GRACE = dt.timedelta(minutes=5)
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
# Statuses in which an edit sends the post back to its approvers.
APPROVAL_TOUCHED = frozenset(
    {Status.AWAITING_APPROVAL, Status.APPROVED, Status.SCHEDULED, Status.FAILED}
)


# --- small helpers ----------------------------------------------------------------------------


def now_aware(value: dt.datetime | None = None) -> dt.datetime:
    return value if value is not None else timezone.now()


def check_time(when: dt.datetime | None) -> dt.datetime | None:
    """An aware datetime in a sane range, or a clear ValidationError."""
    if when is None:
        return None
    if timezone.is_naive(when):
        raise ValidationError({"scheduled_at": _("Give the time with its time zone.")})
    if not EARLIEST_YEAR <= when.year <= LATEST_YEAR:
        raise ValidationError({"scheduled_at": _("This date is out of range.")})
    return when


def check_text(text: str, field_name: str = "text") -> str:
    if len(text) > MAX_TEXT:
        raise ValidationError({field_name: _("This text is too long to be a post.")})
    if "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text):
        raise ValidationError(
            {field_name: _("This text contains characters that cannot be stored.")}
        )
    return text


def event(
    post: Post,
    kind: str,
    actor: Any = None,
    *,
    variant: Variant | None = None,
    message: str = "",
    at: dt.datetime | None = None,
    **details: Any,
) -> PostEvent:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return PostEvent.objects.create(
        workspace_id=post.workspace_id,
        post=post,
        variant=variant,
        kind=kind,
        actor=actor,
        message=str(message)[:5000],
        details=details,
        at=now_aware(at),
    )


def head_of(post: Post) -> Post:
    return post.thread_parent if post.thread_parent_id else post  # type: ignore[return-value]


def thread_of(head: Post) -> list[Post]:
    """The head and its parts, in order."""
    parts = list(Post.objects.filter(thread_parent=head).order_by("thread_position"))
    return [head, *parts]


def lock(post: Post) -> Post:
    """The head of the post's thread, locked for this transaction (fresh from the database)."""
    head_id = post.thread_parent_id or post.pk
    return Post.objects.select_for_update().get(pk=head_id)


def get_approval_settings(workspace: Workspace) -> ApprovalSettings:
    found = ApprovalSettings.objects.filter(workspace=workspace).first()
    if found is not None:
        return found
    settings_row, _created = ApprovalSettings.objects.get_or_create(workspace=workspace)
    return settings_row


def approval_needed(head: Post) -> bool:
    return get_approval_settings(head.workspace).flow != Flow.NONE


def is_approved(head: Post) -> bool:
    """Approved in its current version, or no approval asked in this workspace."""
    return not approval_needed(head) or head.approved_version == head.version


def set_status(head: Post, status: str, *, fields: Sequence[str] = ()) -> None:
    """The thread's posts and their variants not yet on the network take `status`."""
    head.status = status
    head.full_clean(exclude=["author", "campaign", "thread_parent", "safety_overridden_by"])
    head.save(update_fields=["status", "updated_at", *fields])
    posts = [p.pk for p in thread_of(head)]
    Post.objects.filter(thread_parent=head).update(status=status, updated_at=timezone.now())
    Variant.objects.filter(post_id__in=posts).exclude(status__in=SENT_STATUSES).update(
        status=status, updated_at=timezone.now()
    )


# --- campaigns and settings -------------------------------------------------------------------


def do_create_campaign(
    workspace: Workspace, actor: Any, name: str, description: str = ""
) -> Campaign:
    campaign = Campaign(workspace=workspace, name=name.strip(), description=description.strip())
    campaign.full_clean()
    campaign.save()
    return campaign


def do_save_approval_settings(
    workspace: Workspace,
    actor: Any,
    *,
    flow: str,
    step1_role: str = Role.MANAGER,
    step2_role: str = Role.CLIENT,
    link_hours: int = 72,
) -> ApprovalSettings:
    row = get_approval_settings(workspace)
    row.flow, row.step1_role, row.step2_role, row.link_hours = (
        flow,
        step1_role,
        step2_role,
        link_hours,
    )
    if not 1 <= link_hours <= 24 * 30:
        raise ValidationError({"link_hours": _("Between 1 hour and 30 days.")})
    row.full_clean()
    row.save(update_fields=["flow", "step1_role", "step2_role", "link_hours", "updated_at"])
    record_event(
        AuditEvent.Kind.APPROVAL_FLOW_CHANGED,
        actor=actor,
        workspace=workspace,
        flow=flow,
        step1_role=step1_role,
        step2_role=step2_role,
    )
    return row


# --- creating and editing ---------------------------------------------------------------------


def accounts_of(workspace: Workspace, account_ids: Iterable[int]) -> list[ConnectedAccount]:
    ids = list(dict.fromkeys(int(i) for i in account_ids))
    found = {a.pk: a for a in ConnectedAccount.objects.filter(workspace=workspace, pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError(
            {"variants": _("No such account in this workspace: %(ids)s") % {"ids": missing}}
        )
    return [found[i] for i in ids]


def do_create_post(
    workspace: Workspace,
    author: Any,
    text: str,
    *,
    variants: dict[int, str] | None = None,
    scheduled_at: dt.datetime | None = None,
    campaign: Campaign | None = None,
    language: str = "",
    thread_parent: Post | None = None,
) -> Post:
    """A draft; `variants` maps account ids to their own text ("" for the master text). A
    thread's part (`thread_parent`: the head) gets the head's accounts and time."""
    check_text(text)
    check_time(scheduled_at)
    if campaign is not None and campaign.workspace_id != workspace.pk:
        raise ValidationError({"campaign": _("No such campaign in this workspace.")})
    with transaction.atomic():
        head = None
        if thread_parent is not None:
            if thread_parent.workspace_id != workspace.pk:
                raise ValidationError({"thread_parent": _("No such post in this workspace.")})
            head = lock(thread_parent)
            if head.status not in EDITABLE_STATUSES - {Status.FAILED}:
                raise ValidationError(_("This thread can no longer be changed."))
        post = Post(
            workspace=workspace,
            author=author if getattr(author, "is_authenticated", False) else None,
            text=text,
            language=language[:20],
            campaign=campaign,
            scheduled_at=head.scheduled_at if head else scheduled_at,
            status=head.status if head else Status.DRAFT,
        )
        if head is not None:
            last = Post.objects.filter(thread_parent=head).aggregate(n=Max("thread_position"))["n"]
            post.thread_parent = head
            post.thread_position = (last or 0) + 1
        post.full_clean(exclude=["author"])
        post.save()
        if head is not None:
            accounts = [v.account for v in head.variants.select_related("account")]
            texts = {a.pk: (variants or {}).get(a.pk, "") for a in accounts}
        else:
            accounts = accounts_of(workspace, (variants or {}).keys())
            texts = dict(variants or {})
        for account in accounts:
            add_variant(post, account, texts.get(account.pk, ""))
        event(post, EventKind.CREATED, author)
        if head is not None:
            content_edited(head, author, _("A part was added to the thread."))
    return post


def add_variant(post: Post, account: ConnectedAccount, text: str) -> Variant:
    check_text(text)
    variant = Variant(
        workspace_id=post.workspace_id,
        post=post,
        account=account,
        text=text.strip() if text.strip() != post.text.strip() else "",
        status=post.status if post.status not in SENT_STATUSES else Status.DRAFT,
    )
    variant.full_clean(exclude=["post", "account"])
    variant.save()
    return variant


def content_edited(head: Post, actor: Any, what: str, **details: Any) -> None:
    """After an edit of what would be published: a new version; approvers see it again.
    `details` go into the log's event (what was changed, before and after)."""
    head.version += 1
    fields = ["version"]
    was = head.status
    if approval_needed(head) and was in APPROVAL_TOUCHED:
        head.approval_step = 0
        head.approved_version = None
        head.approved_at = None
        fields += ["approval_step", "approved_version", "approved_at"]
        set_status(head, Status.AWAITING_APPROVAL, fields=fields)
        event(
            head, EventKind.BACK_TO_APPROVAL, actor, message=what, version=head.version, **details
        )
        return
    head.save(update_fields=[*fields, "updated_at"])
    event(head, EventKind.EDITED, actor, message=what, version=head.version, **details)
    if was == Status.SCHEDULED:
        # No approval flow: still scheduled if it still passes every check.
        problems = schedule_problems(head)
        if problems:
            set_status(head, Status.DRAFT)
            event(head, EventKind.UNSCHEDULED, actor, message=problems_message(problems))


UNSET: Any = object()


def do_update_post(
    post: Post,
    actor: Any,
    *,
    text: str | None = None,
    language: str | None = None,
    campaign: Any = UNSET,
) -> Post:
    """Edit the master text (and language, campaign). Text edits are content edits."""
    with transaction.atomic():
        head = lock(post)
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.status not in EDITABLE_STATUSES:
            raise ValidationError(_("A post on its way to the network can no longer be edited."))
        fields = []
        changed = False
        if text is not None and text != post.text:
            post.text = check_text(text)
            fields.append("text")
            changed = True
        if language is not None and language != post.language:
            post.language = language[:20]
            fields.append("language")
        if campaign is not UNSET and campaign != post.campaign:
            if campaign is not None and campaign.workspace_id != post.workspace_id:
                raise ValidationError({"campaign": _("No such campaign in this workspace.")})
            post.campaign = campaign
            fields.append("campaign")
        if not fields:
            return post
        post.full_clean(exclude=["author", "campaign", "thread_parent", "safety_overridden_by"])
        post.save(update_fields=[*fields, "updated_at"])
        if changed:
            if head.pk == post.pk:
                head = post
            content_edited(head, actor, _("Text edited."))
        else:
            event(post, EventKind.EDITED, actor, fields=fields)
    post.refresh_from_db()
    return post


def do_set_variants(post: Post, actor: Any, variants: dict[int, str]) -> list[Variant]:
    """The accounts the post goes to, each with its own text ("" = the master text). On a
    thread's head, every part follows the head's accounts."""
    with transaction.atomic():
        head = lock(post)
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.status not in EDITABLE_STATUSES:
            raise ValidationError(_("A post on its way to the network can no longer be edited."))
        wanted = {a.pk: a for a in accounts_of(post.workspace, variants.keys())}
        targets = thread_of(head) if post.pk == head.pk else [post]
        changed = False
        for target in targets:
            existing = {v.account_id: v for v in Variant.objects.filter(post=target)}
            for account_id, variant in existing.items():
                if account_id not in wanted:
                    if variant.status in SENT_STATUSES or variant.status == Status.PUBLISHED:
                        raise ValidationError(_("A published variant cannot be removed."))
                    variant.delete()
                    changed = True
            for account_id, account in wanted.items():
                text = variants.get(account_id, "") if target.pk == post.pk else ""
                if account_id not in existing:
                    add_variant(target, account, text)
                    changed = True
                elif target.pk == post.pk:
                    variant = existing[account_id]
                    text = check_text(text).strip()
                    text = "" if text == target.text.strip() else text
                    if variant.text != text:
                        if variant.status in SENT_STATUSES:
                            raise ValidationError(_("A published variant cannot be edited."))
                        variant.text = text
                        variant.full_clean(exclude=["post", "account"])
                        variant.save(update_fields=["text", "updated_at"])
                        changed = True
        if changed:
            if head.pk == post.pk:
                head = post
            content_edited(head, actor, _("Networks or their texts edited."))
    return list(Variant.objects.filter(post=post).select_related("account"))


# --- media ----------------------------------------------------------------------------------


def media_root() -> Path:
    return Path(settings.DATA_DIR) / "publishing" / "media"


def media_file(media: Media) -> MediaFile:
    return MediaFile(
        path=str(Path(settings.DATA_DIR) / media.path),
        mime_type=media.mime_type,
        alt_text=media.alt_text,
        size=media.size,
        width=media.width,
        height=media.height,
    )


def do_upload_media(
    workspace: Workspace, actor: Any, data: bytes, *, filename: str = "", alt_text: str = ""
) -> Media:
    """Store an uploaded image or video under the data directory (by its SHA-256), not yet
    attached to a post. Its type comes from its first bytes."""
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    if len(data) > MAX_UPLOAD:
        raise ValidationError({"file": _("The file is too large (512 MB at most).")})
    mime = mediatypes.sniff(data[:64])
    if mime is None:
        raise ValidationError(
            {"file": _("Only JPEG, PNG, GIF and WebP images and MP4 or MOV videos can be posted.")}
        )
    check_text(alt_text, "alt_text")
    digest = hashlib.sha256(data).hexdigest()
    relative = Path("publishing") / "media" / digest[:2] / (digest + mediatypes.EXTENSIONS[mime])
    target = Path(settings.DATA_DIR) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{uuid.uuid4().hex}.part")
        temporary.write_bytes(data)
        temporary.replace(target)  # atomic: a reader never sees half a file
    size = mediatypes.dimensions(data, mime)
    media = Media(
        workspace=workspace,
        path=relative.as_posix(),
        original_name=Path(filename).name[:255],
        sha256=digest,
        mime_type=mime,
        size=len(data),
        width=size[0] if size else None,
        height=size[1] if size else None,
        alt_text=alt_text.strip(),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    media.full_clean(exclude=["uploaded_by", "post", "variant"])
    media.save()
    return media


def media_of(variant: Variant) -> list[Media]:
    """What a variant publishes: its own media if it has some, else the post's."""
    rows = list(
        Media.objects.filter(
            Q(variant=variant) | Q(post_id=variant.post_id, variant__isnull=True)
        ).order_by("position", "id")
    )
    own = [m for m in rows if m.variant_id == variant.pk]
    return own or [m for m in rows if m.variant_id is None]


def do_attach_media(
    post: Post,
    actor: Any,
    items: Sequence[Media],
    *,
    variant: Variant | None = None,
) -> list[Media]:
    """Attach uploaded media (in this order) to the post, or to one of its variants only,
    after checking them against each network's limits (format, size, count)."""
    if len(items) > MAX_MEDIA:
        raise ValidationError({"media": _("Too many files for one post.")})
    with transaction.atomic():
        head = lock(post)
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.status not in EDITABLE_STATUSES:
            raise ValidationError(_("A post on its way to the network can no longer be edited."))
        if variant is not None and variant.post_id != post.pk:
            raise ValidationError({"variant": _("No such variant on this post.")})
        for item in items:
            if item.workspace_id != post.workspace_id:
                raise ValidationError({"media": _("No such file in this workspace.")})
            if item.post_id not in (None, post.pk) or (
                item.variant_id is not None and (variant is None or item.variant_id != variant.pk)
            ):
                raise ValidationError({"media": _("This file belongs to another post.")})
        files = [media_file(m) for m in items]
        targets = [variant] if variant is not None else list(post.variants.all())
        errors: dict[str, list[str]] = {}
        for target in targets:
            network = target.account.network
            limits = stored_limits(target.account)
            for problem in checks.media_problems(network, files, limits):
                if problem.blocking and problem.message not in errors.get(network, []):
                    errors.setdefault(network, []).append(problem.message)
        if errors:
            raise ValidationError(errors)
        for position, item in enumerate(items):
            item.post = post if variant is None else None
            item.variant = variant
            item.position = position
            item.save(update_fields=["post", "variant", "position"])
        if head.pk == post.pk:
            head = post
        content_edited(head, actor, _("Media attached."))
    return list(items)


# --- checking -------------------------------------------------------------------------------


@dataclass
class Report:
    """What stands between a post (thread) and its schedule."""

    counting: dict[str, list[str]] = field(default_factory=dict)  # network -> messages
    warnings: dict[str, list[str]] = field(default_factory=dict)  # network -> non-blocking
    safety: list[checks.Problem] = field(default_factory=list)  # every finding
    unresolved: list[checks.Problem] = field(default_factory=list)  # not overridden
    approval: str = ""
    time: str = ""
    variants: str = ""

    @property
    def ok(self) -> bool:
        return not (self.counting or self.unresolved or self.approval or self.time or self.variants)


def variants_of_thread(head: Post) -> list[Variant]:
    return list(
        Variant.objects.filter(post__in=thread_of(head))
        .select_related("account", "post")
        .order_by("post__thread_position", "id")
    )


def check_post(head: Post, *, now: dt.datetime | None = None) -> Report:
    """Counting per network, media, brand safety, approval and time, for the whole thread."""
    head = head_of(head)
    report = Report()
    variants = variants_of_thread(head)
    if not variants:
        report.variants = _("Choose at least one account to publish to.")
    # Each text with the networks it goes to (the signature-hashtag check reads them).
    texts: dict[str, set[str]] = {}
    for variant in variants:
        network = variant.account.network
        text = variant.effective_text
        texts.setdefault(text, set()).add(network)
        files = [media_file(m) for m in media_of(variant)]
        if not text.strip() and not files:
            report.counting.setdefault(network, []).append(
                _("%(network)s: the post is empty.") % {"network": network_label(network)}
            )
        # The account's server's own limits as last read (a Mastodon instance's), else the
        # network's defaults.
        limits = stored_limits(variant.account)
        problems = checks.count_problems(text, network, limits) + checks.media_problems(
            network, files, limits
        )
        for problem in problems:
            if problem.code == "empty" and files:
                continue  # a post with an image may have no text
            into = report.counting if problem.blocking else report.warnings
            if problem.message not in into.get(network, []):
                into.setdefault(network, []).append(problem.message)
    seen: set[str] = set()
    for text, networks in texts.items():
        for finding in checks.safety_findings(head.workspace, text, sorted(networks)):
            if finding.key not in seen:
                seen.add(finding.key)
                report.safety.append(finding)
    accepted = set(head.safety_overridden or [])
    report.unresolved = [f for f in report.safety if f.blocking and f.key not in accepted]
    if not is_approved(head):
        report.approval = _("This post needs its approval first.")
    if head.scheduled_at is None:
        report.time = _("Choose when to publish.")
    elif head.scheduled_at < now_aware(now) - PAST_GRACE and head.status != Status.SCHEDULED:
        report.time = _("This time has passed: choose another one.")
    return report


def schedule_problems(head: Post, now: dt.datetime | None = None) -> Report | None:
    report = check_post(head, now=now)
    return None if report.ok else report


def problems_message(report: Report) -> str:
    parts = [m for messages in report.counting.values() for m in messages]
    parts += [f.message for f in report.unresolved]
    parts += [m for m in (report.approval, report.time, report.variants) if m]
    return " ".join(parts)


def report_error(report: Report) -> ValidationError:
    """One ValidationError with a message per network (counting), then the others."""
    errors: dict[str, list[str]] = {k: list(v) for k, v in report.counting.items()}
    if report.unresolved:
        errors["safety"] = [
            _("Brand safety: %(finding)s Override it with a reason to schedule anyway.")
            % {"finding": f.message}
            for f in report.unresolved
        ]
    for key in ("approval", "time", "variants"):
        if getattr(report, key):
            errors[key] = [getattr(report, key)]
    return ValidationError(errors)


def do_override_safety(post: Post, actor: Any, reason: str) -> list[checks.Problem]:
    """Accept the brand-safety findings the post has now, with the reason (kept in the log)."""
    reason = check_text(reason.strip(), "reason")
    if not reason:
        raise ValidationError({"reason": _("Say why this post should go out anyway.")})
    with transaction.atomic():
        head = lock(post)
        findings = [f for f in check_post(head).safety if f.blocking]
        if not findings:
            raise ValidationError(_("This post has no brand-safety warning to override."))
        keys = list(dict.fromkeys([*(head.safety_overridden or []), *(f.key for f in findings)]))
        head.safety_overridden = keys
        head.safety_override_reason = reason[:5000]
        head.safety_overridden_by = actor if getattr(actor, "is_authenticated", False) else None
        head.save(
            update_fields=[
                "safety_overridden",
                "safety_override_reason",
                "safety_overridden_by",
                "updated_at",
            ]
        )
        event(
            head,
            EventKind.SAFETY_OVERRIDE,
            actor,
            message=reason,
            findings=[{"code": f.code, "message": f.message, "key": f.key} for f in findings],
        )
    return findings


# --- scheduling -----------------------------------------------------------------------------


def enqueue_at(head: Post) -> None:
    """An ETA task at the post's time (the minute tick catches it too if this one is lost)."""
    from parvis.publishing.tasks import publish_due_task

    when = head.scheduled_at
    if when is None:
        return
    delay = max(0.0, (when - timezone.now()).total_seconds())
    try:
        publish_due_task.schedule((head.pk,), delay=delay)
    except Exception:  # the queue being down must not undo the schedule
        import logging

        logging.getLogger(__name__).exception("post %s: could not queue its ETA task", head.pk)


def do_schedule(
    post: Post, actor: Any, when: dt.datetime | None = None, *, now: dt.datetime | None = None
) -> Post:
    """Schedule the post (its thread) at `when` (or its time): every check must pass."""
    check_time(when)
    with transaction.atomic():
        head = lock(post)
        if head.status not in (Status.DRAFT, Status.APPROVED, Status.SCHEDULED):
            raise ValidationError(
                _("A post that is %(status)s cannot be scheduled.")
                % {"status": head.get_status_display().lower()}
            )
        previous = head.scheduled_at
        if when is not None:
            head.scheduled_at = when
        report = check_post(head, now=now)
        if head.status == Status.SCHEDULED and when is not None:
            report.time = ""
            if when < now_aware(now) - PAST_GRACE:
                report.time = _("This time has passed: choose another one.")
        if not report.ok:
            raise report_error(report)
        was = head.status
        head.paused_at = None
        set_status(head, Status.SCHEDULED, fields=["scheduled_at", "paused_at"])
        Post.objects.filter(thread_parent=head).update(scheduled_at=head.scheduled_at)
        if was == Status.SCHEDULED:
            event(
                head,
                EventKind.RESCHEDULED,
                actor,
                previous=previous.isoformat() if previous else None,
                scheduled_at=head.scheduled_at.isoformat() if head.scheduled_at else None,
            )
        else:
            event(
                head,
                EventKind.SCHEDULED,
                actor,
                scheduled_at=head.scheduled_at.isoformat() if head.scheduled_at else None,
            )
        transaction.on_commit(lambda: enqueue_at(head))
    return head


def do_reschedule(post: Post, actor: Any, when: dt.datetime) -> Post:
    """Move a post to another time (drag in the calendar). A time change is not a content
    edit: the approval stays. A scheduled post stays scheduled (checked again)."""
    if when is None:
        raise ValidationError({"scheduled_at": _("Choose when to publish.")})
    check_time(when)
    with transaction.atomic():
        head = lock(post)  # decided on the row as it is now, not on the caller's copy
        if head.status == Status.SCHEDULED:
            return do_schedule(head, actor, when)
        if head.status not in EDITABLE_STATUSES:
            raise ValidationError(_("A post on its way to the network can no longer be moved."))
        previous = head.scheduled_at
        head.scheduled_at = when
        head.full_clean(exclude=["author", "campaign", "thread_parent", "safety_overridden_by"])
        head.save(update_fields=["scheduled_at", "updated_at"])
        Post.objects.filter(thread_parent=head).update(scheduled_at=when)
        event(
            head,
            EventKind.RESCHEDULED,
            actor,
            previous=previous.isoformat() if previous else None,
            scheduled_at=when.isoformat(),
        )
    return head


def do_unschedule(post: Post, actor: Any) -> Post:
    """Take a scheduled post off the calendar's queue (it keeps its time and approval)."""
    with transaction.atomic():
        head = lock(post)
        if head.status != Status.SCHEDULED:
            raise ValidationError(_("This post is not scheduled."))
        back = Status.APPROVED if approval_needed(head) else Status.DRAFT
        set_status(head, back)
        event(head, EventKind.UNSCHEDULED, actor)
    return head


def do_cancel(post: Post, actor: Any) -> Post:
    with transaction.atomic():
        head = lock(post)
        if head.status in SENT_STATUSES or head.status == Status.CANCELLED:
            raise ValidationError(_("This post can no longer be cancelled."))
        set_status(head, Status.CANCELLED)
        event(head, EventKind.CANCELLED, actor)
    return head


def do_retry(variant: Variant, actor: Any) -> Variant:
    """A failed variant, tried again on a person's request (after they fixed what was wrong),
    with the thread's later parts on the same account that failed waiting for it."""
    with transaction.atomic():
        head = lock(variant.post)
        if not is_approved(head):
            raise ValidationError(_("This post needs its approval first."))
        variant = Variant.objects.select_related("post").get(pk=variant.pk)
        later = Post.objects.filter(
            pk__in=[p.pk for p in thread_of(head)],
            thread_position__gt=variant.post.thread_position,
        )
        rows = Variant.objects.filter(
            Q(pk=variant.pk) | Q(post__in=later, account_id=variant.account_id),
            status=Status.FAILED,
        )
        # attempts 1, not 0: the next attempt first looks on the network, as a failure after
        # retries may hide a post the network took.
        updated = rows.update(
            status=Status.SCHEDULED,
            next_attempt_at=None,
            last_error="",
            what_to_do="",
            attempts=Case(When(attempts=0, then=Value(0)), default=Value(1)),
            updated_at=timezone.now(),
        )
        if not updated or variant.status != Status.FAILED:
            raise ValidationError(_("Only a failed publication can be retried."))
        refresh_status(head)
        event(variant.post, EventKind.RETRIED, actor, variant=variant)
        transaction.on_commit(lambda: enqueue_at(head))
    variant.refresh_from_db()
    return variant


# --- the post's status from its variants ------------------------------------------------------


def aggregate(statuses: Iterable[str]) -> str | None:
    """The status a post shows once its variants live their own lives (the engine calls
    this; None: no variant). Some out and some still to go: publishing; all out: published;
    none to go and one failed: failed."""
    found = set(statuses)
    if not found:
        return None
    if Status.PUBLISHING in found:
        return Status.PUBLISHING
    if found <= {Status.PUBLISHED}:
        return Status.PUBLISHED
    if Status.SCHEDULED in found:
        return Status.PUBLISHING if found & {Status.PUBLISHED, Status.FAILED} else Status.SCHEDULED
    if Status.FAILED in found:
        return Status.FAILED
    return None


def thread_rows(head: Post) -> list[tuple[int, str, int]]:
    """(id, status, position) of the thread's posts, the head included."""
    return list(
        Post.objects.filter(Q(pk=head.pk) | Q(thread_parent_id=head.pk)).values_list(
            "id", "status", "thread_position"
        )
    )


def refresh_status(head: Post, posts: list[tuple[int, str, int]] | None = None) -> str:
    """After the engine changed variants: each post of the thread shows its variants'
    aggregate (publishing, published, failed); the head shows the whole thread's."""
    posts = thread_rows(head) if posts is None else posts
    by_post: dict[int, list[str]] = {}
    for post_id, status in Variant.objects.filter(post_id__in=[p[0] for p in posts]).values_list(
        "post_id", "status"
    ):
        by_post.setdefault(post_id, []).append(status)
    everything = [s for statuses in by_post.values() for s in statuses]
    now = timezone.now()
    result = head.status
    for post_id, current, _position in posts:
        wanted = aggregate(everything if post_id == head.pk else by_post.get(post_id, []))
        if wanted is not None and wanted != current:
            Post.objects.filter(pk=post_id).update(status=wanted, updated_at=now)
        if post_id == head.pk and wanted is not None:
            result = wanted
    return result


# --- media of a post, alternative text after the upload ---------------------------------------


def post_media(post: Post) -> list[Media]:
    """The files attached to the post itself (every variant's unless one has its own), in
    order: what the composer, the post's page and the approval link show."""
    return list(Media.objects.filter(post=post).order_by("position", "id"))


def media_post(media: Media) -> Post | None:
    """The post a file is attached to (directly, or through one of its variants)."""
    if media.post_id:
        return media.post
    if media.variant_id:
        return media.variant.post  # type: ignore[union-attr]
    return None


def do_set_alt_text(media: Media, actor: Any, alt_text: str) -> Media:
    """Change a file's description (alt text) before the post is sent: checked against each
    network the file goes to (alttext.py), a content edit (a new version, back to the
    approvers), logged with the text before and after."""
    from parvis.publishing import alttext

    if not isinstance(alt_text, str):
        raise ValidationError({"alt_text": _("Write the description as text.")})
    if len(alt_text) > alttext.MAX_STORED:
        raise ValidationError(
            {
                "alt_text": _("A description of %(n)s characters at most is kept: shorten it.")
                % {"n": alttext.MAX_STORED}
            }
        )
    text = check_text(alt_text, "alt_text").strip()
    with transaction.atomic():
        post = media_post(media)
        if post is None:
            raise ValidationError(_("This file is not attached to a post."))
        head = lock(post)
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.status not in EDITABLE_STATUSES:
            raise ValidationError(_("A post on its way to the network can no longer be edited."))
        media = Media.objects.select_for_update().get(pk=media.pk)
        targets = (
            Variant.objects.filter(pk=media.variant_id)
            if media.variant_id
            else Variant.objects.filter(post=post)
        )
        networks = list(targets.values_list("account__network", flat=True))
        problems = alttext.alt_problems(text, networks)
        if problems:
            raise ValidationError({"alt_text": problems})
        before = media.alt_text
        if before == text:
            return media
        media.alt_text = text
        media.save(update_fields=["alt_text"])
        if head.pk == post.pk:
            head = post
        name = media.original_name or Path(media.path).name
        content_edited(
            head,
            actor,
            _("Description of « %(file)s » edited.") % {"file": name},
            media=media.pk,
            alt_before=before,
            alt_after=text,
        )
    return media
