from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.workspaces.models import WorkspaceScoped


class AccountSnapshot(WorkspaceScoped):
    """A connected account's public counts on one day (UTC): one row per account and day,
    the day's last reading (collect.py upserts it). None: the network does not give it."""

    account = models.ForeignKey(
        "connectors.ConnectedAccount", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("read at"))
    followers = models.PositiveBigIntegerField(_("followers"), null=True, blank=True)
    following = models.PositiveBigIntegerField(_("following"), null=True, blank=True)
    posts = models.PositiveBigIntegerField(_("posts"), null=True, blank=True)

    class Meta:
        verbose_name = _("account snapshot")
        verbose_name_plural = _("account snapshots")
        ordering = ["account", "day"]
        constraints = [
            # Also the index the series are read by (account, then days in order).
            models.UniqueConstraint(fields=["account", "day"], name="one_snapshot_per_day")
        ]
        indexes = [models.Index(fields=["workspace", "day"], name="snapshot_workspace_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.followers}"


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX (Excel)"


class ReportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ReportLanguage(models.TextChoices):
    FR = "fr", _("French")
    EN = "en", _("English")


class ReportSettings(models.Model):
    """A workspace's reports: their colour and language, and the monthly schedule (the
    previous month's PDF e-mailed to the recipients on `day` of each month)."""

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="report_settings"
    )
    colour = models.CharField(_("brand colour"), max_length=7, default="#1F4E79")
    # The brand's logo for the report's cover: a PNG or JPEG of at most 512 KB, checked by
    # reports.check_logo; kept in the row (no file to share between hosts).
    logo = models.BinaryField(_("logo"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=ReportLanguage.choices, default=ReportLanguage.FR
    )
    scheduled = models.BooleanField(_("send every month"), default=False)
    day = models.PositiveSmallIntegerField(_("day of the month"), default=2)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    comments = models.TextField(_("comments for the scheduled reports"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("report settings")
        verbose_name_plural = _("report settings")

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.colour}"


class Report(WorkspaceScoped):
    """One report of a period, in one format, written by the worker into the data dir."""

    since = models.DateField(_("from"))
    until = models.DateField(_("until"))
    format = models.CharField(_("format"), max_length=4, choices=ReportFormat.choices)
    language = models.CharField(
        _("language"), max_length=2, choices=ReportLanguage.choices, default=ReportLanguage.FR
    )
    comments = models.TextField(_("comments and recommendations"), blank=True)
    state = models.CharField(max_length=8, choices=ReportState.choices, default=ReportState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    path = models.CharField(max_length=300, blank=True)  # under the data dir
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="report_archive")]

    def __str__(self) -> str:
        return f"{self.since}…{self.until} {self.format}"


class ScheduledSend(WorkspaceScoped):
    """A scheduled report of one period: created before the report is written and sent, so a
    second worker running the schedule at the same time fails on the unique constraint and
    sends nothing (exactly once per schedule and period)."""

    schedule = models.ForeignKey(ReportSettings, on_delete=models.CASCADE, related_name="sends")
    period_start = models.DateField()
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period_start"], name="one_send_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.period_start}"


class ProfileReading(WorkspaceScoped):
    """A connected account's public profile as last read (presence.py, daily): one row per
    account, replaced at each reading. A field left None: the network does not give it; ""
    means « none set ». `error`: why the last attempt failed (the fields keep the last good
    reading)."""

    account = models.OneToOneField(
        "connectors.ConnectedAccount", on_delete=models.CASCADE, related_name="+"
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # NULL is « the network does not give it », apart from "" (« none set »): the audit
    # flags a missing avatar only where the network said there is none.
    name = models.TextField(_("name"), null=True, blank=True)  # noqa: DJ001
    bio = models.TextField(_("bio"), null=True, blank=True)  # noqa: DJ001
    avatar = models.TextField(_("avatar"), null=True, blank=True)  # noqa: DJ001
    banner = models.TextField(_("banner"), null=True, blank=True)  # noqa: DJ001
    links = models.JSONField(_("links"), null=True, blank=True)
    pinned = models.TextField(_("pinned post"), null=True, blank=True)  # noqa: DJ001
    error = models.TextField(_("last error"), blank=True, default="")
    tried_at = models.DateTimeField(_("last tried at"), null=True, blank=True)

    class Meta:
        verbose_name = _("profile reading")
        verbose_name_plural = _("profile readings")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.name}"
