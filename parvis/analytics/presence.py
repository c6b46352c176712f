"""The health of the presence (issue #14): the workspace's own accounts' profiles side by
side, what differs between them or looks stale, and the follower-count jumps that the
accounts' activity does not explain. Rules in docs/analytics.md (« The presence »).

- `read_profiles` asks each account's connector (`Connector.profile`) and keeps the last
  reading per account (`ProfileReading`); one account failing is noted on its row and the
  others go on. The Huey task runs it once a day.
- `audit` and `follower_jumps` are pure functions of what was read: tested on hand-made data.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import httpx
from django.utils.translation import gettext as _

from parvis.analytics.models import AccountSnapshot, ProfileReading
from parvis.connectors import base
from parvis.connectors.models import ConnectedAccount
from parvis.listening import activity, stats
from parvis.listening.extensions import post_totals
from parvis.workspaces.models import Workspace

logger = logging.getLogger(__name__)

# A reading older than this is itself stale information (the daily task failed for days).
READING_MAX_AGE = dt.timedelta(days=3)
ERROR_MAX = 500


# --- reading the profiles -------------------------------------------------------------------


def can_read(cls: type[base.Connector]) -> bool:
    return cls.profile is not base.Connector.profile


def profile_class(account: ConnectedAccount) -> type[base.Connector] | None:
    """The connector that reads the account's profile: a source's kind reading through the
    account first, else the network's signing-in connector (as collect.metrics_class)."""
    for kind in stats.account_source_kinds(account.pk):
        try:
            cls = base.get(kind)
        except base.PermanentError:
            continue
        if can_read(cls):
            return cls
    candidates = [
        cls for cls in base.load_all().values() if cls.network == account.network and can_read(cls)
    ]
    candidates.sort(key=lambda cls: (cls.auth == base.Auth.API_KEY, cls.kind))
    return candidates[0] if candidates else None


def store(account: ConnectedAccount, found: base.ProfileInfo, now: dt.datetime) -> None:
    """Keep the account's reading (one row per account; the database settles two workers
    storing at once: an upsert on the unique account)."""
    row = ProfileReading(
        workspace_id=account.workspace_id,
        account=account,
        read_at=now,
        tried_at=now,
        error="",
        name=found.name,
        bio=found.bio,
        avatar=found.avatar,
        banner=found.banner,
        links=list(found.links) if found.links is not None else None,
        pinned=found.pinned,
    )
    ProfileReading.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["account"],
        update_fields=[
            "read_at",
            "tried_at",
            "error",
            "name",
            "bio",
            "avatar",
            "banner",
            "links",
            "pinned",
        ],
    )


def note_failure(account: ConnectedAccount, reason: str, now: dt.datetime) -> None:
    """Record why the reading failed; the last good reading stays."""
    row = ProfileReading(
        workspace_id=account.workspace_id,
        account=account,
        tried_at=now,
        error=reason[:ERROR_MAX],
    )
    ProfileReading.objects.bulk_create(
        [row], update_conflicts=True, unique_fields=["account"], update_fields=["tried_at", "error"]
    )


def read_account(
    account: ConnectedAccount, now: dt.datetime, connector: base.Connector | None = None
) -> bool:
    """Read and keep the account's profile; False when its network cannot give it. Raises
    the connector's errors."""
    context = base.MetricsContext(workspace_id=account.workspace_id)
    if connector is None:
        cls = profile_class(account)
        if cls is None:
            return False
        client = cls.http_client()
        try:
            found = cls.for_account(account, http=client).profile(context)
        finally:
            client.close()
    else:
        found = connector.profile(context)
    store(account, found, now)
    return True


@dataclass
class Outcome:
    read: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    unsupported: list[int] = field(default_factory=list)


def read_profiles(now: dt.datetime, workspace: Workspace | None = None) -> Outcome:
    """Read every account's profile (of a workspace); one account's failure is noted on its
    row and the others go on."""
    outcome = Outcome()
    accounts = ConnectedAccount.objects.order_by("pk")
    if workspace is not None:
        accounts = accounts.filter(workspace=workspace)
    for account in accounts:
        try:
            if read_account(account, now):
                outcome.read += 1
            else:
                outcome.unsupported.append(account.pk)
            continue
        except (base.RetryLater, base.PermanentError) as exc:
            logger.info("profile of %s: %s", account, exc)
            reason = str(exc)
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("profile of %s failed: %s", account, exc)
            reason = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # one broken connector must not stop the other accounts
            logger.exception("profile of %s failed", account)
            reason = f"{type(exc).__name__}: {exc}"
        outcome.failed[account.pk] = reason
        note_failure(account, reason, now)
    return outcome


# --- the audit --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """One account's reading as the audit sees it (plain values: tests build them by hand)."""

    account_id: int
    network: str
    handle: str
    name: str | None
    bio: str | None
    avatar: str | None
    banner: str | None
    links: tuple[str, ...] | None
    pinned: str | None
    read_at: dt.datetime | None = None
    error: str = ""
    supported: bool = True  # some connector of its network reads profiles


@dataclass(frozen=True)
class Flag:
    """Something to fix: `code` (stable, for tests), the account it concerns (None: several),
    what is wrong and what to do, in the reader's language."""

    code: str
    account_id: int | None
    problem: str
    advice: str


def fold(text: str) -> str:
    """Lower case, no accents, letters and digits only: « Maison Lumière ✨ » → maisonlumiere."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def link_key(link: str) -> str:
    """A link as people read it: no scheme, no « www. », no trailing slash, host in lower
    case — https://www.Lumiere.fr/ and http://lumiere.fr are the same link."""
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return link.strip()
    host = (parts.hostname or "").removeprefix("www.")
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


# A year this close before the current one in a bio is probably stale news (« Soldes 2025 »,
# « new collection 2024 »); after these words it is history (« depuis 2024 »).
STALE_YEARS = 2
HISTORY_WORDS = re.compile(
    r"(since|depuis|founded|fond[ée]e?s?|est\.?|established|cr[ée]{2}e?s?|created|n[ée]e?s?|born"
    r"|in business since|en)\s*(in|en|le|la)?\s*$",
    re.IGNORECASE,
)
YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")


def stale_years(bio: str, today: dt.date) -> list[int]:
    """The years of the last STALE_YEARS before `today`'s that the bio mentions other than
    as history (« depuis 2024 », « founded in 2025 »)."""
    found = []
    for match in YEAR.finditer(bio):
        year = int(match.group(1))
        if not today.year - STALE_YEARS <= year < today.year:
            continue
        before = bio[max(0, match.start() - 25) : match.start()]
        if HISTORY_WORDS.search(before):
            continue
        if year not in found:
            found.append(year)
    return found


def label(profile: Profile) -> str:
    return f"{profile.handle} ({profile.network})"


def audit(profiles: Sequence[Profile], brand: str, now: dt.datetime) -> list[Flag]:
    """The flags of the workspace's profiles: each account's missing pieces and stale bio,
    then what differs between the accounts (the link, the name against the brand's)."""
    flags: list[Flag] = []
    read = [p for p in profiles if p.read_at is not None]
    for p in profiles:
        who = label(p)
        if not p.supported and p.read_at is None:
            continue  # nothing to fix: Parvis cannot read this network's profiles yet
        if p.read_at is None:
            flags.append(
                Flag(
                    "not_read",
                    p.account_id,
                    (
                        _("The profile of %(who)s could not be read: %(error)s")
                        % {"who": who, "error": p.error}
                    )
                    if p.error
                    else _("The profile of %(who)s has not been read yet.") % {"who": who},
                    _("Check the account's connection on the accounts page; it is read daily."),
                )
            )
            continue
        if p.error or now - p.read_at > READING_MAX_AGE:
            flags.append(
                Flag(
                    "old_reading",
                    p.account_id,
                    _("The profile of %(who)s was last read on %(date)s.")
                    % {"who": who, "date": p.read_at.date().isoformat()}
                    + (" " + p.error if p.error else ""),
                    _("Check the account's connection: the figures below may be out of date."),
                )
            )
        if p.avatar == "":
            flags.append(
                Flag(
                    "no_avatar",
                    p.account_id,
                    _("%(who)s has no profile picture.") % {"who": who},
                    _("Add the brand's logo as the profile picture."),
                )
            )
        if p.banner == "":
            flags.append(
                Flag(
                    "no_banner",
                    p.account_id,
                    _("%(who)s has no banner.") % {"who": who},
                    _("Add a banner: the same visual on every network."),
                )
            )
        if p.bio == "":
            flags.append(
                Flag(
                    "no_bio",
                    p.account_id,
                    _("%(who)s has no bio.") % {"who": who},
                    _("Write a short bio: who the brand is, what it offers, a link."),
                )
            )
        elif p.bio:
            years = stale_years(p.bio, now.date())
            if years:
                flags.append(
                    Flag(
                        "stale_bio",
                        p.account_id,
                        _("The bio of %(who)s mentions %(years)s.")
                        % {"who": who, "years": ", ".join(str(y) for y in years)},
                        _("Update the bio: it speaks of a past year."),
                    )
                )
        if p.links == ():
            flags.append(
                Flag(
                    "no_link",
                    p.account_id,
                    _("%(who)s has no link.") % {"who": who},
                    _("Add the website's address to the profile."),
                )
            )
        if p.pinned == "":
            flags.append(
                Flag(
                    "no_pinned",
                    p.account_id,
                    _("%(who)s has no pinned post.") % {"who": who},
                    _("Pin a post that presents the brand or its current offer."),
                )
            )
    flags += link_flags(read)
    flags += name_flags(read, brand)
    return flags


def link_flags(profiles: Iterable[Profile]) -> list[Flag]:
    """The main link (each profile's first) should be the same everywhere: the accounts
    whose main link is not the most common one are flagged (a tie: every account)."""
    main = {p.account_id: (p, p.links[0]) for p in profiles if p.links}
    counts = Counter(link_key(link) for _p, link in main.values())
    if len(counts) < 2:
        return []
    top = counts.most_common()
    usual = top[0][0] if top[0][1] > top[1][1] else None
    usual_link = next((link for _p, link in main.values() if link_key(link) == usual), "")
    flags = []
    for p, link in main.values():
        if usual is not None and link_key(link) == usual:
            continue
        flags.append(
            Flag(
                "link_differs",
                p.account_id,
                _("The link of %(who)s (%(link)s) differs from the other networks'.")
                % {"who": label(p), "link": link},
                (_("Use the same link everywhere: %(usual)s.") % {"usual": usual_link})
                if usual is not None
                else _("Choose one link and use it on every network."),
            )
        )
    return flags


def name_flags(profiles: Iterable[Profile], brand: str) -> list[Flag]:
    """A display name that neither contains the brand's name nor makes two thirds of it
    (accents, case, spaces and emoji aside) is flagged."""
    brand_key = fold(brand)
    if not brand_key:
        return []
    flags = []
    for p in profiles:
        if p.name is None:
            continue
        name_key = fold(p.name)
        # « Maison Lumière » for a workspace named « Maison Lumière Lyon » is the brand; « Lumi »
        # is not: a name inside the brand's must be at least two thirds of it.
        inside = name_key in brand_key and 3 * len(name_key) >= 2 * len(brand_key)
        if not name_key or (brand_key not in name_key and not inside):
            flags.append(
                Flag(
                    "name_differs",
                    p.account_id,
                    _("The name of %(who)s, « %(name)s », differs from the brand's, « %(brand)s ».")
                    % {"who": label(p), "name": p.name or _("(none)"), "brand": brand},
                    _("Use the brand's name as the display name on every network."),
                )
            )
    return flags


def profiles_of(workspace: Workspace) -> list[Profile]:
    """Every connected account of the workspace with its last reading (none yet: all None)."""
    readings = {r.account_id: r for r in ProfileReading.objects.filter(workspace=workspace)}
    readable = {cls.network for cls in base.load_all().values() if can_read(cls)}
    found = []
    for account in ConnectedAccount.objects.filter(workspace=workspace).order_by(
        "network", "handle", "pk"
    ):
        r = readings.get(account.pk)
        links = (
            tuple(str(x) for x in r.links if isinstance(x, str))
            if r and r.links is not None
            else None
        )
        found.append(
            Profile(
                account_id=account.pk,
                network=account.network,
                handle=account.handle,
                name=r.name if r else None,
                bio=r.bio if r else None,
                avatar=r.avatar if r else None,
                banner=r.banner if r else None,
                links=links,
                pinned=r.pinned if r else None,
                read_at=r.read_at if r else None,
                error=r.error if r else "",
                supported=account.network in readable,
            )
        )
    return found


# --- audience authenticity --------------------------------------------------------------------

# The rule (docs/analytics.md, « Audience authenticity »).
BASELINE_DAYS = 28
MIN_HISTORY = 7  # daily gains needed before a day can be judged
FLOOR = 50
FACTOR = 5
MENTION_FACTOR = 3
MENTION_FLOOR = 10


@dataclass(frozen=True)
class Jump:
    """A day whose follower gain is far above the account's usual daily gain: `usual` is the
    median absolute daily gain of the previous BASELINE_DAYS, `threshold` what the gain had
    to pass; `explained_by`: "" (unexplained: flagged), "post" or "mentions"."""

    account_id: int
    day: dt.date
    gain: int
    usual: float
    threshold: float
    explained_by: str = ""


def daily_gains(series: Sequence[tuple[dt.date, int]]) -> list[tuple[dt.date, int, int]]:
    """(day, gain since the previous reading, days since it) for each reading after the
    first; days without a reading are skipped, their gain falls on the next reading."""
    ordered = sorted(series)
    return [
        (day, followers - prev, (day - prev_day).days)
        for (prev_day, prev), (day, followers) in itertools.pairwise(ordered)
        if day > prev_day
    ]


def jumps(account_id: int, series: Sequence[tuple[dt.date, int]]) -> list[Jump]:
    """The days whose gain passes max(FLOOR, FACTOR times the median absolute daily gain of the
    previous BASELINE_DAYS) (times the days since the previous reading, after a gap); a day
    needs MIN_HISTORY daily gains before it to be judged. A count coming back to where it
    was (a network that answered 0 one day, an unfollow wave undone) is no jump: the gain
    must also pass the threshold above the highest count of the window."""
    ordered = sorted(dict(series).items())
    gains = daily_gains(ordered)
    found = []
    for i, (day, gain, days) in enumerate(gains):
        window_start = day - dt.timedelta(days=BASELINE_DAYS)
        history = [
            abs(g) / d for d_, g, d in gains[:i] if d_ - dt.timedelta(days=d) >= window_start
        ]
        if len(history) < MIN_HISTORY:
            continue
        usual = statistics.median(history)
        threshold = max(FLOOR, FACTOR * usual) * days
        if gain <= threshold:
            continue
        # ordered[i + 1] is this day's reading, ordered[i] the previous one.
        peak = max(n for d_, n in ordered[: i + 1] if d_ >= window_start)
        if ordered[i + 1][1] - peak > threshold:
            found.append(Jump(account_id, day, gain, usual, threshold))
    return found


def explain(jump: Jump, posted_days: set[dt.date], mentions_by_day: dict[dt.date, int]) -> Jump:
    """A jump is explained by a post published that day or the day before (a post's reach
    crosses midnight), or by a mention spike that day: at least MENTION_FLOOR mentions and
    MENTION_FACTOR times the median of the previous BASELINE_DAYS days."""
    day = jump.day
    if day in posted_days or day - dt.timedelta(days=1) in posted_days:
        return replace(jump, explained_by="post")
    before = [
        mentions_by_day.get(day - dt.timedelta(days=k), 0) for k in range(1, BASELINE_DAYS + 1)
    ]
    today = mentions_by_day.get(day, 0)
    if today >= MENTION_FLOOR and today > MENTION_FACTOR * statistics.median(before):
        return replace(jump, explained_by="mentions")
    return jump


def follower_jumps(
    series: dict[int, Sequence[tuple[dt.date, int]]],
    posted: dict[int, set[dt.date]],
    mentions_by_day: dict[dt.date, int],
) -> list[Jump]:
    """Every account's jumps, each explained or not, newest first."""
    found = [
        explain(j, posted.get(account_id, set()), mentions_by_day)
        for account_id, points in series.items()
        for j in jumps(account_id, points)
    ]
    return sorted(found, key=lambda j: (j.day, j.account_id), reverse=True)


def workspace_jumps(workspace: Workspace, until: dt.date, days: int = 90) -> list[Jump]:
    """The jumps of the workspace's accounts over the `days` before `until` (UTC days), from
    their daily snapshots. An account published on a day when its post count rose since the
    previous reading, or when publishing recorded a post of its network that day."""
    since = until - dt.timedelta(days=days + BASELINE_DAYS)
    rows = AccountSnapshot.objects.filter(
        workspace=workspace, day__gte=since, day__lte=until
    ).values_list("account_id", "day", "followers", "posts")
    series: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    post_counts: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for account_id, day, followers, posts in rows:
        if followers is not None:
            series[account_id].append((day, followers))
        if posts is not None:
            post_counts[account_id].append((day, posts))
    posted: dict[int, set[dt.date]] = defaultdict(set)
    for account_id, points in post_counts.items():
        for day, gain, _days in daily_gains(points):
            if gain > 0:
                posted[account_id].add(day)
    candidates = [j for a, points in series.items() for j in jumps(a, points)]
    candidates = [j for j in candidates if j.day > until - dt.timedelta(days=days)]
    if not candidates:
        return []
    networks = dict(
        ConnectedAccount.objects.filter(workspace=workspace).values_list("pk", "network")
    )
    # Only the few candidate days are asked of publishing and listening.
    for j in candidates:
        start = dt.datetime.combine(j.day - dt.timedelta(days=1), dt.time(), dt.UTC)
        totals = post_totals(
            workspace, start, start + dt.timedelta(days=2), networks.get(j.account_id, "")
        )
        if totals is not None and totals.posts:
            posted[j.account_id].add(j.day)
    first = min(j.day for j in candidates) - dt.timedelta(days=BASELINE_DAYS)
    last = max(j.day for j in candidates) + dt.timedelta(days=1)
    mentions_by_day: dict[dt.date, int] = defaultdict(int)
    for hour, count in activity.mention_times(
        workspace,
        dt.datetime.combine(first, dt.time(), dt.UTC),
        dt.datetime.combine(last, dt.time(), dt.UTC),
    ):
        mentions_by_day[hour.astimezone(dt.UTC).date()] += count
    kept = {(j.account_id, j.day) for j in candidates}
    return [
        j for j in follower_jumps(series, posted, mentions_by_day) if (j.account_id, j.day) in kept
    ]


# --- the page ---------------------------------------------------------------------------------

JUMP_DAYS = 90


@dataclass(frozen=True)
class Cell:
    """One field of one profile on the page: `state` is "set", "none" (none set), "unknown"
    (the network does not give it), "unread" or "unsupported" (Parvis cannot read this
    network's profiles yet); `flagged`: a flag concerns it."""

    state: str
    text: str = ""
    links: tuple[str, ...] = ()
    flagged: bool = False


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[Cell]


@dataclass(frozen=True)
class LabelledJump:
    jump: Jump
    account: str


@dataclass(frozen=True)
class Page:
    profiles: list[Profile]
    rows: list[Row]
    flags: list[Flag]
    jumps: list[LabelledJump]
    unexplained: int


WEB = re.compile(r"https?://", re.IGNORECASE)

# Which flags mark which field of the table.
FLAG_FIELDS = {
    "name_differs": "name",
    "no_bio": "bio",
    "stale_bio": "bio",
    "no_avatar": "avatar",
    "no_banner": "banner",
    "no_link": "links",
    "link_differs": "links",
    "no_pinned": "pinned",
}


def cell(profile: Profile, name: str, flagged: set[tuple[int, str]]) -> Cell:
    mark = (profile.account_id, name) in flagged
    if profile.read_at is None:
        return Cell("unread" if profile.supported else "unsupported")
    value = getattr(profile, name)
    if value is None:
        return Cell("unknown")
    if name == "links":
        return Cell(
            "set" if value else "none",
            links=tuple(link for link in value if WEB.match(link)),
            text=" ".join(link for link in value if not WEB.match(link)),
            flagged=mark,
        )
    if value == "":
        return Cell("none", flagged=mark)
    if name in ("avatar", "banner", "pinned"):
        # Only web addresses become links: a network's « javascript: » stays text.
        if WEB.match(value):
            return Cell("set", links=(value,), flagged=mark)
        return Cell("set", text=value, flagged=mark)
    return Cell("set", text=value, flagged=mark)


def page(workspace: Workspace, now: dt.datetime) -> Page:
    """Everything the presence page shows: the profiles side by side, the flags, the
    follower jumps of the last JUMP_DAYS days (newest first)."""
    profiles = profiles_of(workspace)
    flags = audit(profiles, workspace.name, now)
    flagged = {
        (f.account_id, FLAG_FIELDS[f.code])
        for f in flags
        if f.code in FLAG_FIELDS and f.account_id is not None
    }
    fields = [
        ("name", _("Name")),
        ("bio", _("Bio")),
        ("avatar", _("Profile picture")),
        ("banner", _("Banner")),
        ("links", _("Links")),
        ("pinned", _("Pinned post")),
    ]
    rows = [Row(title, [cell(p, name, flagged) for p in profiles]) for name, title in fields]
    labels = {p.account_id: label(p) for p in profiles}
    found = workspace_jumps(workspace, now.astimezone(dt.UTC).date(), JUMP_DAYS)
    return Page(
        profiles=profiles,
        rows=rows,
        flags=flags,
        jumps=[LabelledJump(j, labels.get(j.account_id, "?")) for j in found],
        unexplained=sum(1 for j in found if not j.explained_by),
    )


def do_read_now(workspace: Workspace) -> None:
    """Queue a reading of the workspace's profiles (the page's « read now »)."""
    from parvis.analytics.tasks import read_workspace_profiles_task

    read_workspace_profiles_task(workspace.pk)
