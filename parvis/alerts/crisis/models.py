"""Crisis models. Imported by parvis/alerts/models.py so that they belong to the alerts app.

- Playbook: one per workspace, prepared in advance (escalation contacts, checklist, the
  severity from which an alert starts a crisis by itself).
- HoldingStatement: « déclarations d'attente », in French or English, with {variables}.
- Crisis: one per episode (started once), its state and, once closed, its summary.
- CrisisTask: the playbook's checklist copied when the crisis starts (ticked by the team).
- CrisisLog: what the team did and when (append-only).
- CrisisNotice: one escalation contact told about one crisis, through an alerts Delivery
  (exactly once: one notice per crisis and address, one claimed delivery per notice).
- PublishingPause: « publishing paused by crisis », the workspace-level flag publishing honours.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parvis.workspaces.models import WorkspaceScoped

USER = settings.AUTH_USER_MODEL


class Language(models.TextChoices):
    FR = "fr", _("French")
    EN = "en", _("English")


class Playbook(WorkspaceScoped):
    # [{"name", "role", "phone", "email", "direction": bool}], validated by crisis.playbook.
    contacts = models.JSONField(_("escalation contacts"), default=list, blank=True)
    # ["Brief the support team", ...]; the pause of scheduled posts is always offered.
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    # "" (never), "important" or "crisis": an alert of this severity or above starts a crisis.
    auto_start_severity = models.CharField(
        _("start a crisis by itself from"), max_length=10, blank=True
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="alerts_one_playbook_per_ws")
        ]


class HoldingStatement(WorkspaceScoped):
    title = models.CharField(_("title"), max_length=120)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    text = models.TextField(_("text"))
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["language", "title", "id"]

    def __str__(self) -> str:
        return self.title


class CrisisState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Crisis(WorkspaceScoped):
    episode = models.OneToOneField(
        "alerts.Episode", on_delete=models.CASCADE, related_name="crisis"
    )
    state = models.CharField(max_length=6, choices=CrisisState.choices, default=CrisisState.OPEN)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    automatic = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closing_note = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["workspace", "state"], name="alerts_crisis_state")]

    def __str__(self) -> str:
        return str(self.episode)


class CrisisTask(WorkspaceScoped):
    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=200)
    # "pause_publishing": ticking it sets the workspace's PublishingPause.
    action = models.CharField(max_length=20, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]


class LogKind(models.TextChoices):
    STARTED = "started", _("Crisis started")
    NOTE = "note", _("Note")
    TASK = "task", _("Checklist")
    NOTIFIED = "notified", _("Contacts notified")
    STATEMENT = "statement", _("Holding statement used")
    PUBLISHING = "publishing", _("Publishing")
    CLOSED = "closed", _("Crisis closed")


class CrisisLog(WorkspaceScoped):
    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField()
    user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=LogKind.choices)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]


class CrisisNotice(WorkspaceScoped):
    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="notices")
    name = models.CharField(max_length=120)
    email = models.CharField(max_length=254)
    delivery = models.OneToOneField(
        "alerts.Delivery", null=True, on_delete=models.SET_NULL, related_name="crisis_notice"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["crisis", "email"], name="alerts_one_notice_per_address"
            )
        ]


class PublishingPause(WorkspaceScoped):
    """Scheduled posts wait while a row has resumed_at NULL (one at a time per workspace)."""

    crisis = models.ForeignKey(Crisis, null=True, on_delete=models.SET_NULL, related_name="+")
    paused_at = models.DateTimeField()
    paused_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(resumed_at__isnull=True),
                name="alerts_one_active_pause",
            )
        ]
