"""What the publishing pages read: the calendar's posts and grid, a post's log and checks, the
composer's live counters. Queries and shaping only; every write goes through services.py and
approvals.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from parvis.connectors import counting
from parvis.connectors.base import PublishLimits
from parvis.connectors.limits import (
    LimitsNote,
    limits_note,
    quota_note,
    quota_wanted,
    stored_limits,
)
from parvis.core.networks import network_label
from parvis.publishing import approvals, checks, holidays, services
from parvis.publishing import calendar as cal
from parvis.publishing.models import (
    EDITABLE_STATUSES,
    Approval,
    ApprovalSettings,
    Post,
    PostEvent,
    Status,
    Variant,
)
from parvis.workspaces.access import user_workspaces
from parvis.workspaces.models import NetworkChoice, Workspace

logger = logging.getLogger(__name__)

EDITABLE = EDITABLE_STATUSES
# What can be dragged to another day: not yet on its way to the network.
MOVABLE = sorted(str(status) for status in EDITABLE_STATUSES)
# What the cadence counts as « on the calendar »: going out, or gone out.
COUNTED = (Status.SCHEDULED, Status.PUBLISHING, Status.PUBLISHED)
LIST_DAYS = 28
UNDATED_SHOWN = 30


# --- the calendar ---------------------------------------------------------------------------


@dataclass
class Item:
    """A post as the calendar shows it."""

    post: Post
    local: dt.datetime | None
    networks: list[str]
    accounts: list[str]
    url: str
    move_url: str
    workspace: Workspace

    @property
    def status(self) -> str:
        return self.post.status

    @property
    def excerpt(self) -> str:
        text = " ".join(self.post.text.split())
        return text if len(text) <= 80 else text[:79] + "…"


@dataclass
class ListDay:
    date: dt.date
    items: list[Item] = field(default_factory=list)
    days: list[holidays.Day] = field(default_factory=list)


@dataclass
class Grid:
    mode: str
    start: dt.datetime
    end: dt.datetime
    weeks: list[cal.Week] = field(default_factory=list)
    first: dt.date | None = None  # list view: the first day
    list_days: list[ListDay] = field(default_factory=list)
    year: int = 0
    month: int = 0
    title_date: dt.date | None = None
    previous: str = ""
    next: str = ""
    current: str = ""

    @classmethod
    def build(cls, mode: str, params: Mapping[str, str], today: dt.date, zone: ZoneInfo) -> Grid:
        """The grid the URL asks for (``month=YYYY-MM``, ``week=YYYY-Www``, ``from=YYYY-MM-DD``);
        cal.OutOfRange for anything else."""
        if mode == "week":
            monday = cal.parse_week(params.get("week"), today)
            weeks = [cal.week_grid(monday, zone)]
            start, end = cal.grid_range(weeks)
            return cls(
                mode,
                start,
                end,
                weeks=weeks,
                title_date=monday,
                previous=cal.week_key(monday - dt.timedelta(days=7)),
                next=cal.week_key(monday + dt.timedelta(days=7)),
                current=cal.week_key(monday),
            )
        if mode == "list":
            first = cal.parse_day(params.get("from"), today)
            start, end = cal.list_range(first, LIST_DAYS, zone)
            return cls(
                mode,
                start,
                end,
                first=first,
                title_date=first,
                previous=(first - dt.timedelta(days=LIST_DAYS)).isoformat(),
                next=(first + dt.timedelta(days=LIST_DAYS)).isoformat(),
                current=first.isoformat(),
            )
        year, month = cal.parse_month(params.get("month"), today)
        weeks = cal.month_grid(year, month, zone)
        start, end = cal.grid_range(weeks)
        return cls(
            "month",
            start,
            end,
            weeks=weeks,
            year=year,
            month=month,
            title_date=dt.date(year, month, 1),
            previous=cal.month_key(*cal.shift_month(year, month, -1)),
            next=cal.month_key(*cal.shift_month(year, month, 1)),
            current=cal.month_key(year, month),
        )

    @property
    def last_date(self) -> dt.date:
        if self.weeks:
            return self.weeks[-1].cells[-1].date
        assert self.first is not None
        return self.first + dt.timedelta(days=LIST_DAYS - 1)

    @property
    def first_date(self) -> dt.date:
        if self.weeks:
            return self.weeks[0].cells[0].date
        assert self.first is not None
        return self.first

    @property
    def param(self) -> str:
        return {"month": "month", "week": "week", "list": "from"}[self.mode]

    def fill(self, posts: Iterable[Item], zone: ZoneInfo, *, alsace_moselle: bool) -> None:
        notable = holidays.days_between(
            self.first_date, self.last_date, alsace_moselle=alsace_moselle
        )
        items = [item for item in posts if item.local is not None]
        if self.weeks:
            cal.place(self.weeks, items, lambda item: item.local, zone)
            cal.mark_days(self.weeks, notable)
            return
        by_day: dict[dt.date, ListDay] = {}
        for item in items:
            assert item.local is not None
            day = item.local.date()
            by_day.setdefault(day, ListDay(day)).items.append(item)
        for day, found in notable.items():
            by_day.setdefault(day, ListDay(day)).days = found
        self.list_days = [by_day[day] for day in sorted(by_day)]

    def add_cadence(
        self,
        plan: Mapping[str, int],
        posts: Iterable[tuple[str, dt.datetime]],
        zone: ZoneInfo,
    ) -> None:
        result = cal.cadence(plan, posts, [week.iso for week in self.weeks], zone)
        today = timezone.now().astimezone(zone).date()
        for week in self.weeks:
            week.cadence = result.get(week.iso, [])
            week.running = week.monday + dt.timedelta(days=6) >= today


def _posts(workspaces: Sequence[Workspace]) -> QuerySet[Post]:
    return (
        Post.objects.filter(workspace__in=workspaces, thread_parent__isnull=True)
        .annotate(parts=Count("thread_parts"))
        .select_related("workspace", "campaign")
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.select_related("account").order_by("id"),
            )
        )
    )


def _filtered(posts: QuerySet[Post], filters: Mapping[str, str]) -> QuerySet[Post]:
    if "status" in filters:
        posts = posts.filter(status=filters["status"])
    else:
        posts = posts.exclude(status=Status.CANCELLED)
    if "campaign" in filters:
        posts = posts.filter(campaign_id=int(filters["campaign"]))
    if "network" in filters:
        posts = posts.filter(
            pk__in=Variant.objects.filter(account__network=filters["network"]).values("post_id")
        )
    if "account" in filters:
        posts = posts.filter(
            pk__in=Variant.objects.filter(account_id=int(filters["account"])).values("post_id")
        )
    return posts


def _item(post: Post, zone: ZoneInfo) -> Item:
    variants = list(post.variants.all())
    slug = post.workspace.slug
    return Item(
        post=post,
        local=post.scheduled_at.astimezone(zone) if post.scheduled_at else None,
        networks=sorted({v.account.network for v in variants}),
        accounts=[f"{network_label(v.account.network)} · {v.account.handle}" for v in variants],
        url=reverse("publishing:post", args=[slug, post.pk]),
        move_url=reverse("publishing:move", args=[slug, post.pk]),
        workspace=post.workspace,
    )


def calendar_posts(
    workspaces: Sequence[Workspace],
    start: dt.datetime,
    end: dt.datetime,
    filters: Mapping[str, str],
    zone: ZoneInfo | None = None,
) -> list[Item]:
    """The (head) posts timed in [start, end), with their accounts: two queries whatever
    their number."""
    posts = _filtered(_posts(workspaces), filters).filter(
        scheduled_at__gte=start, scheduled_at__lt=end
    )
    zone = zone or ZoneInfo("UTC")
    return [_item(post, zone) for post in posts.order_by("scheduled_at", "id")]


def undated_posts(workspace: Workspace, filters: Mapping[str, str]) -> list[Item]:
    posts = _filtered(_posts([workspace]), filters).filter(scheduled_at__isnull=True)
    zone = ZoneInfo("UTC")
    return [_item(post, zone) for post in posts.order_by("-updated_at")[:UNDATED_SHOWN]]


def awaiting_approval(workspace: Workspace, zone: ZoneInfo, limit: int = 100) -> list[Item]:
    """Posts waiting for a decision, the soonest first (the approvers' to-do list)."""
    posts = _posts([workspace]).filter(status=Status.AWAITING_APPROVAL)
    return [_item(post, zone) for post in posts.order_by("scheduled_at", "id")[:limit]]


def cadence_plan(workspace: Workspace) -> dict[str, int]:
    return dict(
        NetworkChoice.objects.filter(workspace=workspace).values_list("network", "posts_per_week")
    )


def cadence_posts(
    workspace: Workspace, start: dt.datetime, end: dt.datetime
) -> list[tuple[str, dt.datetime]]:
    """(network, time) of each variant going out or gone out in [start, end)."""
    rows = Variant.objects.filter(
        workspace=workspace,
        post__thread_parent__isnull=True,
        post__scheduled_at__gte=start,
        post__scheduled_at__lt=end,
        status__in=COUNTED,
    ).values_list("account__network", "post__scheduled_at")
    return [(network, when) for network, when in rows if when is not None]


def query_without(params: Mapping[str, str], keys: Sequence[str]) -> str:
    """The URL's other parameters (the filters), to keep in the calendar's links."""
    kept = [(k, v) for k, v in params.items() if k not in keys and len(v) < 200]
    return urlencode(kept)


def workspaces_of(user: Any) -> list[Workspace]:
    return list(user_workspaces(user))


# --- the composer -----------------------------------------------------------------------------


def composer_initial(post: Post, zone: ZoneInfo) -> dict[str, Any]:
    variants = list(post.variants.select_related("account"))
    initial: dict[str, Any] = {
        "text": post.text,
        "accounts": [str(v.account_id) for v in variants],
        "campaign": str(post.campaign_id) if post.campaign_id else "",
    }
    if post.scheduled_at is not None:
        local = post.scheduled_at.astimezone(zone)
        initial["day"] = local.date()
        initial["time"] = local.time().replace(second=0, microsecond=0)
    for variant in variants:
        initial[f"own_{variant.account_id}"] = bool(variant.text)
        initial[f"variant_{variant.account_id}"] = variant.text or post.text
    return initial


def approval_summary(workspace: Workspace) -> ApprovalSettings | None:
    """The workspace's approval flow, without creating it on a page view."""
    return ApprovalSettings.objects.filter(workspace=workspace).first()


@dataclass
class Counter:
    length: int | None
    limit: int | None
    ok: bool
    problems: list[str]
    hashtags: int | None = None
    hashtag_limit: int | None = None

    @property
    def left(self) -> int | None:
        if self.length is None or self.limit is None:
            return None
        return self.limit - self.length

    @property
    def over(self) -> int:
        left = self.left
        return -left if left is not None and left < 0 else 0

    # The length meter's scale: past the limit the bar's end is the length, so the part over
    # the limit shows (a meter clamps its value to its maximum, which read as « all fine »).
    @property
    def meter_max(self) -> int:
        return max(self.limit or 0, self.length or 0)

    @property
    def meter_low(self) -> int:
        return int((self.limit or 0) * 0.9)


def count(text: str, network: str, limits: PublishLimits | None = None) -> Counter:
    """The network's own count of ``text`` (parvis.connectors.counting): used, limit (None
    where the network has none known), problems, hashtags against their limit. `limits`: the
    account's server's own, as stored on the account (connectors/limits.py)."""
    result = counting.count(text, network, limits)
    return Counter(
        result.used,
        result.limit or None,
        result.ok,
        [str(p.message) for p in result.problems],
        result.hashtags,
        result.hashtag_limit,
    )


# What a preview shows as the networks do: links, #hashtags and @mentions stand out.
TOKEN = re.compile(
    r"(?P<link>https?://[^\s<>\"]+)|(?P<tag>(?<![\w#])#\w[\w-]*)|(?P<mention>(?<![\w@])@[\w.-]+(?:@[\w.-]+)?)"
)


def preview_parts(text: str) -> list[tuple[str, str]]:
    """(kind, piece) of a text: "" for plain text, then "link", "tag" or "mention"; the
    template escapes each piece."""
    parts: list[tuple[str, str]] = []
    position = 0
    for match in TOKEN.finditer(text):
        if match.start() > position:
            parts.append(("", text[position : match.start()]))
        parts.append((match.lastgroup or "", match.group()))
        position = match.end()
    if position < len(text):
        parts.append(("", text[position:]))
    return parts


@dataclass
class LiveRow:
    account: Any
    network: str
    text: str
    own: bool
    counter: Counter | None
    # Where the limit comes from when the account's server sets it (a Mastodon instance).
    limits_note: LimitsNote | None = None
    # What is left of the account's rolling publishing quota (Instagram, Threads).
    quota_note: LimitsNote | None = None

    @property
    def parts(self) -> list[tuple[str, str]]:
        return preview_parts(self.text)


def live_rows(workspace: Workspace, form: Any) -> list[LiveRow]:
    """Each chosen account with the text it would publish, and its network's count."""
    data = getattr(form, "cleaned_data", {})
    master = data.get("text") or ""
    chosen = {str(pk) for pk in data.get("accounts") or []}
    rows = []
    for account in form.account_list:
        if str(account.pk) not in chosen:
            continue
        own = bool(data.get(f"own_{account.pk}"))
        text = (data.get(f"variant_{account.pk}") or "") if own else master
        # The copy stored on the account: never the network, at each keystroke.
        limits = stored_limits(account)
        counter = count(text, account.network, limits)
        note = limits_note(account, counting.count("", account.network).limit or None)
        quota = quota_note(account)
        if quota is not None:
            queue_quota_read(account)
        rows.append(LiveRow(account, account.network, text, own, counter, note, quota))
    return rows


def queue_quota_read(account: Any) -> None:
    """Ask the worker for a fresh read of the account's quota when the copy is old (at most
    one queued read per account every few minutes; never the network from this request)."""
    if not quota_wanted(account):
        return

    def queue() -> None:
        from parvis.connectors.tasks import refresh_account_quota

        try:
            refresh_account_quota(account.pk)
        except Exception:  # the queue down: the copy shown stays dated
            logger.warning("account %s: quota read not queued", account.pk, exc_info=True)

    transaction.on_commit(queue)


def live_findings(workspace: Workspace, form: Any) -> list[checks.Problem]:
    """Brand safety and the editorial line on every text the post would publish."""
    data = getattr(form, "cleaned_data", {})
    rows = live_rows(workspace, form)
    texts: dict[str, set[str]] = {}
    for row in rows:
        texts.setdefault(row.text, set()).add(row.network)
    if not rows:
        texts[data.get("text") or ""] = set()
    found: dict[str, checks.Problem] = {}
    for text, networks in texts.items():
        if not text.strip():
            continue
        for finding in checks.safety_findings(workspace, text, sorted(networks) or None):
            found.setdefault(finding.key, finding)
    return list(found.values())


# --- a post -----------------------------------------------------------------------------------


def head(post: Post) -> Post:
    return services.head_of(post)


def thread_ids(post: Post) -> list[int]:
    top = head(post)
    return [top.pk, *Post.objects.filter(thread_parent=top).values_list("pk", flat=True)]


def thread_parts(post: Post) -> list[Post]:
    return list(Post.objects.filter(thread_parent=head(post)).order_by("thread_position"))


@dataclass
class VariantRow:
    variant: Variant
    network: str
    handle: str
    text: str
    own: bool


def variant_rows(post: Post) -> list[VariantRow]:
    variants = Variant.objects.filter(post=post).select_related("account").order_by("id")
    return [
        VariantRow(v, v.account.network, v.account.handle, v.text or post.text, bool(v.text))
        for v in variants
    ]


def post_events(post: Post) -> list[PostEvent]:
    return list(
        PostEvent.objects.filter(post_id__in=thread_ids(post))
        .select_related("actor", "variant__account")
        .order_by("-at", "-id")
    )


def post_approvals(post: Post) -> list[Approval]:
    return list(Approval.objects.filter(post=head(post)).select_related("user").order_by("at"))


def post_checks(post: Post) -> dict[str, Any]:
    """What stands between the post and its schedule (counting, brand safety, approval…)."""
    report = services.check_post(head(post))
    accepted = set(head(post).safety_overridden or [])
    return {
        "report": report,
        "counting": sorted(report.counting.items()),
        "findings": [(f, f.key in accepted) for f in report.safety],
        "unresolved": report.unresolved,
    }


def can_decide(user: Any, post: Post) -> bool:
    top = head(post)
    if top.status != Status.AWAITING_APPROVAL:
        return False
    return approvals.can_approve_step(user, top, approvals.current_step(top))


def move_initial(post: Post, zone: ZoneInfo) -> dict[str, Any]:
    if post.scheduled_at is None:
        return {}
    local = post.scheduled_at.astimezone(zone)
    return {"day": local.date(), "time": local.time().replace(second=0, microsecond=0)}
