"""Moderation: rules, the author lists they use, the review queue, the append-only log of
actions, and the public charter."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.core.networks import NETWORK_CHOICES
from parvis.moderation.reasons import Reason
from parvis.workspaces.models import WorkspaceScoped

USER = settings.AUTH_USER_MODEL


class Rule(WorkspaceScoped):
    """Conditions (all must hold) and actions; rules are tried in `position` order and the
    first that matches wins, unless it says « continue »."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(_("switched on"), default=False)
    # [{"kind": "score", "name": "insult", "min": 0.8, "review_min": 0.5}, …] (engine.py)
    conditions = models.JSONField(default=list)
    # [{"kind": "hide"}, {"kind": "tag", "name": "SAV"}, …] (engine.py)
    actions = models.JSONField(default=list)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    continue_after = models.BooleanField(_("then go on with the next rules"), default=False)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_moderation_rule")
        ]

    def __str__(self) -> str:
        return self.name


class AuthorList(WorkspaceScoped):
    """A named list of authors (« fauteurs de troubles », « VIP »…)."""

    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_author_list")
        ]

    def __str__(self) -> str:
        return self.name


class ListedAuthor(WorkspaceScoped):
    author_list = models.ForeignKey(AuthorList, on_delete=models.CASCADE, related_name="entries")
    network = models.CharField(max_length=30, choices=NETWORK_CHOICES)
    handle = models.CharField(max_length=300)
    added_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["author_list", "network", "handle"], name="unique_listed_author"
            )
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.handle}"


class ActionKind(models.TextChoices):
    HIDE = "hide", _("Hide")
    DELETE = "delete", _("Delete")
    RESTORE = "restore", _("Restore")
    REVIEW = "review", _("Sent to review")
    APPROVE = "approve", _("Kept after review")
    ESCALATE = "escalate", _("Escalated")
    ASSIGN = "assign", _("Assigned")
    TAG = "tag", _("Tagged")
    REPLY = "reply", _("Replied")
    LIST_AUTHOR = "list_author", _("Author listed")


class ActionState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("In progress")
    DONE = "done", _("Done")
    MANUAL = "manual", _("To do by hand on the network")
    FAILED = "failed", _("Failed")


# Actions carried out on the network (the others are done in Parvis at once).
ON_NETWORK = (ActionKind.HIDE, ActionKind.DELETE, ActionKind.RESTORE)


class Action(WorkspaceScoped):
    """One line of the moderation log. Append-only: a line is never deleted nor rewritten,
    only its execution state moves on (queued → sending → done / manual / failed)."""

    message = models.ForeignKey("inbox.Message", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=ActionKind.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL)
    rule_name = models.CharField(max_length=120, blank=True)  # kept when the rule goes
    member = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    scores = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=ActionState.choices, default=ActionState.DONE)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    attempts = models.PositiveIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    network_answer = models.TextField(blank=True)  # the network's words, or what to do by hand
    url = models.TextField(blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "created_at"], name="moderation_log"),
            models.Index(fields=["state", "claimed_until"], name="moderation_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id} ({self.state})"


class Evaluation(models.Model):
    """That the rules were applied to a message, once (whichever worker got there first)."""

    message = models.OneToOneField(
        "inbox.Message", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    decision = models.CharField(max_length=10)  # keep | hide | delete | review | escalate
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.message_id}: {self.decision}"


class ReviewState(models.TextChoices):
    PENDING = "pending", _("To review")
    KEPT = "kept", _("Kept")
    HIDDEN = "hidden", _("Hidden")
    ESCALATED = "escalated", _("Escalated")


class ReviewItem(WorkspaceScoped):
    """An uncertain case: a rule's scores between its review and action thresholds."""

    message = models.ForeignKey("inbox.Message", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    scores = models.JSONField(default=dict, blank=True)
    why = models.JSONField(default=list, blank=True)  # the words that weighed most
    state = models.CharField(
        max_length=10, choices=ReviewState.choices, default=ReviewState.PENDING
    )
    # A decision may teach the workspace's models (the intelligence issue): kept for it.
    teach = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["workspace", "state", "created_at"], name="review_queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["message"],
                condition=models.Q(state="pending"),
                name="one_pending_review",
            )
        ]

    def __str__(self) -> str:
        return f"review {self.message_id} ({self.state})"


class Charter(models.Model):
    """The workspace's public moderation charter (« charte de modération »): the reasons it
    removes comments for, and how to appeal, at a public URL."""

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="moderation_charter"
    )
    published = models.BooleanField(_("published"), default=False)
    token = models.CharField(max_length=40, unique=True)
    introduction = models.TextField(_("introduction"), blank=True)
    appeal = models.TextField(_("how to appeal"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"charter {self.workspace_id}"


class Setup(models.Model):
    """Whether the workspace went through the onboarding (default rules offered)."""

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    defaults_installed_at = models.DateTimeField(null=True, blank=True)
    escalate_to = models.CharField(max_length=30, default="manager")  # a role of EscalationRole

    def __str__(self) -> str:
        return f"moderation setup {self.workspace_id}"
