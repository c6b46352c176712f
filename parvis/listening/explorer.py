"""The listening explorer: filters to a queryset, keyset pages, the overview's figures, the CSV
export and the preview of a draft query. Plain functions; views and the API call them.

Speed at a million mentions comes from the indexes of models.Mention:
- the list shows group heads only (one line per copy-paste group) and is ordered by
  (published_at, id), (reach, id) or (engagement, id), each served by an index;
- pages are keyset pages ("after this (value, id)"), never OFFSET, so page 500 costs what
  page 1 costs;
- the number of results is counted up to a cap (`count_capped`), shown as "1,000+" beyond:
  a COUNT(*) over a million rows on every page view would cost more than the page itself;
- selective filters fetch their few mentions first (see `filtered_mentions`).

Measured at 1M mentions through the whole view (benchmarks/explorer.py): list p95 40 ms
(SQLite, with or without ANALYZE) and 72 ms (PostgreSQL 15); full text p95 57 to 62 ms
(SQLite) and 159 ms (PostgreSQL). A rare language is the exception: `lang` has no index.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr, TruncDate
from django.http import QueryDict, StreamingHttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy

from parvis.core.networks import network_label
from parvis.intelligence.lexicon import stopwords
from parvis.listening import search
from parvis.listening.forms import FILTER_KEYS, FilterForm, encode_cursor
from parvis.listening.models import (
    SPAM,
    TOXIC,
    Author,
    Mention,
    MentionMatch,
    MonitoredQuery,
    QueryKind,
    Sentiment,
)
from parvis.listening.own import own_author_ids
from parvis.listening.query import (
    QuerySyntaxError,
    fold,
    highlight_spans,
    make_document,
    parse,
)
from parvis.listening.services import syntax_message
from parvis.workspaces.access import scoped
from parvis.workspaces.models import Workspace

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Counted exactly up to this many, "more than" beyond (one index walk of at most this many).
COUNT_CAP = 10_000
# Columns a list never shows: the network's payload can be large.
LIST_DEFER = ("raw", "analysis_why", "toxicity_categories")
SORT_FIELDS = {
    "date": "published_at",
    "reach": "reach",
    "engagement": "engagement",
    "negative": "sentiment_score",
    "toxicity": "toxicity",
    "spam": "spam",
}
# Sorts read from the smallest value up ("most negative": the lowest sentiment score).
ASCENDING = {"negative"}
# The sorts by a score list the mentions that score marks (negative, toxic, spam), as their
# partial indexes hold exactly those: ranking harmless mentions by a toxicity of 0.02 or
# 0.03 tells a community manager nothing.
SCORE_SORTS: dict[str, Q] = {
    "negative": Q(sentiment="negative"),
    "toxicity": Q(toxicity__gte=TOXIC),
    "spam": Q(spam__gte=SPAM),
}


# --- filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Validated explorer filters. `params` is the cleaned query string, for links."""

    q: str = ""
    query_id: int | None = None
    network: str = ""
    sentiment: str = ""
    lang: str = ""
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive
    author: str = ""
    own: str = ""  # "": others only (the default), "only": the brand's accounts, "all"
    own_ids: tuple[int, ...] = ()  # the brand's own authors, read once per request
    toxic: bool = False
    spam: str = ""  # "", "hide" or "only"
    min_reach: int | None = None
    sort: str = "date"
    after: tuple[Any, int] | None = None  # keyset cursor: (sort value, id)
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """Whether anything narrows the list (the sort order does not)."""
        return any(key != "sort" for key in self.params)

    def query_string(self, **extra: str) -> str:
        query = QueryDict(mutable=True)
        query.update({**self.params, **extra})
        return query.urlencode()


def parse_filters(workspace: Workspace, params: Mapping[str, Any]) -> tuple[Filters, FilterForm]:
    """Filters from a query string, and the bound form (for its errors and for rendering).

    Invalid fields are dropped from the filters (the list stays usable) and reported by the
    form; callers decide whether that is a 422 (API) or a message next to the field (page).
    """
    form = FilterForm(_plain(params), workspace=workspace)
    form.is_valid()
    check_search(form)
    data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    raw = {k: str(form.data.get(k, "")).strip() for k in FILTER_KEYS if k not in form.errors}
    params_out = {k: v for k, v in raw.items() if v and not (k == "sort" and v == "date")}
    since, until = data.get("since"), data.get("until")
    if data.get("period"):
        since, until = period_range(data["period"])
    filters = Filters(
        q=data.get("q", ""),
        query_id=data.get("query") or None,
        network=data.get("network", ""),
        sentiment=data.get("sentiment", ""),
        lang=data.get("lang", ""),
        since=since,
        until=until,
        author=data.get("author", ""),
        own=data.get("own", ""),
        own_ids=tuple(own_author_ids(workspace)),
        toxic=data.get("toxic") == "toxic",
        spam=data.get("spam", ""),
        min_reach=data.get("min_reach"),
        sort=data.get("sort") or "date",
        after=data.get("after"),
        params=params_out,
    )
    return filters, form


def period_range(period: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a rolling period, in whole local days up to the end of today."""
    today = timezone.localdate()
    first = {
        "today": today,
        "7d": today - dt.timedelta(days=6),
        "30d": today - dt.timedelta(days=29),
        "month": today.replace(day=1),
    }[period]
    return period_bounds(first, today)


def check_search(form: FilterForm) -> None:
    """A search that does not parse, or that the index cannot answer, is the field's error
    (the rest of the filters still apply)."""
    terms = form.cleaned_data.get("q", "")
    if not terms or "q" in form.errors:
        return
    try:
        search.text_search(terms)
    except QuerySyntaxError as exc:
        form.add_error("q", syntax_message(exc))
    except search.SearchError as exc:
        form.add_error("q", str(exc))


def _plain(params: Mapping[str, Any]) -> dict[str, str]:
    """One value per key (the last one, as Django's QueryDict does)."""
    if isinstance(params, QueryDict):
        return {k: params.get(k, "") for k in params}
    return {k: "" if v is None else str(v) for k, v in params.items()}


def filtered_mentions(
    workspace: Workspace, filters: Filters, *, heads: bool = True
) -> QuerySet[Mention]:
    """Group heads of `workspace` matching `filters`, in the chosen order, with their author;
    every mention, copies included, with `heads=False` (counts and the CSV export).

    Two plans:
    - broad filters walk an index kept in the list's order (head_recent, head_sentiment or
      head_network for dates, head_reach, head_engagement) and stop after one page;
    - a selective filter (a rare word, a rare monitored query, an author, a high minimum
      reach) first lists its few mentions (`few_candidates`), then fetched by id and sorted.
    Left to themselves, SQLite (without ANALYZE statistics) and PostgreSQL (misjudging how
    rare a word is) walked a million index entries looking for fifty rare ones (1 to 5 s
    at 1M mentions).
    """
    candidates, used = few_candidates(workspace, filters, heads=heads)
    head = {"group_head": True} if heads else {}
    if candidates is None:
        # group_head=True is the condition of the partial head_* indexes.
        qs = scoped(Mention, workspace).filter(**head)
    else:
        # "workspace_id + 0": the same scoping, hidden from the planner, which would
        # otherwise prefer a workspace index to the few ids.
        in_workspace = ExpressionWrapper(F("workspace_id") + 0, output_field=IntegerField())
        qs = Mention.objects.alias(in_workspace=in_workspace).filter(
            in_workspace=workspace.pk, id__in=candidates, **head
        )
    if filters.query_id and "query" not in used:
        # EXISTS lets the database walk the date index and stop at one page; a join made
        # it sort every match of a broad query first (100 ms at 100k mentions, SQLite).
        matched = MentionMatch.objects.filter(mention_id=OuterRef("pk"), query_id=filters.query_id)
        qs = qs.filter(Exists(matched))
    if filters.network:
        qs = qs.filter(network=filters.network)
    if filters.sentiment:
        qs = qs.filter(sentiment=filters.sentiment)
    if filters.lang:
        qs = qs.filter(Q(lang=filters.lang) | Q(lang__startswith=filters.lang + "-"))
    if filters.since:
        qs = qs.filter(published_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(published_at__lt=filters.until)
    if filters.author and "author" not in used:
        qs = qs.filter(author__in=matching_authors(workspace, filters.author).values("id"))
    if filters.min_reach and "min_reach" not in used:
        qs = qs.filter(reach__gte=filters.min_reach)
    if filters.toxic and "toxic" not in used:
        qs = qs.filter(toxicity__gte=TOXIC)
    if filters.spam == "only" and "spam" not in used:
        qs = qs.filter(spam__gte=SPAM)
    elif filters.spam == "hide":
        qs = qs.filter(spam__lt=SPAM)
    if filters.sort in SCORE_SORTS:
        qs = qs.filter(SCORE_SORTS[filters.sort])
    qs = filter_own(qs, filters)
    if filters.q and "q" not in used:
        qs = filter_common_words(qs, filters.q)
    key = SORT_FIELDS[filters.sort]
    # Indexes end with the row id: scanned in their direction they give exactly this order.
    if filters.sort in ASCENDING:
        return qs.select_related("author").order_by(key, "id")
    return qs.select_related("author").order_by(f"-{key}", "-id")


def filter_own(queryset: QuerySet[Mention], filters: Filters) -> QuerySet[Mention]:
    """Without the brand's own accounts (the default), only them ("only"), or all ("all")."""
    if filters.own == "all":
        return queryset
    if filters.own == "only":
        return queryset.filter(author_id__in=filters.own_ids)
    return queryset.exclude(author_id__in=filters.own_ids) if filters.own_ids else queryset


def matching_authors(workspace: Workspace, handle: str) -> QuerySet[Author]:
    return scoped(Author, workspace).filter(handle__iexact=handle)


# A filter that selects at most this many mentions is selective (see filtered_mentions).
FEW = 2000


def text_ids(terms: str, limit: int) -> set[int]:
    """Ids of up to `limit` mentions, of any workspace, matching the search `terms`."""
    found = search.text_search(terms)
    if found is None:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(found.sql + " LIMIT %s", [*found.params, limit])
        return {row[0] for row in cursor.fetchall()}


def few_candidates(
    workspace: Workspace, filters: Filters, *, heads: bool = True
) -> tuple[list[int] | None, set[str]]:
    """The ids allowed by the selective filters (intersected), and which filters they are;
    (None, set()) when no filter is selective. Each probe reads at most FEW + 1 entries of
    an index."""
    found: dict[str, set[int]] = {}
    scores = {"min_reach": ("reach__gte", filters.min_reach)}
    if filters.toxic:
        scores["toxic"] = ("toxicity__gte", TOXIC)
    if filters.spam == "only":
        scores["spam"] = ("spam__gte", SPAM)
    if filters.q and search.WORD.search(filters.q):
        ids = text_ids(filters.q, FEW + 1)  # every workspace: narrowed by the caller
        if len(ids) <= FEW:
            found["q"] = ids
    if filters.query_id:
        matches = MentionMatch.objects.filter(query_id=filters.query_id)
        ids = set(matches.values_list("mention_id", flat=True)[: FEW + 1])
        if len(ids) <= FEW:
            found["query"] = ids
    if filters.author:
        authors = dict(
            matching_authors(workspace, filters.author).values_list("id", "mention_count")
        )
        if sum(authors.values()) <= FEW:
            by_author = Mention.objects.filter(author_id__in=list(authors))
            found["author"] = set(by_author.values_list("id", flat=True)[: FEW + 1])
    for name, (lookup, value) in scores.items():
        if not value or not heads:
            continue
        # head_reach (head_toxic, head_spammy) holds (workspace, value) for group heads: a
        # high threshold is a short range of it, where walking the date index would look
        # at every mention.
        rows = scoped(Mention, workspace).filter(group_head=True, **{lookup: value})
        ids = set(rows.values_list("id", flat=True)[: FEW + 1])
        if len(ids) <= FEW:
            found[name] = ids
    if not found:
        return None, set()
    return sorted(set.intersection(*found.values())), set(found)


def filter_common_words(queryset: QuerySet[Mention], terms: str) -> QuerySet[Mention]:
    """Full-text filter for words in many mentions.

    On SQLite, "id + 0" hides the id from the planner, which then keeps walking the list's
    index and tests each mention against the word's matches (12 ms at 1M mentions for a
    word in 118,000 of them, instead of 92 ms fetching and sorting all 118,000).
    """
    found = search.text_search(terms)
    if found is None:
        return queryset
    matched = RawSQL(found.sql, found.params)  # noqa: S611 (parameters only)
    if search.is_postgres():
        return queryset.filter(id__in=matched)
    plain_id = ExpressionWrapper(F("id") + 0, output_field=IntegerField())
    return queryset.alias(plain_id=plain_id).filter(plain_id__in=matched)


def with_query_names(queryset: QuerySet[Mention]) -> QuerySet[Mention]:
    """Prefetch the monitored queries each mention matched (one query for the page)."""
    matches = MentionMatch.objects.select_related("query").only(
        "mention_id", "query__name", "query__kind"
    )
    return queryset.prefetch_related(Prefetch("matches", queryset=matches))


@dataclass
class Page:
    items: list[Mention]
    next_cursor: str | None


def keyset_page(queryset: QuerySet[Mention], filters: Filters, size: int | None = None) -> Page:
    """One page of `queryset` (ordered by filtered_mentions) after `filters.after`."""
    size = max(1, min(size or PAGE_SIZE, MAX_PAGE_SIZE))
    key = SORT_FIELDS[filters.sort]
    if filters.after is not None:
        value, pk = filters.after
        # The first condition bounds the index range; the second breaks ties on the id.
        if filters.sort in ASCENDING:
            queryset = queryset.filter(**{f"{key}__gte": value}).filter(
                Q(**{f"{key}__gt": value}) | Q(id__gt=pk)
            )
        else:
            queryset = queryset.filter(**{f"{key}__lte": value}).filter(
                Q(**{f"{key}__lt": value}) | Q(id__lt=pk)
            )
    rows = list(queryset.defer(*LIST_DEFER)[: size + 1])
    items = rows[:size]
    next_cursor = None
    if len(rows) > size:
        last = items[-1]
        value = getattr(last, key)
        next_cursor = encode_cursor(
            filters.sort, value.isoformat() if key == "published_at" else value, last.pk
        )
    return Page(items, next_cursor)


def count_capped(queryset: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows, counting at most `cap` + 1: (count, True) means "more than cap".
    The queryset's ordering is kept (callers clear it when no index serves it)."""
    n = queryset.values("id")[: cap + 1].count()
    return min(n, cap), n > cap


def count_results(
    queryset: QuerySet, filters: Filters, page: Page, cap: int = COUNT_CAP
) -> tuple[int, bool]:
    """count_capped, or the first page's own length when it is the only page (no second
    pass over the rows, which for an unindexed filter is a second full scan)."""
    if filters.after is None and page.next_cursor is None:
        return len(page.items), False
    # With the list's index order, PostgreSQL walks the index and stops at cap + 1 (25 ms
    # for a broad monitored query at 1M, against 130 ms hashing every match first); a
    # full-text term is the other way round: its matches are fetched first, then counted.
    return count_capped(queryset.order_by() if filters.q else queryset, cap)


def count_all(workspace: Workspace, filters: Filters, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many mentions, copies included, match `filters`: the number the overview and the
    CSV export use. The list shows one line per copy-paste group (count_results)."""
    queryset = filtered_mentions(workspace, filters, heads=False)
    # Only the date order has an index over every mention (mention_time; the reach and
    # engagement indexes hold group heads): kept in reach order, SQLite sorted all 1M
    # mentions before counting the first 10,001 (2.2 s).
    unordered = filters.q or filters.sort != "date"
    return count_capped(queryset.order_by() if unordered else queryset, cap)


def list_counts(
    workspace: Workspace, filters: Filters, mentions: QuerySet, page: Page
) -> tuple[tuple[int, bool], tuple[int, bool]]:
    """(count_results, count_all) for the list page, cached until the workspace's mentions
    change (freshness): paging through a filter or coming back to it does not count again.
    At a million mentions a capped count reads up to 10,001 index entries and rows (170 to
    220 ms for "Bluesky, positive"), most of the list page's time."""
    from parvis.listening import freshness

    key = (
        filters.query_string(cursor=""),
        # Resolved: a rolling period moves, and the brand's accounts may change.
        str(filters.since),
        str(filters.until),
        filters.own_ids,
    )
    value, _at = freshness.cached(
        workspace.pk,
        "list_counts",
        key,
        lambda: (count_results(mentions, filters, page), count_all(workspace, filters)),
    )
    return value


# --- detail -------------------------------------------------------------------------------

THREAD_DEPTH = 6
MAX_REPLIES = 50


def thread(mention: Mention) -> tuple[list[Mention], list[Mention]]:
    """(ancestors from the root down, direct replies oldest first), bounded.

    One query per ancestor: a thread deeper than THREAD_DEPTH shows its nearest part.
    """
    ancestors: list[Mention] = []
    parent_id = mention.parent_external_id
    seen = {mention.external_id}
    base = scoped(Mention, mention.workspace).select_related("author").defer(*LIST_DEFER)
    while parent_id and parent_id not in seen and len(ancestors) < THREAD_DEPTH:
        seen.add(parent_id)
        parent = base.filter(network=mention.network, external_id=parent_id).first()
        if parent is None:
            break
        ancestors.append(parent)
        parent_id = parent.parent_external_id
    # "Not empty" (an external id never is) states the condition of the mention_replies
    # index, which holds replies only.
    replies = list(
        base.filter(network=mention.network, parent_external_id=mention.external_id)
        .exclude(parent_external_id="")
        .order_by("published_at", "id")[:MAX_REPLIES]
    )
    return ancestors[::-1], replies


def copies(mention: Mention, limit: int = 20) -> list[Mention]:
    """Other mentions of the same copy-paste group, newest first."""
    if mention.group_size <= 1 or not mention.content_hash:
        return []
    return list(
        scoped(Mention, mention.workspace)
        .filter(content_hash=mention.content_hash)
        .exclude(pk=mention.pk)
        .select_related("author")
        .defer(*LIST_DEFER)
        .order_by("-published_at")[:limit]
    )


# --- overview -----------------------------------------------------------------------------

TERM_SAMPLE = 2000
TOP = 10

# Words that say nothing about a brand, folded: intelligence's French and English stop words
# (also without their apostrophes, which fold drops when typographic), and words of chat and
# links that those lists lack.
STOPWORDS = frozenset(
    variant
    for word in stopwords(("fr", "en"))
    for variant in (fold(word), fold(word).replace("'", ""))
) | {"amp", "https", "bonjour", "oui", "chose", "faire", "faut", "jamais", "vraiment"}
_WORD_RE = re.compile(r"[^\W\d_]{3,}")
_TAG_RE = re.compile(r"(?<![\w#])#(\w{2,})")
# Links, @handles and bare domains ("alice.bsky.social", "example.com"): their pieces
# ("social", "bsky", "example") would top the frequent words of any network's mentions.
_ADDRESS_RE = re.compile(r"\b\w+://\S+|www\.\S+|@[\w.@-]+|\b(?:[\w-]+\.)+[a-z][a-z0-9-]+\b")


@dataclass
class DayVolume:
    day: dt.date
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative + self.unknown


@dataclass
class Share:
    name: str
    kind: str
    count: int
    percent: float

    @property
    def width(self) -> str:
        """The bar's length in an SVG attribute (never localized: "12.5", not "12,5")."""
        return f"{self.percent:.1f}"


@dataclass
class Overview:
    since: dt.date
    until: dt.date
    days: list[DayVolume]
    share_of_voice: list[Share]
    top_authors: list[dict[str, Any]]
    top_sites: list[dict[str, Any]]
    top_hashtags: list[tuple[str, int]]
    top_terms: list[tuple[str, int]]
    sample_size: int  # texts read for hashtags and terms
    own_posts: int = 0  # the brand's own accounts' posts in the period, left out above

    @property
    def total(self) -> int:
        return sum(d.total for d in self.days)

    def sentiment_share(self, label: str) -> float:
        total = self.total
        return 100 * sum(getattr(d, label) for d in self.days) / total if total else 0.0


def period_bounds(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Whole days, `until` included, in the current time zone."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(since, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start, end


def overview(workspace: Workspace, since: dt.date, until: dt.date) -> Overview:
    """Who talks about the brand, how, and where, from `since` to `until` (whole days).

    Daily volumes count every mention on its own day, copies included (a campaign is volume,
    and a copy-paste wave is exactly what a bad-buzz chart must show), through the
    mention_time index. Sites count every mention too, on its own network (`top_sites`). Share
    of voice counts the matches themselves. Hashtags and terms
    are read from a sample: the TERM_SAMPLE most recent group heads of the period (one text
    per copy-paste group), each counted once per mention.
    """
    start, end = period_bounds(since, until)
    own = own_author_ids(workspace)
    heads = scoped(Mention, workspace).filter(
        group_head=True, published_at__gte=start, published_at__lt=end
    )
    if own:
        heads = heads.exclude(author_id__in=own)
    texts = list(heads.order_by("-published_at").values_list("title", "text")[:TERM_SAMPLE])
    hashtags, terms = top_words(texts, exclude=brand_words(workspace))
    period = {"published_at__gte": start, "published_at__lt": end}
    everyone = scoped(Mention, workspace).filter(**period)
    if own:
        everyone = everyone.exclude(author_id__in=own)
    days = daily_volume(scoped(Mention, workspace).filter(**period), since, until)
    own_posts = 0
    if own:
        # The brand's few posts, through the (author, published_at) index, taken off the
        # day counts: excluding them from the period's scan would read every row.
        own_days = daily_volume(Mention.objects.filter(author_id__in=own, **period), since, until)
        for day, mine in zip(days, own_days, strict=True):
            for label in STACK:
                setattr(day, label, getattr(day, label) - getattr(mine, label))
        own_posts = sum(d.total for d in own_days)
    return Overview(
        since=since,
        until=until,
        days=days,
        share_of_voice=share_of_voice(workspace, start, end, own=own),
        top_authors=top_authors(workspace, start, end, exclude=own),
        top_sites=top_sites(everyone),
        top_hashtags=hashtags,
        top_terms=terms,
        sample_size=len(texts),
        own_posts=own_posts,
    )


def daily_volume(mentions: QuerySet[Mention], since: dt.date, until: dt.date) -> list[DayVolume]:
    """Mentions per local day and sentiment, every day of the period (zeros included)."""
    tz = timezone.get_current_timezone()
    days = {
        since + dt.timedelta(days=n): DayVolume(since + dt.timedelta(days=n))
        for n in range((until - since).days + 1)
    }
    for day, sentiment, n in _day_counts(mentions, tz):
        volume = days.get(day)
        if volume is not None:
            label = sentiment if sentiment in Sentiment.values else "unknown"
            setattr(volume, label, getattr(volume, label) + n)
    return list(days.values())


def _day_counts(mentions: QuerySet[Mention], tz: dt.tzinfo) -> Iterator[tuple[dt.date, str, int]]:
    if connection.vendor != "sqlite":
        rows = (
            mentions.annotate(day=TruncDate("published_at", tzinfo=tz))
            .values_list("day", "sentiment")
            .annotate(n=Count("id"))
            .order_by()
        )
        yield from rows
        return
    # SQLite: TruncDate runs a Python function per row (0.3 s for 80,000 mentions). Stored
    # dates are UTC text, "YYYY-MM-DD HH:MM:SS": counting per UTC hour in SQL and placing
    # each hour in its local day here is exact for time zones whose offsets are whole hours.
    hour = Substr("published_at", 1, 13, output_field=CharField())
    rows = (
        mentions.annotate(hour=hour)
        .values_list("hour", "sentiment")
        .annotate(n=Count("id"))
        .order_by()
    )
    for text, sentiment, n in rows:
        utc = dt.datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=dt.UTC)
        yield utc.astimezone(tz).date(), sentiment, n


def share_of_voice(
    workspace: Workspace, start: dt.datetime, end: dt.datetime, own: Iterable[int] = ()
) -> list[Share]:
    """Mentions per brand and competitor query in the period, as shares of their sum; the
    brand's own posts (authors `own`) do not count: the brand talking is not people talking
    about it."""
    queries = dict(
        scoped(MonitoredQuery, workspace)
        .filter(kind__in=[QueryKind.BRAND, QueryKind.COMPETITOR])
        .values_list("id", "kind")
    )
    if not queries:
        return []
    counts = dict(
        MentionMatch.objects.filter(
            query_id__in=list(queries), published_at__gte=start, published_at__lt=end
        )
        .values("query_id")
        .annotate(n=Count("id"))
        .values_list("query_id", "n")
    )
    for qid, n in own_matches(list(queries), start, end, own).items():
        counts[qid] = max(counts.get(qid, 0) - n, 0)
    names = dict(scoped(MonitoredQuery, workspace).filter(id__in=queries).values_list("id", "name"))
    total = sum(counts.values())
    shares = []
    for qid, kind in queries.items():
        n = counts.get(qid, 0)
        shares.append(Share(names[qid], kind, n, 100 * n / total if total else 0.0))
    # The brand first, then competitors by volume.
    return sorted(shares, key=lambda s: (s.kind != QueryKind.BRAND, -s.count, s.name))


def own_matches(
    query_ids: list[int], start: dt.datetime, end: dt.datetime, own: Iterable[int]
) -> dict[int, int]:
    """Matches per query of the brand's own posts in the period: their few ids through the
    (author, published_at) index, then their matches."""
    own = list(own)
    if not own:
        return {}
    mine = Mention.objects.filter(author_id__in=own, published_at__gte=start, published_at__lt=end)
    ids = mine.values("id")[:OWN_SCAN]  # a subquery: one statement, any number of posts
    matches = MentionMatch.objects.filter(mention_id__in=ids, query_id__in=query_ids)
    return dict(matches.values("query_id").annotate(n=Count("id")).values_list("query_id", "n"))


# The brand's own posts of a period read for share of voice, at most.
OWN_SCAN = 20_000


def top_authors(
    workspace: Workspace,
    start: dt.datetime,
    end: dt.datetime,
    limit: int = TOP,
    exclude: Iterable[int] = (),
) -> list[dict[str, Any]]:
    """The most influential authors who spoke in the period, with their mentions in it.

    Authors are read in order of influence (an index) until `limit` of them have a mention
    in the period; grouping every mention of the period by author cost 0.4 s at 1M.
    """
    spoke = Mention.objects.filter(
        author_id=OuterRef("pk"), published_at__gte=start, published_at__lt=end
    )
    authors = list(
        scoped(Author, workspace)
        .filter(Exists(spoke))
        .exclude(id__in=list(exclude))
        .order_by("-influence", "id")
        .values("id", "handle", "name", "network", "followers", "influence")[:limit]
    )
    counts = dict(
        Mention.objects.filter(
            author_id__in=[a["id"] for a in authors], published_at__gte=start, published_at__lt=end
        )
        .values("author_id")
        .annotate(n=Count("id"))
        .values_list("author_id", "n")
    )
    return [{**a, "n": counts.get(a["id"], 0)} for a in authors]


def top_sites(mentions: QuerySet[Mention], limit: int = TOP) -> list[dict[str, Any]]:
    """Where people talk: each feed's site (an RSS author is the site) and each network, by
    their mentions of the period, copies included on their own network (as the daily volume
    counts them). Both counts read only the mention_time index, which holds the network and
    the author: summing the group heads' sizes read a million rows at 1M (12 s on SQLite)."""
    feeds = list(
        mentions.filter(network="rss")
        .values("author_id")
        .annotate(n=Count("id"))
        .order_by("-n", "author_id")[:limit]
    )
    handles = dict(
        Author.objects.filter(id__in=[r["author_id"] for r in feeds]).values_list("id", "handle")
    )
    sites = [{"label": handles[r["author_id"]], "kind": "site", "count": r["n"]} for r in feeds]
    sites += [
        {"label": network_label(r["network"]), "kind": "network", "count": r["n"]}
        for r in mentions.exclude(network="rss").values("network").annotate(n=Count("id"))
    ]
    return sorted(sites, key=lambda s: -s["count"])[:limit]


def brand_words(workspace: Workspace) -> frozenset[str]:
    """The folded words of the brand queries: the brand's own name says nothing new in the
    brand's overview, and would top every list of frequent words."""
    words: set[str] = set()
    expressions = scoped(MonitoredQuery, workspace).filter(kind=QueryKind.BRAND)
    for expression in expressions.values_list("expression", flat=True):
        try:
            terms = parse(expression).positive_terms()
        except QuerySyntaxError:
            continue
        for term in terms:
            if term[:1] not in ("#", "@"):
                words.update(_WORD_RE.findall(term))
    return frozenset(words)


def text_terms(
    title: str, text: str, exclude: frozenset[str] = frozenset()
) -> tuple[dict[str, str], dict[str, str]]:
    """(hashtags, terms) of one text, folded -> as written: links, @handles and domains left
    out, stop words and `exclude` (folded) left out of the terms."""
    body = _ADDRESS_RE.sub(" ", f"{title}\n{text}" if title else text)
    tags: dict[str, str] = {}
    for tag in _TAG_RE.findall(body):
        tags.setdefault(fold(tag), "#" + tag)
    words: dict[str, str] = {}
    for word in _WORD_RE.findall(_TAG_RE.sub(" ", body)):
        folded = fold(word)
        if folded not in STOPWORDS and folded not in exclude:
            words.setdefault(folded, word)
    return tags, words


def top_words(
    texts: Iterable[tuple[str, str]], limit: int = 15, exclude: frozenset[str] = frozenset()
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(hashtags, terms) by the number of texts using them, as people wrote them.

    Words are compared folded ("Lumière" = "lumiere") and shown in their most frequent
    spelling; stop words and `exclude` (folded) are left out of the terms.
    """
    tag_counts: Counter[str] = Counter()
    term_counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for title, text in texts:
        tags, words = text_terms(title, text, exclude)
        for key, spelling in tags.items():
            spellings.setdefault("#" + key, Counter())[spelling] += 1
        for key, spelling in words.items():
            spellings.setdefault(key, Counter())[spelling] += 1
        tag_counts.update("#" + key for key in tags)
        term_counts.update(words.keys())

    def shown(key: str) -> str:
        return spellings[key].most_common(1)[0][0]

    return (
        [(shown(k), n) for k, n in tag_counts.most_common(limit)],
        [(shown(k), n) for k, n in term_counts.most_common(limit)],
    )


# --- chart --------------------------------------------------------------------------------


@dataclass
class Chart:
    """A stacked bar chart as SVG numbers (formatted here: templates localize floats)."""

    width: int
    height: int
    bars: list[dict[str, Any]]
    grid: list[dict[str, str]]
    labels: list[dict[str, str]]


CHART_W, CHART_H = 760, 220
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 44, 26, 10
STACK = ("negative", "neutral", "positive", "unknown")


def nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times 10^k at least `value` (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return factor * step
        step *= 10


def _n(value: float) -> str:
    return f"{value:.1f}"


def bad_days(days: list[DayVolume]) -> set[dt.date]:
    """Days to look at: at least BAD_DAY_NEGATIVE negative mentions and twice the period's
    usual (median) negative day. A brand with a steady share of complaints has none; the
    day a bad buzz breaks stands out."""
    negatives = sorted(d.negative for d in days)
    usual = negatives[len(negatives) // 2] if negatives else 0
    return {d.day for d in days if d.negative >= max(BAD_DAY_NEGATIVE, 2 * usual)}


BAD_DAY_NEGATIVE = 5


def volume_chart(days: list[DayVolume]) -> Chart:
    """Stacked daily bars; horizontal lines at round values (at most about 5 of them)."""
    plot_w = CHART_W - PAD_LEFT
    plot_h = CHART_H - PAD_BOTTOM - PAD_TOP
    highest = max((d.total for d in days), default=0)
    tick = nice_max(-(-highest // 4))
    top = max(tick, tick * -(-highest // tick))
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.72, 1.0)
    bars = []
    alerts = bad_days(days)
    for index, day in enumerate(days):
        x = PAD_LEFT + index * slot + (slot - bar_w) / 2
        y = PAD_TOP + plot_h
        segments = []
        for label in STACK:
            count = getattr(day, label)
            if not count:
                continue
            h = plot_h * count / top
            y -= h
            segments.append({"cls": label, "x": _n(x), "y": _n(y), "w": _n(bar_w), "h": _n(h)})
        bars.append(
            {
                "day": day.day,
                "total": day.total,
                "negative": day.negative,
                "alert": day.day in alerts,
                "x": _n(PAD_LEFT + index * slot),
                "w": _n(slot),
                "cx": _n(x + bar_w / 2),
                "top": _n(max(y - 3, PAD_TOP)),
                "segments": segments,
            }
        )
    grid = []
    for value in range(0, top + 1, tick):
        y = PAD_TOP + plot_h * (1 - value / top)
        grid.append({"y": _n(y), "ty": _n(y + 4), "value": str(value)})
    every = max(1, -(-len(days) // 8))  # at most about 8 dates under the axis
    labels = [
        {"x": _n(PAD_LEFT + i * slot + slot / 2), "day": day.day}
        for i, day in enumerate(days)
        if i % every == 0
    ]
    return Chart(CHART_W, CHART_H, bars, grid, labels)


# --- CSV export ---------------------------------------------------------------------------

EXPORT_LIMIT = 100_000
# (header, what is read): one row per mention, copies included, the number the list and the
# overview count. Headers are in the reader's language.
CSV_COLUMNS: list[tuple[Any, str]] = [
    (gettext_lazy("Date (local time)"), "published_at"),
    (gettext_lazy("Time zone"), ""),
    (gettext_lazy("Network"), "network"),
    (gettext_lazy("Author handle"), "author__handle"),
    (gettext_lazy("Author name"), "author__name"),
    (gettext_lazy("Title"), "title"),
    (gettext_lazy("Text"), "text"),
    (gettext_lazy("Link"), "url"),
    (gettext_lazy("Language"), "lang"),
    (gettext_lazy("Sentiment"), "sentiment"),
    (gettext_lazy("Sentiment score"), "sentiment_score"),
    (gettext_lazy("Toxicity"), "toxicity"),
    (gettext_lazy("Spam"), "spam"),
    (gettext_lazy("Reach"), "reach"),
    (gettext_lazy("Engagement"), "engagement"),
    (gettext_lazy("Likes"), "likes"),
    (gettext_lazy("Reposts"), "reposts"),
    (gettext_lazy("Replies"), "replies"),
    (gettext_lazy("Same text posted (times)"), "group_size"),
    (gettext_lazy("Id"), "id"),
]
CSV_FIELDS = [field for _header, field in CSV_COLUMNS if field]
FLOAT_COLUMNS = {"sentiment_score", "toxicity", "spam"}
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SEPARATORS = {"semicolon": ";", "comma": ","}


def csv_cell(value: Any) -> Any:
    """A cell safe to open in a spreadsheet: text that could be a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_separator(choice: str) -> str:
    """The chosen separator; by default the one the reader's spreadsheet expects (a French
    spreadsheet reads "," as the decimal mark, and wants ";" between cells)."""
    if choice in SEPARATORS:
        return SEPARATORS[choice]
    return ";" if formats.get_format("DECIMAL_SEPARATOR") == "," else ","


class _Echo:
    def write(self, value: str) -> str:
        return value


def zone_label(moment: dt.datetime) -> str:
    """ "Europe/Paris UTC+01:00": the zone and the offset of that very date."""
    offset = moment.strftime("%z")
    return f"{timezone.get_current_timezone_name()} UTC{offset[:3]}:{offset[3:]}"


def csv_rows(queryset: QuerySet[Mention], separator: str = ",") -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=separator)
    decimal = formats.get_format("DECIMAL_SEPARATOR")
    yield "\ufeff"  # so that spreadsheets read the file as UTF-8
    yield writer.writerow([str(header) for header, _field in CSV_COLUMNS])
    rows = queryset.values_list(*CSV_FIELDS)[:EXPORT_LIMIT]
    sentiments = {code: str(label) for code, label in Sentiment.choices}
    for published, *rest in rows.iterator(chunk_size=2000):
        local = timezone.localtime(published)
        cells = []
        for column, value in zip(CSV_FIELDS[1:], rest, strict=True):
            if column in FLOAT_COLUMNS:  # a number, written as the reader's spreadsheet reads it
                cells.append(str(round(value, 4)).replace(".", decimal))
                continue
            if column == "network":
                value = network_label(value)
            elif column == "sentiment":
                value = sentiments.get(value, "")
            cells.append(csv_cell(value))
        yield writer.writerow([local.strftime("%Y-%m-%d %H:%M:%S"), zone_label(local), *cells])


def csv_response(
    workspace: Workspace, filters: Filters, separator: str = ""
) -> StreamingHttpResponse:
    """The filtered mentions (copies included, up to EXPORT_LIMIT rows) as a streamed CSV
    file, in the list's order."""
    queryset = filtered_mentions(workspace, filters, heads=False)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    rows = csv_rows(queryset, csv_separator(separator))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    name = f"mentions-{workspace.slug}-{stamp}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- query preview ------------------------------------------------------------------------

PREVIEW_SCAN = 5000
PREVIEW_SHOW = 20
PREVIEW_CHARS = 600


@dataclass
class PreviewItem:
    mention: Mention
    segments: list[tuple[str, bool]]  # (text, highlighted)


@dataclass
class Preview:
    scanned: int
    matched: int
    items: list[PreviewItem]


def preview_query(workspace: Workspace, expression: str) -> Preview:
    """Run a draft expression on the PREVIEW_SCAN most recently stored mentions.

    Raises QuerySyntaxError for an expression that does not parse.
    """
    query = parse(expression)
    # The most recently stored (by id, an index walk): ordering a million mentions by date
    # to take 5,000 of them cost 2 s.
    rows = (
        scoped(Mention, workspace)
        .order_by("-id")
        .values_list("id", "title", "text", "lang", "network", "author__handle")[:PREVIEW_SCAN]
    )
    scanned, matched_ids = 0, []
    for pk, title, text, lang, network, handle in rows.iterator(chunk_size=1000):
        scanned += 1
        body = f"{title}\n{text}" if title else text
        doc = make_document(body, lang=lang, network=network, author_handle=handle)
        if query.matches(doc):
            matched_ids.append(pk)
    shown = matched_ids[:PREVIEW_SHOW]
    by_id = scoped(Mention, workspace).select_related("author").defer(*LIST_DEFER).in_bulk(shown)
    items = []
    for pk in shown:
        mention = by_id[pk]
        body = f"{mention.title}\n{mention.text}" if mention.title else mention.text
        items.append(PreviewItem(mention, highlighted(body, highlight_spans(query, body))))
    return Preview(scanned, len(matched_ids), items)


def highlighted(
    text: str, spans: list[tuple[int, int]], limit: int = PREVIEW_CHARS
) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is_match) pieces, cut at `limit` characters."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in spans:
        if start >= limit:
            break
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((text[start : min(end, limit)], True))
        position = end
    if position < min(len(text), limit):
        pieces.append((text[position:limit], False))
    if len(text) > limit:
        pieces.append(("…", False))
    return pieces
