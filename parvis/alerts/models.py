"""Alerts: what the detector watches (Series), what the team asked to be told (AlertRule),
what happened (Episode), and how the team was told (Alert, Delivery, Receipt).

How it fits together is in docs/alerts.md. A later app (the crisis room) hangs a Crisis off an
Episode: an Episode is the unit of « something is happening », one per series burst, with its
own id the API exposes.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parvis.listening.models import MonitoredQuery
from parvis.workspaces.models import Workspace, WorkspaceScoped

USER = settings.AUTH_USER_MODEL


class Metric(models.TextChoices):
    """What a spike series counts per minute."""

    VOLUME = "volume", _("Mention volume")
    NEGATIVE = "negative", _("Negative mentions")
    REACH = "reach", _("Reach")


class Resolution(models.TextChoices):
    """A series' bucket: one minute (a burst), one hour (a buzz that builds over hours)."""

    MINUTE = "minute", _("one minute")
    HOUR = "hour", _("one hour")


class RuleKind(models.TextChoices):
    SPIKE = "spike", _("Spike (unusual volume)")
    KEYWORD = "keyword", _("Keyword (every new matching mention)")
    INFLUENCER = "influencer", _("Influencer (an author above N followers)")


class EpisodeKind(models.TextChoices):
    VOLUME = "volume", _("Volume spike")
    NEGATIVE = "negative", _("Negative spike")
    REACH = "reach", _("Reach spike")
    KEYWORD = "keyword", _("Keyword")
    INFLUENCER = "influencer", _("Influencer")


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    IMPORTANT = "important", _("Important")
    CRISIS = "crisis", _("Crisis")


SEVERITY_ORDER = {Severity.INFO: 0, Severity.IMPORTANT: 1, Severity.CRISIS: 2}


class Channel(models.TextChoices):
    APP = "app", _("In the app (the bell)")
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhooks")


class WebhookFormat(models.TextChoices):
    SIGNED = "signed", _("Signed JSON (Parvis)")
    SLACK = "slack", _("Slack incoming webhook")
    MATTERMOST = "mattermost", _("Mattermost incoming webhook")


class AlertSettings(WorkspaceScoped):
    """A workspace's quiet hours, in its time zone: alerts below « crise » wait for the end."""

    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    quiet_hours = models.BooleanField(_("quiet hours"), default=False)
    quiet_start = models.TimeField(_("quiet from"), default=dt.time(22, 0))
    quiet_end = models.TimeField(_("quiet until"), default=dt.time(7, 0))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="alerts_one_settings_per_ws")
        ]


class AlertCursor(models.Model):
    """The last mention id the alerts have looked at, per workspace. Every change to the
    workspace's series happens under a lock of this row: one writer at a time per workspace,
    whichever worker runs it."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    last_mention_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.last_mention_id}"


class Series(WorkspaceScoped):
    """One detector's state: a metric, per monitored query or for the whole workspace
    (query NULL), in buckets of one minute or one hour (`resolution`). `bucket_start` /
    `bucket_value` are the open bucket; `state` is SpikeDetector.to_state() after the last
    closed bucket. The two resolutions of one (query, metric) share their episodes."""

    query = models.ForeignKey(
        MonitoredQuery, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    metric = models.CharField(max_length=10, choices=Metric.choices)
    resolution = models.CharField(
        max_length=6, choices=Resolution.choices, default=Resolution.MINUTE
    )
    # The query's expression the state was learned on: an edited query starts afresh.
    expression = models.TextField(blank=True)
    bucket_start = models.DateTimeField(null=True, blank=True)
    bucket_value = models.BigIntegerField(default=0)
    state = models.JSONField(default=dict, blank=True)
    # A slow average of the buckets outside episodes: « back to normal » is measured on it.
    baseline = models.FloatField(default=0.0)
    minutes = models.BigIntegerField(default=0)  # buckets closed (minutes or hours)
    last_score = models.FloatField(default=0.0)
    calm_minutes = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "query", "metric", "resolution"],
                condition=Q(query__isnull=False),
                name="alerts_series_per_query_res",
            ),
            models.UniqueConstraint(
                fields=["workspace", "metric", "resolution"],
                condition=Q(query__isnull=True),
                name="alerts_series_per_ws_res",
            ),
        ]


class AlertRule(WorkspaceScoped):
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=RuleKind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    # Filters. No query: the whole workspace (spike) or every new mention (keyword).
    query = models.ForeignKey(
        MonitoredQuery,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("query"),
    )
    metric = models.CharField(
        _("measure"), max_length=10, choices=Metric.choices, default=Metric.VOLUME
    )
    words = models.TextField(_("words"), blank=True)
    only_negative = models.BooleanField(_("only negative mentions"), default=False)
    min_followers = models.PositiveBigIntegerField(_("minimum followers"), null=True, blank=True)
    network = models.CharField(_("network"), max_length=30, blank=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.IMPORTANT
    )
    # Channels and recipients.
    channels = models.JSONField(_("channels"), default=list, blank=True)
    members = models.ManyToManyField(USER, blank=True, related_name="+", verbose_name=_("members"))
    roles = models.JSONField(_("roles"), default=list, blank=True)
    emails = models.JSONField(_("external addresses"), default=list, blank=True)
    # [{"url": ..., "format": WebhookFormat}]
    webhooks = models.JSONField(_("webhooks"), default=list, blank=True)
    # Fernet-encrypted {"secret": ...} (connectors/crypto.py), never rendered back.
    webhook_secret = models.BinaryField(null=True, blank=True)
    cooldown_minutes = models.PositiveIntegerField(_("cool-down (minutes)"), default=30)
    digest = models.BooleanField(_("hourly digest instead of one message per alert"), default=False)
    last_alert_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def channel_labels(self) -> list[str]:
        """The rule's channels as people read them (« E-mail », not "email")."""
        labels = dict(Channel.choices)
        return [str(labels.get(code, code)) for code in self.channels or []]

    def __str__(self) -> str:
        return self.name


class Episode(WorkspaceScoped):
    """Something happening: a spike of a series (opened when the detector fires, closed when
    the series is back to normal) or a run of mentions taken by a keyword or influencer rule
    (closed after the rule's cool-down without a new one)."""

    kind = models.CharField(max_length=12, choices=EpisodeKind.choices)
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="episodes"
    )
    rule = models.ForeignKey(
        AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="episodes"
    )
    query = models.ForeignKey(
        MonitoredQuery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    query_name = models.CharField(max_length=120, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    opened_at = models.DateTimeField(db_index=True)
    fired_at = models.DateTimeField()  # when the detector (or the rule) fired, wall clock
    closed_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField()
    baseline = models.FloatField(default=0.0)
    # The bucket of `baseline` and `peak_value` (a spike's: the series that holds the episode).
    resolution = models.CharField(
        max_length=6, choices=Resolution.choices, default=Resolution.MINUTE
    )
    peak_value = models.BigIntegerField(default=0)
    peak_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(default=0.0)
    mention_count = models.PositiveIntegerField(default=0)
    first_mention_id = models.BigIntegerField(null=True, blank=True)
    sample_mention_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["workspace", "closed_at"], name="alerts_episode_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.query_name}".strip()

    @property
    def peak_unit(self) -> str:
        """What a spike's peak counts: « in one minute » or « over one hour »; "" otherwise."""
        if self.kind not in (EpisodeKind.VOLUME, EpisodeKind.NEGATIVE, EpisodeKind.REACH):
            return ""
        if self.resolution == Resolution.HOUR:
            return str(_("over one hour"))
        return str(_("in one minute"))

    @property
    def peak_text(self) -> str:
        """What the detector counted, in words: « 2 negative mentions in one minute ». The crisis
        room's chart counts every mention in its own buckets; both pages name what they count."""
        from django.utils import formats
        from django.utils.translation import gettext, ngettext

        n = self.peak_value
        value = formats.number_format(n, force_grouping=True)
        hourly = self.resolution == Resolution.HOUR
        if self.kind == EpisodeKind.NEGATIVE:
            text = (
                ngettext(
                    "%(n)s negative mention over one hour",
                    "%(n)s negative mentions over one hour",
                    n,
                )
                if hourly
                else ngettext(
                    "%(n)s negative mention in one minute",
                    "%(n)s negative mentions in one minute",
                    n,
                )
            )
        elif self.kind == EpisodeKind.VOLUME:
            text = (
                ngettext("%(n)s mention over one hour", "%(n)s mentions over one hour", n)
                if hourly
                else ngettext("%(n)s mention in one minute", "%(n)s mentions in one minute", n)
            )
        elif self.kind == EpisodeKind.REACH:
            text = gettext("a reach of %(n)s in one minute")
        elif self.kind == EpisodeKind.INFLUENCER:
            text = ngettext("an author with %(n)s follower", "an author with %(n)s followers", n)
        else:
            return value
        return text % {"n": value}


class AlertState(models.TextChoices):
    SENT = "sent", _("Sent")
    HELD = "held", _("Held (quiet hours)")
    DIGEST = "digest", _("Waiting for the digest")
    DIGESTED = "digested", _("Sent in a digest")
    SUPPRESSED = "suppressed", _("Not sent (cool-down)")


class Digest(WorkspaceScoped):
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="digests")
    created_at = models.DateTimeField()


class Alert(WorkspaceScoped):
    """One rule telling about one episode: at most one per (rule, episode)."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="alerts")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    state = models.CharField(max_length=10, choices=AlertState.choices)
    # The words as first written, in the language of the worker that raised it: what the
    # e-mails and webhooks carried. Pages word it again from `params` (title_text).
    title = models.CharField(max_length=300)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)
    digest = models.ForeignKey(
        Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "episode"], name="alerts_one_per_episode")
        ]

    @property
    def title_text(self) -> str:
        """The title in the reader's language, from the facts kept when it was raised (an
        alert from before those were kept: from its episode and rule)."""
        from parvis.alerts import titles

        params = self.params
        if not params:
            episode, rule = self.episode, self.rule
            params = titles.title_params(
                episode.kind,
                episode.resolution,
                episode.query_name,
                episode.peak_value,
                episode.baseline,
                rule.name,
            )
        return titles.render(params) or self.title


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(WorkspaceScoped):
    """One message on one channel to one target, for an alert or a digest. Claimed before it
    is sent (state SENDING, claimed_until), retried with backoff; the key travels as the
    webhook's Idempotency-Key and the e-mail's Message-ID so a receiver can drop a repeat."""

    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    digest = models.ForeignKey(
        Digest, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.TextField()  # an e-mail address or a webhook URL
    format = models.CharField(max_length=12, blank=True)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class Receipt(WorkspaceScoped):
    """An alert in a member's bell; read_at NULL: unread."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="alerts_one_receipt")]
        indexes = [models.Index(fields=["workspace", "user", "read_at"], name="alerts_unread")]


class Notice(WorkspaceScoped):
    """A message in a member's bell that is not an alert: another app's event that needs the
    member (a post that could not be published), sent through listening.extensions.notify.
    `title` and `text` are msgids translated when shown, with `params`; `key` names the event,
    once per member."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "user"], name="alerts_one_notice_per_user")
        ]
        indexes = [
            models.Index(fields=["workspace", "user", "read_at"], name="alerts_notice_unread")
        ]

    def __str__(self) -> str:
        return self.key

    def _render(self, msgid: str) -> str:
        from django.utils.translation import gettext

        try:
            return gettext(msgid) % {k: str(v) for k, v in (self.params or {}).items()}
        except (KeyError, ValueError, TypeError):
            return msgid  # a catalogue or params out of step: the English words, not an error

    @property
    def title_text(self) -> str:
        return self._render(self.title)

    @property
    def body_text(self) -> str:
        return self._render(self.text)


# The crisis room's models live in their own module and belong to this app.
from parvis.alerts.crisis.models import (  # noqa: E402, F401
    Crisis,
    CrisisLog,
    CrisisNotice,
    CrisisTask,
    HoldingStatement,
    Playbook,
    PublishingPause,
)
