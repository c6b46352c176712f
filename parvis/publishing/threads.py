"""Writing a thread in the composer: the head post is written as any post (services.py); its
parts are a list of texts saved here in one step.

Rules:
- part N of the list becomes the thread's part at position N (1, 2, …): reordering in the
  composer moves texts between positions, never rows, so the unique (head, position) holds at
  every moment; parts past the list's end are deleted, missing ones created;
- a part's accounts are the head's (services.do_create_post): each part replies to the
  previous one on every account, and is approved, scheduled and published with its head;
- any change is one content edit of the head (a new version): an approved or scheduled thread
  goes back to its approvers, so nothing unapproved is ever published;
- a thread on its way to the network (publishing, published) can no longer change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from parvis.publishing.models import EDITABLE_STATUSES, EventKind, Post, Status, Variant
from parvis.publishing.services import add_variant, check_text, content_edited, event, lock

MAX_PARTS = 25  # a bound on one thread (X takes 25 posts in one go), not a network's rule


def clean_parts(texts: Sequence[str]) -> list[str]:
    """The parts' texts as typed, the empty ones dropped (an empty box is no part)."""
    if len(texts) > MAX_PARTS * 4:
        raise ValidationError({"parts": _("Too many parts in one thread.")})
    cleaned = [check_text(str(t), "parts").strip() for t in texts]
    kept = [t for t in cleaned if t]
    if len(kept) > MAX_PARTS:
        raise ValidationError({"parts": _("A thread has %(n)s parts at most.") % {"n": MAX_PARTS}})
    return kept


def parts_of(head: Post) -> list[Post]:
    return list(Post.objects.filter(thread_parent=head).order_by("thread_position"))


def do_save_thread(post: Post, actor: Any, texts: Sequence[str]) -> list[Post]:
    """Make the thread of `post` (its head) have exactly these parts, in this order."""
    wanted = clean_parts(texts)
    with transaction.atomic():
        head = lock(post)
        existing = parts_of(head)
        current = [p.text.strip() for p in existing]
        if current == wanted:
            return existing
        if head.status not in EDITABLE_STATUSES - {Status.FAILED}:
            raise ValidationError(_("This thread can no longer be changed."))
        accounts = [v.account for v in head.variants.select_related("account")]
        for part, text in zip(existing, wanted, strict=False):
            if part.text.strip() != text:
                part.text = text
                part.full_clean(
                    exclude=["author", "campaign", "thread_parent", "safety_overridden_by"]
                )
                part.save(update_fields=["text", "updated_at"])
        for part in existing[len(wanted) :]:
            # Only drafts' rows: a part that reached the network is never deleted.
            if Variant.objects.filter(post=part, status__in=[Status.PUBLISHED]).exists():
                raise ValidationError(_("A published part cannot be removed."))
            part.delete()
        position = len(existing)
        for text in wanted[len(existing) :]:
            position += 1
            part = Post(
                workspace_id=head.workspace_id,
                author=actor if getattr(actor, "is_authenticated", False) else None,
                text=text,
                language=head.language,
                campaign_id=head.campaign_id,
                scheduled_at=head.scheduled_at,
                status=head.status,
                thread_parent=head,
                thread_position=position,
            )
            part.full_clean(exclude=["author", "campaign", "thread_parent"])
            part.save()
            for account in accounts:
                add_variant(part, account, "")
            event(part, EventKind.CREATED, actor)
        content_edited(
            head,
            actor,
            _("Thread edited: %(n)s parts after the first post.") % {"n": len(wanted)},
        )
    return parts_of(head)
