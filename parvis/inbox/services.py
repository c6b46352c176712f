"""The inbox's actions: every change to a conversation goes through a `do_*` function here
(replies: sending.py), which locks the row, saves the edited columns only and records the
event in the conversation's timeline."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.inbox import clock
from parvis.inbox.models import (
    Conversation,
    Direction,
    Escalation,
    EscalationRole,
    Event,
    EventKind,
    InboxSettings,
    Message,
    Note,
    Notification,
    Priority,
    SavedReply,
    Status,
    Tag,
    Team,
)
from parvis.workspaces.models import Membership, Workspace
from parvis.workspaces.roles import Role
from parvis.workspaces.zones import zone_name

User = AbstractBaseUser


def get_settings(workspace: Workspace) -> InboxSettings:
    # Created on the workspace's clock; an existing row keeps its own zone.
    settings, _created = InboxSettings.objects.get_or_create(
        workspace=workspace, defaults={"time_zone": zone_name(workspace)}
    )
    return settings


def do_update_settings(workspace: Workspace, actor: Any, **changes: Any) -> InboxSettings:
    """Change business hours, holidays, targets or rules; every running clock is recomputed."""
    settings = get_settings(workspace)
    for name, value in changes.items():
        setattr(settings, name, value)
    try:
        clock.calendar(settings)
    except ValueError as error:
        raise ValidationError(str(error)) from error
    settings.full_clean(exclude=["workspace"])
    settings.save(update_fields=[*changes, "updated_at"])
    for conversation in Conversation.objects.filter(workspace=workspace).exclude(
        status__in=clock.STOPPED
    ):
        clock.refresh(conversation, settings)
    return settings


def locked(conversation: Conversation) -> Conversation:
    """The row again, locked until the end of the transaction (PostgreSQL; SQLite's write
    transaction already excludes other writers)."""
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def event(conversation: Conversation, kind: str, actor: Any = None, **data: Any) -> Event:
    return Event.objects.create(
        workspace_id=conversation.workspace_id,
        conversation=conversation,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        data=data,
        at=timezone.now(),
    )


def bump(conversation: Conversation, fields: list[str]) -> None:
    conversation.version = F("version") + 1
    conversation.save(update_fields=[*fields, "version"])
    conversation.refresh_from_db(fields=["version"])


def member_of(workspace: Workspace, user: Any) -> bool:
    return Membership.objects.filter(workspace=workspace, user=user).exists()


def do_assign(
    conversation: Conversation, actor: Any, *, assignee: Any = None, team: Team | None = None
) -> Conversation:
    """Give the conversation to a member (or nobody) and/or a team of the workspace."""
    if assignee is not None and not member_of(conversation.workspace, assignee):
        raise ValidationError(_("Only a member of the workspace can be assigned."))
    if team is not None and team.workspace_id != conversation.workspace_id:
        raise ValidationError(_("Unknown team."))
    with transaction.atomic():
        row = locked(conversation)
        row.assignee = assignee
        row.team = team
        fields = ["assignee", "team"]
        if row.status == Status.NEW:
            row.status = Status.OPEN
            fields.append("status")
        bump(row, fields)
        event(
            row,
            EventKind.ASSIGNED,
            actor,
            assignee=getattr(assignee, "username", None),
            assignee_name=(assignee.get_full_name() or assignee.get_username())
            if assignee
            else None,
            team=team.name if team else None,
        )
        if assignee is not None and assignee != actor:
            notify(row, assignee, "assigned", _("A conversation was assigned to you."))
    return row


def do_set_status(conversation: Conversation, actor: Any, status: str) -> Conversation:
    if status not in Status.values:
        raise ValidationError(_("Unknown status."))
    settings = get_settings(conversation.workspace)
    with transaction.atomic():
        row = locked(conversation)
        if row.status == status:
            return row
        previous = row.status
        row.status = status
        fields = ["status"]
        if status == Status.RESOLVED:
            row.resolved_at = timezone.now()
            fields.append("resolved_at")
        elif previous == Status.RESOLVED:
            row.resolved_at = None
            fields.append("resolved_at")
        if status in clock.STOPPED:
            row.unread = False
            fields.append("unread")
        bump(row, fields)
        clock.refresh(row, settings)
        event(row, EventKind.STATUS, actor, old=previous, new=status)
    return row


def do_set_priority(conversation: Conversation, actor: Any, priority: int) -> Conversation:
    if priority not in Priority.values:
        raise ValidationError(_("Unknown priority."))
    with transaction.atomic():
        row = locked(conversation)
        row.priority = priority
        bump(row, ["priority"])
        event(row, EventKind.PRIORITY, actor, priority=priority)
    return row


def do_snooze(conversation: Conversation, actor: Any, until: dt.datetime | None) -> Conversation:
    """Hide it from the lists until `until` (None wakes it up); a new message wakes it too.
    The SLA clock keeps running: snoozing is no way around a target."""
    if until is not None and timezone.is_naive(until):
        raise ValidationError(_("A time with its time zone is needed."))
    with transaction.atomic():
        row = locked(conversation)
        row.snoozed_until = until
        bump(row, ["snoozed_until"])
        event(row, EventKind.SNOOZED, actor, until=until.isoformat() if until else None)
    return row


TAG_NAME = re.compile(r"^[\w][\w \-'\u2019.]{0,59}$")


def get_or_create_tags(workspace: Workspace, names: Iterable[str]) -> list[Tag]:
    tags = []
    for raw in names:
        name = " ".join(str(raw).split())[:60]
        if not name:
            continue
        if not TAG_NAME.match(name):
            raise ValidationError(_("A tag is made of letters, digits, spaces and dashes."))
        tag, _created = Tag.objects.get_or_create(workspace=workspace, name=name)
        tags.append(tag)
    return tags


def do_tag(
    conversation: Conversation, actor: Any, *, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> Conversation:
    with transaction.atomic():
        row = locked(conversation)
        added = get_or_create_tags(row.workspace, add)
        row.tags.add(*added)
        gone = Tag.objects.filter(workspace=row.workspace, name__in=list(remove))
        row.tags.remove(*gone)
        bump(row, [])
        event(row, EventKind.TAGGED, actor, added=[t.name for t in added], removed=list(remove))
    return row


MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")


def do_add_note(conversation: Conversation, actor: Any, text: str) -> Note:
    """An internal note; members named with @username are notified."""
    text = text.strip()
    if not text:
        raise ValidationError(_("The note is empty."))
    if len(text) > 10_000:
        raise ValidationError(_("The note is too long (10,000 characters at most)."))
    names = {m.rstrip(".") for m in MENTION.findall(text)}
    members = [
        m.user
        for m in Membership.objects.filter(
            workspace_id=conversation.workspace_id, user__username__in=names
        ).select_related("user")
    ]
    with transaction.atomic():
        note = Note.objects.create(
            workspace_id=conversation.workspace_id,
            conversation=conversation,
            author=actor,
            text=text,
        )
        note.mentioned.set(members)
        for user in members:
            if user != actor:
                notify(conversation, user, "note", _("You were mentioned in a note."))
    return note


def do_escalate(
    conversation: Conversation,
    actor: Any,
    *,
    reason: str,
    to_user: Any = None,
    to_role: str = "",
    note: str = "",
) -> Escalation:
    """« Frapper à la porte du DG »: hand the conversation to a person or a role, with a
    reason; they are notified in the app and by email, and the conversation shows who holds it."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why it is escalated."))
    if to_user is None and not to_role:
        raise ValidationError(_("Choose a person or a role."))
    if to_role and to_role not in EscalationRole.values:
        raise ValidationError(_("Unknown role."))
    if to_user is not None and not member_of(conversation.workspace, to_user):
        raise ValidationError(_("Only a member of the workspace can receive an escalation."))
    with transaction.atomic():
        row = locked(conversation)
        escalation = Escalation.objects.create(
            workspace_id=row.workspace_id,
            conversation=row,
            to_user=to_user,
            to_role=to_role,
            reason=reason[:200],
            note=note.strip(),
            by=actor,
        )
        row.escalated_to = to_user
        row.escalated_role = to_role
        if row.priority < Priority.HIGH:
            row.priority = Priority.HIGH
        bump(row, ["escalated_to", "escalated_role", "priority"])
        event(
            row,
            EventKind.ESCALATED,
            actor,
            reason=reason,
            role=to_role,
            to=getattr(to_user, "username", None),
            to_name=(to_user.get_full_name() or to_user.get_username()) if to_user else None,
        )
        for user in escalation_recipients(row.workspace, to_user, to_role):
            if actor is not None and user == actor:
                continue  # they know: they just did it
            notify(
                row,
                user,
                "escalated",
                _("Escalated to you: %(reason)s") % {"reason": reason},
                email=True,
            )
    return escalation


# The roles of the workspace who receive an escalation to a role without a named person.
ROLE_HOLDERS = {
    EscalationRole.MANAGER: (Role.MANAGER, Role.OWNER),
    EscalationRole.DIRECTION: (Role.OWNER,),
    EscalationRole.LEGAL: (Role.OWNER, Role.MANAGER),
    EscalationRole.CUSTOMER_SERVICE: (Role.MANAGER, Role.OWNER),
}


def escalation_recipients(workspace: Workspace, to_user: Any, to_role: str) -> list[Any]:
    if to_user is not None:
        return [to_user]
    roles = ROLE_HOLDERS.get(EscalationRole(to_role), (Role.OWNER,))
    return managers(workspace, roles)


def managers(workspace: Workspace, roles: Sequence[str] = (Role.MANAGER, Role.OWNER)) -> list[Any]:
    return [
        m.user
        for m in Membership.objects.filter(workspace=workspace, role__in=roles).select_related(
            "user"
        )
    ]


def notify(
    conversation: Conversation | None,
    user: Any,
    kind: str,
    text: str,
    *,
    workspace: Workspace | None = None,
    email: bool = False,
) -> Notification:
    workspace_id = conversation.workspace_id if conversation else workspace.pk  # type: ignore[union-attr]
    notification = Notification.objects.create(
        workspace_id=workspace_id,
        user=user,
        conversation=conversation,
        kind=kind,
        text=str(text)[:300],
        created_at=timezone.now(),
    )
    if email and getattr(user, "email", ""):
        subject = _("[Parvis] %(text)s") % {"text": str(text)[:120]}

        def send() -> None:
            # After commit: a rolled-back escalation sends nothing; a mail server that is
            # down loses the email, never the escalation (the in-app notification stays).
            send_mail(subject, str(text), None, [user.email], fail_silently=True)

        transaction.on_commit(send)
    return notification


def record_answer(
    conversation: Conversation, message: Message, *, member: Any, settings: InboxSettings
) -> None:
    """The brand answered (from Parvis or natively): the clocks move on, the customer is
    now the one expected to write."""
    with transaction.atomic():
        # Read, changed and saved back: locked, whoever calls (intake writes the same columns).
        row = locked(conversation)
        fields = [
            "last_message_at",
            "message_count",
            "awaiting_since",
            "unread",
            "last_answer_late",
        ]
        # Late for whichever clock was running (first or next response).
        late = bool(row.clock and row.due_at and message.sent_at > row.due_at)
        row.last_answer_late = late
        if late:
            row.late_answers = F("late_answers") + 1
            fields.append("late_answers")
        row.last_message_at = max(row.last_message_at, message.sent_at)
        row.message_count = F("message_count") + 1
        row.unread = False
        if row.first_response_at is None and row.first_inbound_at is not None:
            row.first_response_at = message.sent_at
            row.first_responder = member
            fields += ["first_response_at", "first_responder"]
        # Inbound messages after this answer (rare: they crossed) keep the clock running.
        later = (
            Message.objects.filter(
                conversation=row, direction=Direction.IN, sent_at__gt=message.sent_at
            )
            .order_by("sent_at")
            .values_list("sent_at", flat=True)
            .first()
        )
        row.awaiting_since = later
        if row.status in (Status.NEW, Status.OPEN) and later is None:
            row.status = Status.WAITING
            fields.append("status")
        bump(row, fields)
        row.refresh_from_db(fields=["message_count", "late_answers"])
        clock.refresh(row, settings)


def do_mark_read(conversation: Conversation) -> None:
    if conversation.unread:
        Conversation.objects.filter(pk=conversation.pk).update(unread=False)
        conversation.unread = False


BULK_ACTIONS = ("assign", "tag", "resolve", "spam", "open")


def do_bulk(
    workspace: Workspace,
    actor: Any,
    conversations: QuerySet[Conversation],
    action: str,
    *,
    assignee: Any = None,
    tag: str = "",
) -> int:
    """One action on a selection (already scoped to the workspace by the caller)."""
    if action not in BULK_ACTIONS:
        raise ValidationError(_("Unknown action."))
    count = 0
    for conversation in conversations.filter(workspace=workspace)[:500]:
        if action == "assign":
            do_assign(conversation, actor, assignee=assignee)
        elif action == "tag":
            do_tag(conversation, actor, add=[tag])
        elif action == "resolve":
            do_set_status(conversation, actor, Status.RESOLVED)
        elif action == "spam":
            do_set_status(conversation, actor, Status.SPAM)
        elif action == "open":
            do_set_status(conversation, actor, Status.OPEN)
        count += 1
    return count


# --- saved replies ------------------------------------------------------------------------


def do_save_reply(
    workspace: Workspace,
    actor: Any,
    *,
    title: str,
    text: str,
    shortcut: str = "",
    saved: SavedReply | None = None,
) -> SavedReply:
    saved = saved or SavedReply(workspace=workspace, created_by=actor)
    saved.title = title.strip()
    saved.text = text.strip()
    saved.shortcut = shortcut.strip().lstrip("/")
    saved.full_clean(exclude=["workspace", "created_by"])
    if saved.pk:
        saved.save(update_fields=["title", "text", "shortcut"])
    else:
        saved.save()
    return saved


VARIABLE = re.compile(r"\{([a-zé_]+)\}")


def fill_saved_reply(saved: SavedReply, conversation: Conversation, agent: Any) -> str:
    """The text with its variables filled: {prénom} (the customer's first name, else their
    handle), {nom}, {réseau}, {agent} (the member answering), {marque}."""
    from parvis.core.networks import network_label

    author = conversation.author
    name = (author.name if author else "") or ""
    handle = (author.handle if author else "") or ""
    first = name.split()[0] if name.split() else handle.lstrip("@")
    values = {
        "prénom": first,
        "prenom": first,
        "first_name": first,
        "nom": name or handle,
        "name": name or handle,
        "réseau": network_label(conversation.network),
        "reseau": network_label(conversation.network),
        "network": network_label(conversation.network),
        "agent": (agent.get_full_name() or agent.get_username()) if agent else "",
        "marque": conversation.workspace.name,
        "brand": conversation.workspace.name,
    }
    return VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), saved.text)


def do_mark_moderated(message: Message, state: str, reason: str = "") -> None:
    """What moderation did to a message (hidden, deleted, to remove by hand, in review, or
    visible again), shown in its conversation. Moderation's own log keeps who and why."""
    from parvis.inbox.models import Moderation

    if state not in Moderation.values:
        raise ValidationError(_("Unknown moderation state."))
    message.moderation = state
    message.moderation_reason = reason[:200]
    message.save(update_fields=["moderation", "moderation_reason"])
