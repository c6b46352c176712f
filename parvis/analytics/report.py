"""The client report: what happened over a period, gathered once (`gather`) and laid out as
tables (`tables`) that the three formats share, so the PDF, the CSV and the XLSX always show
the same figures. The renderers are in `render.py` (PDF) and `tables_out.py` (CSV, XLSX);
`generate` is the one entry point of the CLI, the API, the archive page and the schedule.

Every figure is counted by the database (aggregates over the period); what the other apps
know comes through `listening.reporting` (the apps side by side do not import each other).
The definitions are in docs/analytics.md (« The client report »)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from parvis.analytics import kpis, presence
from parvis.analytics.models import AccountSnapshot, ReportSettings
from parvis.connectors.models import ConnectedAccount
from parvis.core.networks import network_label
from parvis.listening import explorer, reporting
from parvis.workspaces.models import Objective, Workspace
from parvis.workspaces.zones import zone_of

Progress = Callable[[int], None]
Cell = str | int | float | dt.date | dt.datetime | None

# The longest period a report covers: a year and a bit (a daily chart and table stay legible).
MAX_DAYS = 400
DEFAULT_COLOUR = "#1F4E79"


class PeriodError(ValueError):
    """A period a report cannot cover, said in words."""


@dataclass(frozen=True)
class AccountAudience:
    network: str
    handle: str
    start: int | None  # followers at the period's start (last reading up to its first day)
    end: int | None  # … at its end (last reading up to its last day)

    @property
    def gained(self) -> int | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start


@dataclass(frozen=True)
class Audience:
    accounts: tuple[AccountAudience, ...] = ()
    daily: tuple[tuple[dt.date, int], ...] = ()  # the accounts' followers summed, each day

    @property
    def start(self) -> int | None:
        known = [a.start for a in self.accounts if a.start is not None]
        return sum(known) if known else None

    @property
    def end(self) -> int | None:
        known = [a.end for a in self.accounts if a.end is not None]
        return sum(known) if known else None

    @property
    def gained(self) -> int | None:
        known = [a.gained for a in self.accounts if a.gained is not None]
        return sum(known) if known else None


@dataclass
class ReportData:
    workspace: Workspace
    colour: str
    language: str
    logo: bytes | None
    since: dt.date
    until: dt.date
    generated_at: dt.datetime
    comments: str
    kpis: list[kpis.Kpi] = field(default_factory=list)
    audience: Audience = field(default_factory=Audience)
    # Follower jumps of the period (presence.py), with each account's « network handle ».
    jumps: list[tuple[presence.Jump, str, str]] = field(default_factory=list)
    listening: explorer.Overview | None = None
    publications: reporting.Publications | None = None
    community: reporting.Community | None = None
    moderation: reporting.Moderation | None = None
    crises: reporting.Crises | None = None

    @property
    def mentions(self) -> int:
        return self.listening.total if self.listening else 0

    def sentiment(self) -> dict[str, int]:
        days = self.listening.days if self.listening else []
        return {
            label: sum(getattr(d, label) for d in days)
            for label in ("positive", "neutral", "negative", "unknown")
        }

    @property
    def positive_share(self) -> float | None:
        counts = self.sentiment()
        analysed = counts["positive"] + counts["neutral"] + counts["negative"]
        return 100.0 * counts["positive"] / analysed if analysed else None


def check_period(since: dt.date, until: dt.date) -> None:
    if since > until:
        raise PeriodError(_("The start of the period is after its end."))
    if since.year < 1990 or until.year > 9000:
        raise PeriodError(_("The period must lie between 1990 and 9000."))
    if (until - since).days + 1 > MAX_DAYS:
        raise PeriodError(
            _("A report covers at most %(days)s days: split the period.") % {"days": MAX_DAYS}
        )


def bounds(workspace: Workspace, since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period's whole days in the workspace's time zone: [since 00:00, until+1 00:00)."""
    zone = zone_of(workspace)
    start = dt.datetime.combine(since, dt.time(), zone)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone)
    return start, end


def settings_of(workspace: Workspace) -> ReportSettings:
    found = ReportSettings.objects.filter(workspace=workspace).first()
    return found or ReportSettings(workspace=workspace)


def gather(
    workspace: Workspace,
    since: dt.date,
    until: dt.date,
    *,
    language: str = "",
    comments: str = "",
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> ReportData:
    """Every figure of the report, in `language` (the workspace's report language when
    empty): labels the apps give (reasons, severities) are translated as they are read."""
    check_period(since, until)
    settings = settings_of(workspace)
    language = language or settings.language
    now = now or timezone.now()
    step = progress or (lambda _percent: None)
    start, end = bounds(workspace, since, until)
    data = ReportData(
        workspace=workspace,
        colour=settings.colour or DEFAULT_COLOUR,
        logo=bytes(settings.logo) if settings.logo else None,
        language=language,
        since=since,
        until=until,
        generated_at=now,
        comments=comments,
    )
    with translation.override(language), timezone.override(zone_of(workspace)):
        objectives = list(
            Objective.objects.filter(
                workspace=workspace, period_end__gte=since, period_start__lte=until
            )
        )
        # The objectives as they stood at the end of the report's period (or now, if sooner).
        data.kpis = kpis.evaluate_all(objectives, workspace, min(now, end))
        step(15)
        data.audience = audience(workspace, since, until)
        data.jumps = follower_jumps(workspace, since, until)
        step(25)
        data.listening = explorer.overview(workspace, since, until)
        step(55)
        data.publications = reporting.section(reporting.PUBLICATIONS, workspace, start, end)
        step(65)
        data.community = reporting.section(reporting.COMMUNITY, workspace, start, end)
        step(75)
        data.moderation = reporting.section(reporting.MODERATION, workspace, start, end)
        step(80)
        data.crises = reporting.section(reporting.CRISES, workspace, start, end)
        step(85)
    return data


# The report's list of follower jumps is short: the newest this many.
REPORT_JUMPS = 10


def follower_jumps(
    workspace: Workspace, since: dt.date, until: dt.date
) -> list[tuple[presence.Jump, str, str]]:
    """The period's follower jumps (presence.workspace_jumps, newest first, at most
    REPORT_JUMPS) with each account's network and handle."""
    found = presence.workspace_jumps(workspace, until, (until - since).days + 1)[:REPORT_JUMPS]
    if not found:
        return []
    names = {
        pk: (network, handle)
        for pk, network, handle in ConnectedAccount.objects.filter(workspace=workspace).values_list(
            "pk", "network", "handle"
        )
    }
    return [(j, *names.get(j.account_id, ("", "?"))) for j in found]


def jump_explanation(jump: presence.Jump) -> str:
    if jump.explained_by == "post":
        return _("a post published that day or the day before")
    if jump.explained_by == "mentions":
        return _("a spike of mentions that day")
    return _("unexplained: bought or bot followers?")


def audience(workspace: Workspace, since: dt.date, until: dt.date) -> Audience:
    """Followers of each connected account at the period's start (its last daily reading up
    to the first day, else its first reading in the period) and at its end (its last reading
    up to the last day), and their sum each day (an account counts from its first reading,
    with its last known count on days without one). Snapshots are one row per account and
    day: a period reads a few hundred rows at most."""
    accounts = list(
        ConnectedAccount.objects.filter(workspace=workspace)
        .order_by("network", "handle")
        .values_list("pk", "network", "handle")
    )
    if not accounts:
        return Audience()
    # Up to 60 days back for the count at the start: a reading older than that is not the
    # count when the period began.
    rows = (
        AccountSnapshot.objects.filter(
            workspace=workspace,
            followers__isnull=False,
            day__gte=since - dt.timedelta(days=60),
            day__lte=until,
        )
        .order_by("account_id", "day")
        .values_list("account_id", "day", "followers")
    )
    series: dict[int, list[tuple[dt.date, int]]] = {}
    for account_id, day, followers in rows:
        if followers is not None:
            series.setdefault(account_id, []).append((day, followers))
    found = []
    for pk, network, handle in accounts:
        readings = series.get(pk, [])
        before = [r for r in readings if r[0] <= since]
        inside = [r for r in readings if r[0] > since]
        begin = before[-1] if before else (inside[0] if inside else None)
        last = readings[-1] if readings else None
        found.append(
            AccountAudience(network, handle, begin[1] if begin else None, last[1] if last else None)
        )
    daily = []
    day = since
    while day <= until:
        total, known = 0, False
        for readings in series.values():
            upto = [f for d, f in readings if d <= day]
            if upto:
                total += upto[-1]
                known = True
        if known:
            daily.append((day, total))
        day += dt.timedelta(days=1)
    return Audience(tuple(found), tuple(daily))


# --- tables: what every format shows ------------------------------------------------------


@dataclass
class Table:
    key: str  # a stable name (the XLSX sheet, the CSV's section)
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    note: str = ""  # shown when there are no rows, or under them


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table]
    empty: str = ""  # why the section has nothing to show


def kpi_value(kpi: kpis.Kpi) -> float | None:
    return kpi.current.value


def sections(data: ReportData) -> list[Section]:
    """The report's sections in order, in the report's language (call it inside
    translation.override(data.language))."""
    return [
        summary_section(data),
        audience_section(data),
        publications_section(data),
        listening_section(data),
        community_section(data),
        moderation_section(data),
        crises_section(data),
    ]


def summary_section(data: ReportData) -> Section:
    rows: list[list[Cell]] = []
    for k in data.kpis:
        rows.append(
            [
                k.objective.title,
                str(k.label),
                kpi_value(k),
                float(k.target),
                str(k.unit),
                str(k.status_label),
                str(k.reason) if k.current.value is None else "",
            ]
        )
    headers = [_("Objective"), _("KPI"), _("Value"), _("Target"), _("Unit"), _("Status"), _("Why")]
    key_figures: list[list[Cell]] = [
        [_("Mentions"), data.mentions],
        [_("Share of positive mentions (%)"), data.positive_share],
        [_("Followers at the end of the period"), data.audience.end],
        [_("Followers gained"), data.audience.gained],
        [_("Posts published"), data.publications.posts if data.publications else None],
        [_("Response rate (%)"), data.community.response_rate if data.community else None],
    ]
    return Section(
        "summary",
        _("Summary"),
        [
            Table("key_figures", _("Key figures"), [_("Figure"), _("Value")], key_figures),
            Table(
                "objectives",
                _("Objectives against their targets"),
                headers,
                rows,
                note="" if rows else _("No objective of the strategy covers this period."),
            ),
        ],
    )


def audience_section(data: ReportData) -> Section:
    rows: list[list[Cell]] = [
        [network_label(a.network), a.handle, a.start, a.end, a.gained]
        for a in data.audience.accounts
    ]
    if rows:
        rows.append(
            [_("All accounts"), "", data.audience.start, data.audience.end, data.audience.gained]
        )
    return Section(
        "audience",
        _("Audience"),
        [
            Table(
                "audience",
                _("Followers of the connected accounts"),
                [_("Network"), _("Account"), _("At the start"), _("At the end"), _("Gained")],
                rows,
                note="" if data.audience.accounts else _("No account is connected."),
            ),
            Table(
                "followers_daily",
                _("Followers, day by day"),
                [_("Day"), _("Followers")],
                [[d, n] for d, n in data.audience.daily],
                note="" if data.audience.daily else _("No follower count was read in the period."),
            ),
            Table(
                "follower_jumps",
                _("Unusual follower jumps"),
                [_("Day"), _("Network"), _("Account"), _("Followers gained"), _("Explanation")],
                [
                    [j.day, network_label(network), handle, j.gain, jump_explanation(j)]
                    for j, network, handle in data.jumps
                ],
                note=""
                if data.jumps
                else _(
                    "No day when an account gained far more followers than usual (the rule: "
                    "more than 50 and 5 times its usual daily gain)."
                ),
            ),
        ],
    )


def publications_section(data: ReportData) -> Section:
    found = data.publications
    if found is None:
        return Section("publications", _("Publications"), [], _("No publishing is installed."))
    rate = 100.0 * found.interactions / found.views if found.views else None
    totals: list[list[Cell]] = [
        [_("Posts published"), found.posts],
        [_("Likes"), found.likes],
        [_("Reposts"), found.reposts],
        [_("Replies"), found.replies],
        [_("Quotes"), found.quotes],
        [_("Views"), found.views],
        [_("Engagement rate on views (%)"), rate],
    ]
    by_network: list[list[Cell]] = [
        [network_label(n.network), n.posts, n.interactions, n.views] for n in found.by_network
    ]
    zone = zone_of(data.workspace)
    top: list[list[Cell]] = [
        [
            p.published_at.astimezone(zone).date(),
            f"{network_label(p.network)} · {p.handle}",
            p.text[:280],
            p.likes,
            p.reposts,
            p.replies,
            p.views,
        ]
        for p in found.top
    ]
    empty = "" if found.posts else _("No post was published in the period.")
    return Section(
        "publications",
        _("Publications"),
        [
            Table("publications", _("Results of the posts"), [_("Figure"), _("Value")], totals),
            Table(
                "publications_by_network",
                _("By network"),
                [_("Network"), _("Posts"), _("Interactions"), _("Views")],
                by_network,
            ),
            Table(
                "top_posts",
                _("The posts with the most interactions"),
                [
                    _("Day"),
                    _("Account"),
                    _("Text"),
                    _("Likes"),
                    _("Reposts"),
                    _("Replies"),
                    _("Views"),
                ],
                top,
            ),
        ],
        empty,
    )


def listening_section(data: ReportData) -> Section:
    overview = data.listening
    counts = data.sentiment()
    totals: list[list[Cell]] = [
        [_("Mentions"), data.mentions],
        [_("Positive"), counts["positive"]],
        [_("Neutral"), counts["neutral"]],
        [_("Negative"), counts["negative"]],
        [_("Not analysed"), counts["unknown"]],
        [_("Share of positive mentions (%)"), data.positive_share],
    ]
    days: list[list[Cell]] = [
        [d.day, d.total, d.positive, d.neutral, d.negative, d.unknown]
        for d in (overview.days if overview else [])
    ]
    voice: list[list[Cell]] = [
        [s.name, _("brand") if s.kind == "brand" else _("competitor"), s.count, s.percent]
        for s in (overview.share_of_voice if overview else [])
    ]
    hashtags: list[list[Cell]] = [[t, n] for t, n in (overview.top_hashtags if overview else [])]
    terms: list[list[Cell]] = [[t, n] for t, n in (overview.top_terms if overview else [])]
    authors: list[list[Cell]] = [
        [a["handle"], a["name"], network_label(a["network"]), a["followers"], a["n"]]
        for a in (overview.top_authors if overview else [])
    ]
    empty = "" if data.mentions else _("No mention in the period.")
    return Section(
        "listening",
        _("Listening"),
        [
            Table("mentions", _("Mentions and sentiment"), [_("Figure"), _("Value")], totals),
            Table(
                "mentions_daily",
                _("Mentions, day by day"),
                [
                    _("Day"),
                    _("Mentions"),
                    _("Positive"),
                    _("Neutral"),
                    _("Negative"),
                    _("Not analysed"),
                ],
                days,
            ),
            Table(
                "share_of_voice",
                _("Share of voice"),
                [_("Query"), _("Side"), _("Mentions"), _("Share (%)")],
                voice,
                note="" if voice else _("No brand or competitor query."),
            ),
            Table("hashtags", _("Hashtags"), [_("Hashtag"), _("Mentions")], hashtags),
            Table("themes", _("Themes (frequent words)"), [_("Word"), _("Mentions")], terms),
            Table(
                "top_authors",
                _("Influential authors"),
                [_("Account"), _("Name"), _("Network"), _("Followers"), _("Mentions")],
                authors,
            ),
        ],
        empty,
    )


def community_section(data: ReportData) -> Section:
    found = data.community
    if found is None:
        return Section("community", _("Community management"), [], _("No inbox is installed."))
    rows: list[list[Cell]] = [
        [_("Conversations received"), found.received],
        [_("Answered"), found.answered],
        [_("Response rate (%)"), found.response_rate],
        [_("Median first response (minutes)"), found.median_first_response_minutes],
        [_("First answers after the SLA target"), found.breached],
        [_("Messages sent by the brand"), found.replies_sent],
    ]
    empty = "" if found.received or found.replies_sent else _("No conversation in the period.")
    return Section(
        "community",
        _("Community management"),
        [Table("community", _("Inbox"), [_("Figure"), _("Value")], rows)],
        empty,
    )


def moderation_section(data: ReportData) -> Section:
    found = data.moderation
    if found is None:
        return Section("moderation", _("Moderation"), [], _("No moderation is installed."))
    rows: list[list[Cell]] = [
        [_("Hidden"), found.hidden],
        [_("Deleted"), found.deleted],
        [_("Sent to review"), found.reviewed],
    ]
    reasons: list[list[Cell]] = [[label, n] for label, n in found.by_reason]
    return Section(
        "moderation",
        _("Moderation"),
        [
            Table("moderation", _("Actions"), [_("Action"), _("Messages")], rows),
            Table(
                "moderation_reasons",
                _("Hidden or deleted, by reason"),
                [_("Reason"), _("Messages")],
                reasons,
            ),
        ],
        ""
        if (found.hidden or found.deleted or found.reviewed)
        else _("No moderation in the period."),
    )


def crises_section(data: ReportData) -> Section:
    found = data.crises
    if found is None:
        return Section("crises", _("Crises"), [], _("No alerts are installed."))
    zone = zone_of(data.workspace)
    rows: list[list[Cell]] = [
        [
            c.title,
            c.severity,
            c.started_at.astimezone(zone),
            c.closed_at.astimezone(zone) if c.closed_at else _("open"),
            c.mentions,
            c.peak,
            c.note[:300],
        ]
        for c in found.crises
    ]
    alerts: list[list[Cell]] = [[label, n] for label, n in found.alerts_by_severity]
    return Section(
        "crises",
        _("Crises"),
        [
            Table(
                "crises",
                _("Crises of the period"),
                [
                    _("Crisis"),
                    _("Severity"),
                    _("Started"),
                    _("Closed"),
                    _("Mentions"),
                    _("Peak"),
                    _("Closing note"),
                ],
                rows,
                note="" if rows else _("No crisis in the period."),
            ),
            Table("alerts", _("Alerts raised, by severity"), [_("Severity"), _("Alerts")], alerts),
        ],
    )


def comments_table(data: ReportData) -> Table:
    return Table(
        "comments",
        _("Comments and recommendations"),
        [_("Comments")],
        [[data.comments]] if data.comments.strip() else [],
    )


def generate(
    workspace: Workspace,
    since: dt.date,
    until: dt.date,
    fmt: str,
    *,
    comments: str = "",
    language: str = "",
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The report as a file's bytes (pdf, csv or xlsx): the one function behind the CLI, the
    API, the archive page and the schedule."""
    from parvis.analytics import render, tables_out

    data = gather(
        workspace, since, until, language=language, comments=comments, now=now, progress=progress
    )
    with translation.override(data.language), timezone.override(zone_of(workspace)):
        if fmt == "pdf":
            out = render.pdf(data)
        elif fmt == "csv":
            out = tables_out.csv_bytes(data)
        elif fmt == "xlsx":
            out = tables_out.xlsx_bytes(data)
        else:
            raise ValueError(f"unknown report format {fmt!r}")
    if progress:
        progress(100)
    return out


def content_type(fmt: str) -> str:
    return {
        "pdf": "application/pdf",
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[fmt]


def file_name(workspace: Workspace, since: dt.date, until: dt.date, fmt: str) -> str:
    return f"{workspace.slug}-{since.isoformat()}-{until.isoformat()}.{fmt}"
