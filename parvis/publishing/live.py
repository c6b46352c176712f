"""Live events (« live tweet »): posts prepared in advance, released one by one during the
event, by hand or at their planned time.

Rules:
- a prepared post is an ordinary post (services.py) on the event's accounts, linked to the
  event by a `LivePost`; it is sent to its approvers when prepared (with no approval flow it
  is approved at once), so it is ready before the event starts;
- with a planned time (a time, or minutes after the event's start) it is scheduled like any
  post once approved: the engine publishes it then;
- « release now » publishes an approved post at once through the same path (`do_schedule` at
  this minute, then the engine's task), exactly once: the `LivePost` is marked released by a
  conditional UPDATE in the same transaction, so a double click, a second tab or a second
  worker finds it released and does nothing; an unapproved post is never released;
- the event's inbox beside the queue is the inbox's own panel (`inbox:event_panel`), fetched
  by URL: publishing imports nothing of the inbox.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.publishing import approvals, services
from parvis.publishing.models import SENT_STATUSES, LiveEvent, LivePost, Post, Status
from parvis.workspaces.models import Workspace

MAX_KEYWORDS = 20
MAX_EVENT = dt.timedelta(days=31)
HASHTAG = re.compile(r"^#?[\w-]{1,99}$")


def keywords_of(event: LiveEvent) -> list[str]:
    """The hashtag then each keyword: what the event's inbox panel looks for."""
    terms: list[str] = []
    if event.hashtag:
        terms.append("#" + event.hashtag.lstrip("#"))
    for line in event.keywords.splitlines():
        line = line.strip()
        if line and line not in terms:
            terms.append(line)
    return terms[: MAX_KEYWORDS + 1]


def panel_query(event: LiveEvent) -> str:
    """The query string of the inbox's event panel: the terms and the event's window."""
    pairs = [("q", term) for term in keywords_of(event)]
    pairs += [("since", event.starts_at.isoformat()), ("until", event.ends_at.isoformat())]
    return urlencode(pairs)


def validate(event: LiveEvent) -> None:
    errors: dict[str, str] = {}
    if not event.name.strip():
        errors["name"] = _("Give the event a name.")
    services.check_text(event.name, "name")
    services.check_text(event.keywords, "keywords")
    if event.hashtag and not HASHTAG.match(event.hashtag):
        errors["hashtag"] = _("A hashtag is one word, letters, digits, - or _.")
    lines = [k for k in event.keywords.splitlines() if k.strip()]
    if len(lines) > MAX_KEYWORDS or any(len(k) > 100 for k in lines):
        errors["keywords"] = _("%(n)s keywords at most, of 100 characters each.") % {
            "n": MAX_KEYWORDS
        }
    for key in ("starts_at", "ends_at"):
        try:
            services.check_time(getattr(event, key))
        except ValidationError:
            errors[key] = _("This date is out of range.")
    if not errors and event.ends_at <= event.starts_at:
        errors["ends_at"] = _("The end comes after the start.")
    elif not errors and event.ends_at - event.starts_at > MAX_EVENT:
        errors["ends_at"] = _("An event lasts 31 days at most.")
    if errors:
        raise ValidationError(errors)


def do_save_event(
    workspace: Workspace,
    actor: Any,
    *,
    accounts: Sequence[int],
    event: LiveEvent | None = None,
    name: str,
    hashtag: str = "",
    keywords: str = "",
    starts_at: dt.datetime,
    ends_at: dt.datetime,
) -> LiveEvent:
    """Create (or edit) an event. Its prepared posts keep their accounts: an edit of the
    event's accounts applies to the posts prepared after it."""
    if not accounts:
        raise ValidationError({"accounts": _("Choose at least one account to publish to.")})
    chosen = services.accounts_of(workspace, accounts)
    with transaction.atomic():
        if event is None:
            event = LiveEvent(
                workspace=workspace,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            fields = None
        else:
            event = LiveEvent.objects.select_for_update().get(pk=event.pk, workspace=workspace)
            fields = ["name", "hashtag", "keywords", "starts_at", "ends_at"]
        event.name = name.strip()
        event.hashtag = hashtag.strip().lstrip("#")
        event.keywords = keywords.strip()
        event.starts_at, event.ends_at = starts_at, ends_at
        validate(event)
        event.full_clean(exclude=["created_by", "accounts"])
        event.save(update_fields=fields)
        event.accounts.set(chosen)
    return event


def do_prepare(
    event: LiveEvent,
    actor: Any,
    text: str,
    *,
    planned_at: dt.datetime | None = None,
) -> LivePost:
    """A post for the event, on its accounts, sent for approval (scheduled once approved if
    it has a planned time)."""
    services.check_text(text)
    if not text.strip():
        raise ValidationError({"text": _("Write the text of the post.")})
    services.check_time(planned_at)
    variants = {a.pk: "" for a in event.accounts.all()}
    if not variants:
        raise ValidationError({"accounts": _("Choose at least one account to publish to.")})
    with transaction.atomic():
        post = services.do_create_post(
            event.workspace, actor, text, variants=variants, scheduled_at=planned_at
        )
        last = LivePost.objects.filter(event=event).aggregate(n=Max("position"))["n"]
        row = LivePost.objects.create(
            workspace_id=event.workspace_id,
            event=event,
            post=post,
            position=(last or 0) + 1,
            planned_at=planned_at,
        )
        head = approvals.do_submit_for_approval(post, actor)
        approvals.schedule_if_timed(head, actor)
    row.post.refresh_from_db()  # as approval and scheduling left it
    return row


def do_release_now(row: LivePost, actor: Any, *, now: dt.datetime | None = None) -> Post:
    """Publish the prepared post at once, exactly once (see the module's docstring)."""
    now = now or timezone.now()
    with transaction.atomic():
        head = services.lock(row.post)
        if head.status in SENT_STATUSES or head.status == Status.CANCELLED:
            raise ValidationError(_("This post was already released."))
        if not services.is_approved(head):
            raise ValidationError(_("This post needs its approval first."))
        taken = LivePost.objects.filter(pk=row.pk, released_at__isnull=True).update(
            released_at=now,
            released_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if not taken:
            raise ValidationError(_("This post was already released."))
        # Approved (or no flow) but not scheduled yet: scheduling at this minute runs every
        # check; a failure undoes the release mark with the rest of the transaction.
        if head.status == Status.DRAFT:
            head = approvals.do_submit_for_approval(head, actor)
        return services.do_schedule(head, actor, now, now=now)


def queue(event: LiveEvent) -> list[LivePost]:
    return list(
        LivePost.objects.filter(event=event).select_related("post").order_by("position", "id")
    )
