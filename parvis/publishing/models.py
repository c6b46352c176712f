"""Posts written once, adapted per account (variants), approved, scheduled and published.

A `Post` holds the master text; each `Variant` is that post on one connected account, with its
own text or the master's. Before scheduling, the variants follow the post's status; from
`scheduled` on each variant lives its own life (publishing, published, failed) and the post's
status is their aggregate (`services.aggregate`, recorded by `services.refresh_status`).
Writes live in services.py, approvals.py and engine.py, whose docstrings hold the rules.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from parvis.connectors.models import ConnectedAccount
from parvis.workspaces.models import Workspace, WorkspaceScoped
from parvis.workspaces.roles import Role

USER = settings.AUTH_USER_MODEL


class Status(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("post status", "Draft")
    AWAITING_APPROVAL = "awaiting_approval", pgettext_lazy("post status", "Awaiting approval")
    CHANGES_REQUESTED = "changes_requested", pgettext_lazy("post status", "Changes requested")
    # Approved (every step), not scheduled yet.
    APPROVED = "approved", pgettext_lazy("post status", "Approved")
    SCHEDULED = "scheduled", pgettext_lazy("post status", "Scheduled")
    PUBLISHING = "publishing", pgettext_lazy("post status", "Publishing")
    PUBLISHED = "published", pgettext_lazy("post status", "Published")
    FAILED = "failed", pgettext_lazy("post status", "Failed")
    CANCELLED = "cancelled", pgettext_lazy("post status", "Cancelled")


# Before these, a post may still be edited; from them on, the network has (or may have) it.
SENT_STATUSES = frozenset({Status.PUBLISHING, Status.PUBLISHED})
EDITABLE_STATUSES = frozenset(
    {
        Status.DRAFT,
        Status.AWAITING_APPROVAL,
        Status.CHANGES_REQUESTED,
        Status.APPROVED,
        Status.SCHEDULED,
        Status.FAILED,
    }
)


class Campaign(WorkspaceScoped):
    """A label grouping posts (a launch, a season), to filter the calendar."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_campaign_per_name")
        ]

    def __str__(self) -> str:
        return self.name


class Flow(models.TextChoices):
    NONE = "none", _("No approval")
    ONE = "one", _("One step")
    TWO = "two", _("Two steps")


class ApprovalSettings(models.Model):
    """A workspace's approval flow: how many steps, and which role approves each."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="approval_settings"
    )
    flow = models.CharField(
        _("approval flow"), max_length=4, choices=Flow.choices, default=Flow.NONE
    )
    step1_role = models.CharField(
        _("first step approved by"), max_length=30, choices=Role.choices, default=Role.MANAGER
    )
    step2_role = models.CharField(
        _("second step approved by"), max_length=30, choices=Role.choices, default=Role.CLIENT
    )
    # How long a link sent by e-mail to an approver works.
    link_hours = models.PositiveIntegerField(_("approval links expire after (hours)"), default=72)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.workspace}: {self.flow}"

    @property
    def steps(self) -> int:
        return {Flow.NONE: 0, Flow.ONE: 1, Flow.TWO: 2}[Flow(self.flow)]

    def role_for(self, step: int) -> str:
        return self.step1_role if step == 1 else self.step2_role


class Post(WorkspaceScoped):
    """One post: its master text, its time, its approval and its place in a thread."""

    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("text"), blank=True)
    language = models.CharField(_("language"), max_length=20, blank=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    scheduled_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # Bumped by every edit of what is published (texts, variants, media): an approval or a
    # safety override is for one version.
    version = models.PositiveIntegerField(default=1)
    approval_step = models.PositiveSmallIntegerField(default=0)  # steps approved so far
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    # A thread: the first post is its own head (thread_parent null); part N has the head as
    # parent and position N (1, 2, …). Each part replies to the previous one, per account.
    thread_parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="thread_parts"
    )
    thread_position = models.PositiveSmallIntegerField(default=0)
    # Brand-safety warnings a person chose to publish anyway, with why (kept in the log too).
    safety_override_reason = models.TextField(blank=True)
    safety_overridden = models.JSONField(default=list, blank=True)  # keys of findings accepted
    safety_overridden_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set while a crisis holds the workspace's publishing and this post is due (logged once).
    paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_at", "id"]
        indexes = [
            models.Index(fields=["workspace", "scheduled_at"], name="pub_post_calendar"),
            models.Index(fields=["status", "scheduled_at"], name="pub_post_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["thread_parent", "thread_position"],
                condition=models.Q(thread_parent__isnull=False),
                name="pub_one_part_per_position",
            )
        ]

    def __str__(self) -> str:
        return self.text[:60] or f"post {self.pk}"


class Variant(WorkspaceScoped):
    """A post on one connected account, published exactly once (engine.py)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    account = models.ForeignKey(ConnectedAccount, on_delete=models.CASCADE, related_name="+")
    # Empty: the post's master text.
    text = models.TextField(_("text for this account"), blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(max_length=300, blank=True)
    url = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # The network's answer (PublishedPost.raw): what the next part of a thread replies to.
    raw = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    what_to_do = models.TextField(blank=True)
    # A worker publishing it holds it until `claimed_until`; past it, the publication is in
    # doubt and is reconciled (read back from the network) before any new attempt.
    claim_owner = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # The published post's public counts as the network last gave them (the connectors'
    # metrics capability); null: never read, or the network does not give that figure.
    likes = models.BigIntegerField(null=True, blank=True)
    reposts = models.BigIntegerField(null=True, blank=True)
    replies = models.BigIntegerField(null=True, blank=True)
    quotes = models.BigIntegerField(null=True, blank=True)
    views = models.BigIntegerField(null=True, blank=True)  # people reached or impressions
    metrics_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["post_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "account"], name="pub_one_variant_per_account")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="pub_variant_due"),
            models.Index(fields=["status", "claimed_until"], name="pub_variant_claim"),
        ]

    def __str__(self) -> str:
        return f"variant {self.pk} ({self.status})"

    @property
    def effective_text(self) -> str:
        return self.text or self.post.text


class Media(WorkspaceScoped):
    """An uploaded image or video, stored under the data directory (publishing/media/…),
    attached to a post (every variant) or to one variant, in order."""

    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="media"
    )
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.CASCADE, related_name="media"
    )
    position = models.PositiveSmallIntegerField(default=0)
    path = models.CharField(max_length=300)  # relative to settings.DATA_DIR
    original_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    alt_text = models.TextField(_("alternative text"), blank=True)
    uploaded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.original_name or self.path


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class Approval(WorkspaceScoped):
    """One approver's decision on one step of one version of a post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approvals")
    step = models.PositiveSmallIntegerField()
    post_version = models.PositiveIntegerField()
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Decided through a signed link sent by e-mail (then `email` says to whom it was sent).
    via_link = models.BooleanField(default=False)
    email = models.EmailField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.post_id} step {self.step}: {self.decision}"


class ApprovalLink(WorkspaceScoped):
    """A signed link sent to one approver for one step of one version of one post; used once."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approval_links")
    step = models.PositiveSmallIntegerField()
    post_version = models.PositiveIntegerField()
    email = models.EmailField()
    nonce = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link for {self.email} on post {self.post_id}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Post created")
    EDITED = "edited", _("Edited")
    SUBMITTED = "submitted", _("Sent for approval")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    BACK_TO_APPROVAL = "back_to_approval", _("Edited after approval: approval needed again")
    SCHEDULED = "scheduled", _("Scheduled")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    UNSCHEDULED = "unscheduled", _("Unscheduled")
    # Approved with a time, but a check failed: it stays approved (the message says why).
    NOT_SCHEDULED = "not_scheduled", _("Approved, not scheduled")
    CANCELLED = "cancelled", _("Cancelled")
    SAFETY_OVERRIDE = "safety_override", _("Brand-safety warning overridden")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    RETRIED = "retried", _("Retried")
    PAUSED = "paused", _("Paused by a crisis")
    RESUMED = "resumed", _("Resumed after a crisis")
    LINK_SENT = "link_sent", _("Approval link sent")
    CONTEST_CREATED = "contest_created", _("Contest created")
    CONTEST_DRAWN = "contest_drawn", _("Contest drawn")


class PostEvent(WorkspaceScoped):
    """The post's log, shown on the post: who did what, when, and why."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="events")
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["post", "at"], name="pub_event_post")]

    def __str__(self) -> str:
        return f"{self.post_id} {self.kind}"


# --- contests (contest_services.py; the pure rules and draw in contests.py) -------------------


class Contest(WorkspaceScoped):
    """A contest on one published post (a variant): its replies are the entries.

    The rules are fixed at creation, with the seed: only its commitment (SHA-256) is shown
    until the draw, which happens once (`drawn_at`, set by a conditional update)."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="contests")
    name = models.CharField(_("name"), max_length=200)
    one_entry_per_person = models.BooleanField(_("one entry per person"), default=True)
    required_hashtag = models.CharField(_("required hashtag"), max_length=100, blank=True)
    must_follow = models.BooleanField(_("entrants must follow the account"), default=False)
    excluded_handles = models.JSONField(_("excluded accounts"), default=list, blank=True)
    closes_at = models.DateTimeField(_("entries close at"))
    winners = models.PositiveIntegerField(_("winners"), default=1)
    reserves = models.PositiveIntegerField(_("reserves"), default=0)
    # The seed, encrypted like the accounts' credentials until the draw reveals it (`seed`).
    sealed_seed = models.BinaryField()
    commitment = models.CharField(max_length=64)
    seed = models.CharField(max_length=1000, blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    drawn_at = models.DateTimeField(null=True, blank=True)
    drawn_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The draw record as contests.Draw.as_dict() wrote it, with the rules applied.
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class ContestEntry(WorkspaceScoped):
    """One entry as it stood at the draw (a reply deleted later stays here), with its
    eligibility and its place: the exports are rebuilt from these rows."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="entries")
    entry_id = models.CharField(max_length=400)
    author_id = models.CharField(max_length=400)
    author_handle = models.CharField(max_length=400, blank=True)
    text = models.TextField(blank=True)
    url = models.TextField(blank=True)
    posted_at = models.DateTimeField()
    follows = models.BooleanField(null=True, blank=True)
    eligible = models.BooleanField(default=False)
    reason_code = models.CharField(max_length=40, blank=True)
    reason_params = models.JSONField(default=dict, blank=True)
    # 0: not drawn; else its rank among the winners or the reserves.
    winner_rank = models.PositiveIntegerField(default=0)
    reserve_rank = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["posted_at", "entry_id"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "entry_id"], name="pub_one_entry_per_id")
        ]

    def __str__(self) -> str:
        return self.entry_id


# --- recurring series (series.py) -------------------------------------------------------------


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    MONTHLY = "monthly", _("Every month")


class Series(WorkspaceScoped):
    """A post that comes back: its template (text, accounts, campaign) and its rule (weekly
    on some weekdays or monthly on a day, at a time on the workspace's clock, from a date,
    until a date or for a number of occurrences). Each occurrence is an ordinary post
    (`SeriesOccurrence`), created some weeks ahead by series.py."""

    name = models.CharField(_("name"), max_length=120)
    text = models.TextField(_("text"))
    accounts = models.ManyToManyField(
        ConnectedAccount, related_name="+", verbose_name=_("accounts")
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    frequency = models.CharField(
        _("repeat"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True)  # 0 = Monday … 6
    month_day = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    interval = models.PositiveSmallIntegerField(_("every (weeks or months)"), default=1)
    time = models.TimeField(_("time"))
    starts_on = models.DateField(_("from"))
    until = models.DateField(_("until"), null=True, blank=True)
    count = models.PositiveIntegerField(_("number of occurrences"), null=True, blank=True)
    horizon_weeks = models.PositiveSmallIntegerField(_("prepared weeks ahead"), default=4)
    # Bumped by every edit of the template or the rule: an occurrence made from an older one
    # is brought up to date (if not yet published).
    version = models.PositiveIntegerField(default=1)
    stopped_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.name


class SeriesOccurrence(WorkspaceScoped):
    """One date of a series and the post made for it: one per (series, date), whoever
    creates it (two workers filling the horizon at once make one)."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="occurrences")
    date = models.DateField()
    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="series_occurrence")
    series_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["series", "date"], name="pub_one_occurrence_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.series_id} {self.date}"


# --- live events (live.py) --------------------------------------------------------------------


class LiveEvent(WorkspaceScoped):
    """An event covered live: posts prepared in advance, released by hand or at their planned
    time, with what people say about it (its hashtag and keywords) beside them."""

    name = models.CharField(_("name"), max_length=120)
    hashtag = models.CharField(_("hashtag"), max_length=100, blank=True)
    keywords = models.TextField(_("keywords"), blank=True)  # one per line
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    accounts = models.ManyToManyField(
        ConnectedAccount, related_name="+", verbose_name=_("accounts")
    )
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "id"]

    def __str__(self) -> str:
        return self.name


class LivePost(WorkspaceScoped):
    """A post prepared for a live event: released by hand, or at `planned_at` (scheduled).
    `released_at` is set once, by a conditional UPDATE: a second « release now » does nothing."""

    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="prepared")
    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="live_post")
    position = models.PositiveIntegerField(default=0)
    planned_at = models.DateTimeField(_("planned at"), null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.post_id}"
