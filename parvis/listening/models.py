from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.core.networks import NETWORK_CHOICES
from parvis.workspaces.models import WorkspaceScoped


class QueryKind(models.TextChoices):
    BRAND = "brand", _("Brand")
    COMPETITOR = "competitor", _("Competitor")
    TOPIC = "topic", _("Sector or topic")
    PERSON = "person", _("Person")
    CAMPAIGN = "campaign", _("Campaign")


class MonitoredQuery(WorkspaceScoped):
    """A "veille": a named query in the listening language, matched against every mention."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=QueryKind.choices)
    expression = models.TextField(_("query"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("monitored query")
        verbose_name_plural = _("monitored queries")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_query_name")
        ]

    def __str__(self) -> str:
        return self.name


class StoredDateTime(dt.datetime):
    """A stored date in year 1 or 9999, where converting to some time zone overflows. It
    stays exact (comparisons, cursors, the API); shown in a zone that cannot hold it, it reads
    as that zone's first or last moment instead of raising (a 500 on every page showing it)."""

    def astimezone(self, tz: dt.tzinfo | None = None) -> dt.datetime:
        try:
            return super().astimezone(tz)
        except OverflowError:
            bound = dt.datetime.max if self.year > 1 else dt.datetime.min
            return bound.replace(tzinfo=tz)


class NetworkDateTimeField(models.DateTimeField):
    """A date a network gave. Validation keeps new ones within 1990..tomorrow, but rows
    stored before it (or by hand) may hold anything the column does: no page may break on
    them. The column is a plain DateTimeField (same migrations)."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is not None and value.year in (1, 9999):
            fields = (value.hour, value.minute, value.second, value.microsecond)
            return StoredDateTime(value.year, value.month, value.day, *fields, value.tzinfo)
        return value

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs


class Author(WorkspaceScoped):
    """Someone who talks about the brand, aggregated over their mentions on one network."""

    network = models.CharField(max_length=30, choices=NETWORK_CHOICES)
    handle = models.CharField(max_length=300)
    name = models.CharField(max_length=300, blank=True)
    profile_url = models.TextField(blank=True)
    followers = models.PositiveBigIntegerField(default=0)
    mention_count = models.PositiveIntegerField(default=0)
    engagement = models.PositiveBigIntegerField(default=0)
    # Sum and count of sentiment scores (-1..1) so the average stays exact under increments.
    sentiment_sum = models.FloatField(default=0.0)
    sentiment_count = models.PositiveIntegerField(default=0)
    influence = models.FloatField(default=0.0)
    first_seen_at = NetworkDateTimeField()
    last_seen_at = NetworkDateTimeField()

    class Meta:
        verbose_name = _("author")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "handle"], name="unique_author_per_network"
            )
        ]
        indexes = [models.Index(fields=["workspace", "-influence"], name="author_influence")]

    def __str__(self) -> str:
        return self.handle

    @property
    def average_sentiment(self) -> float | None:
        return self.sentiment_sum / self.sentiment_count if self.sentiment_count else None


class SourceStatus(models.TextChoices):
    OK = "ok", _("Running")
    RETRYING = "retrying", _("Retrying")
    FAILING = "failing", _("Failing")
    PAUSED = "paused", _("Paused")


class Source(WorkspaceScoped):
    """A connector + its settings + a schedule + a cursor."""

    kind = models.CharField(_("connector"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    interval_seconds = models.PositiveIntegerField(_("every (seconds)"), default=900)
    cursor = models.JSONField(default=dict, blank=True)
    # The workspace's own account the source reads through (own activity, authenticated search).
    account = models.ForeignKey(
        "connectors.ConnectedAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sources",
        verbose_name=_("account"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    status = models.CharField(max_length=10, choices=SourceStatus.choices, default=SourceStatus.OK)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    items_total = models.PositiveBigIntegerField(default=0)
    # Newest item time the source delivered: lag = now - this.
    newest_item_at = models.DateTimeField(null=True, blank=True)
    # Who is running the source now ("host:pid"), until when: one run at a time, anywhere.
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("source")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


HEADS = models.Q(group_head=True)
# The analysis' scores are calibrated so that 0.5 is its decision threshold: above it a
# mention is toxic (spam). The explorer's "toxic only" and "spam only" filters, and its sorts
# by a score, list those above it (see the head_* score indexes).
TOXIC, SPAM = 0.5, 0.5


class Mention(WorkspaceScoped):
    """One post, comment or article, from any source, normalized and enriched."""

    # No single-column indexes for the workspace and the author: mention_workspace and
    # mention_author start with them, and each redundant index costs every insert (a
    # random-keyed one, the author's, most of all at a million mentions).
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    network = models.CharField(max_length=30, choices=NETWORK_CHOICES)
    external_id = models.CharField(max_length=300)
    url = models.TextField(blank=True)
    author = models.ForeignKey(
        Author, on_delete=models.CASCADE, related_name="mentions", db_index=False
    )
    title = models.TextField(blank=True)
    text = models.TextField(blank=True)
    lang = models.CharField(max_length=12, blank=True)
    published_at = NetworkDateTimeField()
    ingested_at = models.DateTimeField()
    likes = models.PositiveBigIntegerField(default=0)
    reposts = models.PositiveBigIntegerField(default=0)
    replies = models.PositiveBigIntegerField(default=0)
    engagement = models.PositiveBigIntegerField(default=0)
    # The author's followers when the mention arrived: how many could see it.
    reach = models.PositiveBigIntegerField(default=0)
    parent_external_id = models.CharField(max_length=300, blank=True)
    # The thread's first post, when the network says (Bluesky root, Reddit link, HN story).
    root_external_id = models.CharField(max_length=300, blank=True)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raw = models.JSONField(default=dict)
    # Enrichment (parvis.intelligence)
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(default=0.0)  # P(positive) - P(negative)
    toxicity = models.FloatField(default=0.0)
    toxicity_categories = models.JSONField(default=dict)
    spam = models.FloatField(default=0.0)
    analysis_why = models.JSONField(default=dict)
    # Copy-paste campaigns and reposts: same normalized text, shown once with a count.
    content_hash = models.CharField(max_length=32, blank=True)
    group_head = models.BooleanField(default=True)
    group_size = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("mention")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "external_id"], name="unique_mention"
            )
        ]
        # The explorer lists group heads only: partial indexes on `group_head` keep them
        # small, and ascending columns let both databases scan backwards for "newest first,
        # then id" without a sort (SQLite appends the row id to every index).
        indexes = [
            models.Index(fields=["workspace", "published_at"], condition=HEADS, name="head_recent"),
            models.Index(
                fields=["workspace", "network", "published_at"],
                condition=HEADS,
                name="head_network",
            ),
            models.Index(
                fields=["workspace", "sentiment", "published_at"],
                condition=HEADS,
                name="head_sentiment",
            ),
            models.Index(
                fields=["workspace", "lang", "published_at"], condition=HEADS, name="head_lang"
            ),
            models.Index(fields=["workspace", "reach"], condition=HEADS, name="head_reach"),
            models.Index(
                fields=["workspace", "engagement"], condition=HEADS, name="head_engagement"
            ),
            # The sorts by a score ("negative, most negative first", "toxic, most toxic
            # first", "spam, most likely first") and the toxic / spam filters. Each holds only
            # the mentions those list, a third to a fiftieth of them: every index entry costs
            # each insert, a random-keyed one like these most of all (a million-mention import
            # spent about 8 CPU-µs per mention in each full score index, SQLite).
            models.Index(
                fields=["workspace", "sentiment_score"],
                condition=HEADS & models.Q(sentiment="negative"),
                name="head_negative",
            ),
            models.Index(
                fields=["workspace", "toxicity"],
                condition=HEADS & models.Q(toxicity__gte=TOXIC),
                name="head_toxic",
            ),
            models.Index(
                fields=["workspace", "spam"],
                condition=HEADS & models.Q(spam__gte=SPAM),
                name="head_spammy",
            ),
            # Volumes over time count every mention, copies included (overview, alerts).
            # Network and author too: the overview's sites are counted from the index alone.
            models.Index(
                fields=["workspace", "published_at", "sentiment", "network", "author"],
                name="mention_time",
            ),
            # A group's copies, newest first (detail page), and a text's group (ingestion). With
            # the date, SQLite takes it over walking mention_time's million dates for the
            # copies of a text (17 s at 1M: its sampled statistics see huge groups).
            models.Index(
                fields=["workspace", "content_hash", "published_at"], name="mention_copies"
            ),
            # A mention's replies, in order: replies only (most mentions answer nothing), so
            # that inserting a post costs nothing here, and no look-up by (network, external
            # id) can mistake it for unique_mention (PostgreSQL did, on a table it had no
            # statistics for yet, and scanned every mention of a network per look-up).
            models.Index(
                fields=["workspace", "network", "parent_external_id", "published_at"],
                condition=~models.Q(parent_external_id=""),
                name="mention_replies",
            ),
            models.Index(fields=["author", "published_at"], name="mention_author"),
            # The apps that follow a workspace's new mentions (inbox intake, alerts) read them
            # after a cursor, in id order: without this, one quiet workspace's read walked the
            # ids of every busier one. Cheap to keep: a workspace's new rows go at its end.
            models.Index(fields=["workspace", "id"], name="mention_workspace"),
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.external_id}"


class MentionsVersion(models.Model):
    """A per-workspace number that changes whenever the workspace's mentions or queries
    change (see listening/freshness.py). Cached figures are keyed by it: kept in the
    database, it invalidates them for every web process and worker alike."""

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.workspace_id}:{self.version}"


class MentionMatch(models.Model):
    """Which monitored queries a mention matched (published_at copied for fast filtering)."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    # Served by unique_match and match_query_recent, which start with them.
    mention = models.ForeignKey(
        Mention, on_delete=models.CASCADE, related_name="matches", db_index=False
    )
    query = models.ForeignKey(
        MonitoredQuery, on_delete=models.CASCADE, related_name="matches", db_index=False
    )
    published_at = NetworkDateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mention", "query"], name="unique_match")]
        indexes = [models.Index(fields=["query", "published_at"], name="match_query_recent")]

    def __str__(self) -> str:
        return f"{self.mention_id} ~ {self.query_id}"


class QuarantinedItem(WorkspaceScoped):
    """An item a source or an import could not take, kept as received, with the reason."""

    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="quarantine"
    )
    origin = models.CharField(max_length=200, blank=True)  # file name, feed URL…
    line_number = models.PositiveIntegerField(null=True, blank=True)
    reason = models.TextField()
    raw = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("quarantined item")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reason[:80]


class SavedView(WorkspaceScoped):
    """A named set of explorer filters, kept per user (the query string, as typed)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user", "name"], name="unique_saved_view")
        ]

    def __str__(self) -> str:
        return self.name


class Correction(WorkspaceScoped):
    """A member's correction of a mention's sentiment, spam or toxicity label: applied to the
    mention at once, kept here (who, when, before → after), and the examples the workspace's
    adaptation layer learns from (``listening/corrections.py``)."""

    class Field(models.TextChoices):
        SENTIMENT = "sentiment", _("Sentiment")
        SPAM = "spam", _("Spam")
        TOXICITY = "toxicity", _("Toxicity")

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="corrections")
    field = models.CharField(max_length=10, choices=Field.choices)
    # Labels: negative / neutral / positive for sentiment, yes / no for spam and toxicity.
    before = models.CharField(max_length=10)
    after = models.CharField(max_length=10)
    # The shared model's scores of the mention as first analysed (adaptation.FEATURES, in
    # 0..1): what the layer learns to correct, whatever corrections followed.
    scores = models.JSONField(default=list)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("correction")
        indexes = [
            models.Index(fields=["workspace", "created_at"], name="correction_recent"),
            models.Index(fields=["workspace", "field", "created_at"], name="correction_field"),
        ]


class Adaptation(WorkspaceScoped):
    """A workspace's adaptation layer for one task, fitted on its corrections only."""

    task = models.CharField(max_length=10, choices=Correction.Field.choices)
    layer = models.JSONField(default=dict)
    n_corrections = models.PositiveIntegerField(default=0)
    trained_at = models.DateTimeField()

    class Meta:
        verbose_name = _("adaptation")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "task"], name="unique_adaptation")
        ]
