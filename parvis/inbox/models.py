"""The inbox: conversations addressed to the brand, their messages, and the work on them.

A conversation is one thread on one network (or one person's private messages). Its messages
point at the listening mentions they came from (unique: a mention is taken into the inbox once
however many workers see it) or are the brand's replies sent from Parvis (`Reply`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.core.networks import NETWORK_CHOICES
from parvis.workspaces.models import WorkspaceScoped

USER = settings.AUTH_USER_MODEL


def default_hours() -> dict[str, list[list[str]]]:
    # Monday to Friday, 9:00-18:00, local time of the workspace.
    return {str(day): [["09:00", "18:00"]] for day in range(5)}


class InboxSettings(models.Model):
    """Per workspace: business hours, holidays, SLA targets and intake rules."""

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="inbox_settings"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    # {"0": [["09:00", "18:00"]], …}: weekday (0 = Monday) → opening spans, local wall clock.
    business_hours = models.JSONField(_("business hours"), default=default_hours)
    holidays = models.JSONField(_("holidays"), default=list, blank=True)  # ["2026-12-25", …]
    # The targets, in minutes of business time (the seeds: an answer within 4 hours).
    first_response_minutes = models.PositiveIntegerField(_("first response"), default=240)
    next_response_minutes = models.PositiveIntegerField(_("next response"), default=480)
    resolution_minutes = models.PositiveIntegerField(_("resolution"), default=2880)
    # Listening mentions that ask something of the brand come to the inbox too.
    route_questions = models.BooleanField(_("questions naming the brand"), default=True)
    route_complaints = models.BooleanField(_("complaints naming the brand"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("inbox settings")
        verbose_name_plural = _("inbox settings")

    def __str__(self) -> str:
        return f"inbox settings {self.workspace_id}"


class Team(WorkspaceScoped):
    name = models.CharField(_("name"), max_length=80)
    members = models.ManyToManyField(USER, blank=True, related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_inbox_team")
        ]

    def __str__(self) -> str:
        return self.name


class Tag(WorkspaceScoped):
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_inbox_tag")
        ]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting on the customer")
    RESOLVED = "resolved", _("Resolved")
    SPAM = "spam", _("Spam")


# Conversations someone still has to act on.
ACTIVE = (Status.NEW, Status.OPEN)
# …and those waiting on the customer: a member's own list (« assigned to me »).
NOT_CLOSED = (Status.NEW, Status.OPEN, Status.WAITING)


class Priority(models.IntegerChoices):
    LOW = 0, _("Low")
    NORMAL = 1, _("Normal")
    HIGH = 2, _("High")
    URGENT = 3, _("Urgent")


class Clock(models.TextChoices):
    """Which SLA clock runs now (docs/inbox.md)."""

    NONE = "", _("None")
    FIRST = "first", _("First response")
    NEXT = "next", _("Next response")


class Kind(models.TextChoices):
    THREAD = "thread", _("Public thread")
    PRIVATE = "private", _("Private messages")


class Conversation(WorkspaceScoped):
    network = models.CharField(max_length=30, choices=NETWORK_CHOICES)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.THREAD)
    # The thread's root post id, or "dm:<handle>" for private messages.
    thread_key = models.CharField(max_length=400)
    # The customer: the listening author of the first inbound message.
    author = models.ForeignKey(
        "listening.Author", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where a reply goes out: the source that delivered the conversation (its connector and
    # account), else the workspace's connected account on the network.
    source = models.ForeignKey(
        "listening.Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    snoozed_until = models.DateTimeField(null=True, blank=True)
    sentiment = models.CharField(max_length=8, blank=True)  # of the last inbound message
    # Who holds an escalated conversation (a person, or a role's label).
    escalated_to = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_role = models.CharField(max_length=30, blank=True)
    # Times (UTC). first_inbound_at starts the first-response clock; awaiting_since is the
    # oldest inbound message not answered yet (the next-response clock).
    created_at = models.DateTimeField()
    first_inbound_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    # Who sent the brand's first answer (a member from Parvis; none when answered natively).
    first_responder = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    awaiting_since = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The running clock and when it is due, kept on the row so that "at risk" and "breached"
    # are index range scans; recomputed by sla.refresh on every change.
    clock = models.CharField(max_length=6, choices=Clock.choices, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    at_risk_at = models.DateTimeField(null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    breached_first = models.BooleanField(default=False)
    # Answers sent after the running clock's due time (first or next response), and whether
    # the latest answer was one of them (the badge once answered).
    late_answers = models.PositiveIntegerField(default=0)
    last_answer_late = models.BooleanField(default=False)
    # Breaches notify the assignee first, then the managers (sla.notify_breaches).
    breach_notified_at = models.DateTimeField(null=True, blank=True)
    managers_notified_at = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    unread = models.BooleanField(default=True)
    # Bumped by every reply, assignment and status change: a composer that saw an older
    # version is warned that someone else acted meanwhile (collision).
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("conversation")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "thread_key"], name="unique_conversation"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "status", "last_message_at"], name="inbox_status"),
            models.Index(
                fields=["workspace", "assignee", "status", "last_message_at"],
                name="inbox_assignee",
            ),
            # A member's conversations not closed, newest first (« assigned to me »), and the
            # active ones (« unassigned », « all »): read in order instead of sorting them.
            models.Index(
                fields=["workspace", "assignee", "last_message_at"],
                condition=models.Q(status__in=NOT_CLOSED),
                name="inbox_mine",
            ),
            models.Index(
                fields=["workspace", "last_message_at"],
                condition=models.Q(status__in=ACTIVE),
                name="inbox_active",
            ),
            # « At risk », due soonest first: read in due order, without sorting every
            # conversation whose clock runs (an index on at_risk_at tempted the planners into
            # that sort); breaches to notify are a range of it.
            models.Index(
                fields=["workspace", "due_at"], condition=~models.Q(clock=""), name="inbox_due"
            ),
            models.Index(fields=["workspace", "network", "last_message_at"], name="inbox_network"),
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.thread_key}"


class Direction(models.TextChoices):
    IN = "in", _("From the customer")
    OUT = "out", _("From the brand")


class Moderation(models.TextChoices):
    NONE = "", _("Visible")
    HIDDEN = "hidden", _("Hidden")
    DELETED = "deleted", _("Deleted")
    MANUAL = "manual", _("To remove by hand")
    REVIEW = "review", _("In review")


class Message(WorkspaceScoped):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    # The listening mention it came from (unique: taken once), none for a reply sent from here
    # before the network's own copy arrives.
    mention = models.OneToOneField(
        "listening.Mention", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    network = models.CharField(max_length=30, choices=NETWORK_CHOICES)
    external_id = models.CharField(max_length=300, blank=True)
    parent_external_id = models.CharField(max_length=300, blank=True)
    author_handle = models.CharField(max_length=300, blank=True)
    author_name = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    url = models.TextField(blank=True)
    sent_at = models.DateTimeField()
    sentiment = models.CharField(max_length=8, blank=True)
    # The member who wrote a reply from Parvis.
    member = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What moderation did to it and why: set by the moderation app through
    # services.do_mark_moderated.
    moderation = models.CharField(max_length=12, choices=Moderation.choices, blank=True)
    moderation_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["conversation", "sent_at"], name="inbox_thread")]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "external_id"],
                condition=~models.Q(external_id=""),
                name="unique_inbox_message",
            )
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.external_id}"


class ReplyState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Reply(WorkspaceScoped):
    """A reply written in Parvis, on its way to the network: sent exactly once (sending.py)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="replies")
    in_reply_to = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=8, choices=ReplyState.choices, default=ReplyState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    # A worker sending it holds it until then; past it, the send is in doubt and is
    # reconciled (read back from the network) before any new attempt.
    claimed_until = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    external_id = models.CharField(max_length=300, blank=True)
    url = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="reply"
    )
    warnings = models.JSONField(default=list, blank=True)  # editorial-line warnings overridden
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "claimed_until"], name="inbox_reply_state")]

    def __str__(self) -> str:
        return f"reply {self.pk} ({self.state})"


class Note(WorkspaceScoped):
    """An internal note: members only, never sent. @username mentions notify."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    mentioned = models.ManyToManyField(USER, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class EventKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    TAGGED = "tagged", _("Tags changed")
    SNOOZED = "snoozed", _("Snoozed")
    ESCALATED = "escalated", _("Escalated")
    BREACHED = "breached", _("SLA breached")
    REPLY_FAILED = "reply_failed", _("Reply failed")
    TAKEN = "taken", _("Sent to the inbox from listening")


class Event(WorkspaceScoped):
    """What happened to a conversation, in its timeline."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.kind


class EscalationRole(models.TextChoices):
    MANAGER = "manager", _("Manager")
    LEGAL = "legal", _("Legal")
    DIRECTION = "direction", _("Management (direction)")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")


class Escalation(WorkspaceScoped):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="escalations"
    )
    to_user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_role = models.CharField(max_length=30, choices=EscalationRole.choices, blank=True)
    reason = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reason


class SavedReply(WorkspaceScoped):
    """« Réponses enregistrées »: texts with variables ({prénom}, {réseau}, {agent}…)."""

    title = models.CharField(_("title"), max_length=120)
    shortcut = models.CharField(_("shortcut"), max_length=30, blank=True)
    text = models.TextField(_("text"))
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "title"], name="unique_saved_reply")
        ]

    def __str__(self) -> str:
        return self.title


class IntakeCursor(models.Model):
    """The last mention id the inbox has looked at, per workspace. Intake runs from it, so a
    lost signal (a crash after the mentions committed) is made up by the next run."""

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_mention_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.workspace_id}:{self.last_mention_id}"


class Notification(WorkspaceScoped):
    """In-app notification of a member (breach, escalation, @mention in a note)."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, null=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_notif_unread")]

    def __str__(self) -> str:
        return self.text
