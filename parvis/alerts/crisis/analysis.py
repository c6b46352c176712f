"""What the crisis room shows and the summary keeps, computed from the crisis's mentions: the
workspace's mentions (those of the episode's query when it has one) published between the
episode's opening and the crisis's end (now while it is open)."""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from parvis.alerts.crisis.models import Crisis
from parvis.alerts.models import Episode
from parvis.core.networks import NETWORK_CHOICES
from parvis.listening import extensions
from parvis.listening.explorer import text_terms
from parvis.listening.models import Mention
from parvis.listening.own import own_author_ids
from parvis.listening.text import fold

LABELS: dict[str, Any] = dict(NETWORK_CHOICES)  # lazy labels: translated when shown

MAX_ROWS = 50_000  # mentions read for one page; a bigger crisis is sampled by its newest
MAX_POINTS = 720  # minutes on the timeline; longer crises are drawn in wider buckets
LEAD = dt.timedelta(hours=1)  # the timeline starts this long before the episode opened
BASELINE_DAYS = 7  # « new words » are new compared with these days before
# Words are compared by their share of the texts: the newest few thousand of those days give
# the shares well enough, without reading a week of a large brand's mentions on each view.
BASELINE_SAMPLE = 5_000


@dataclass
class Window:
    start: dt.datetime
    end: dt.datetime


def window(crisis: Crisis, now: dt.datetime | None = None) -> Window:
    episode = crisis.episode
    now = now or timezone.now()
    end = crisis.closed_at or now
    return Window(start=episode.opened_at, end=max(end, episode.opened_at))


def mentions(episode: Episode, start: dt.datetime, end: dt.datetime) -> QuerySet[Mention]:
    rows = Mention.objects.filter(
        workspace_id=episode.workspace_id, published_at__gte=start, published_at__lte=end
    )
    if episode.query_id is not None:
        rows = rows.filter(matches__query_id=episode.query_id)
    return rows


def timeline(crisis: Crisis, now: dt.datetime | None = None) -> dict[str, Any]:
    """Per bucket (a minute, or wider for a long crisis): volume, negative share, reach, and
    the SVG geometry of the three lines."""
    w = window(crisis, now)
    start = w.start - LEAD
    minutes = max(1, math.ceil((w.end - start).total_seconds() / 60))
    step = max(1, math.ceil(minutes / MAX_POINTS))
    n = math.ceil(minutes / step)
    volume = [0] * n
    negative = [0] * n
    reach = [0] * n
    rows = mentions(crisis.episode, start, w.end).order_by("-published_at")
    for published_at, sentiment, r in rows.values_list("published_at", "sentiment", "reach")[
        :MAX_ROWS
    ]:
        i = min(n - 1, max(0, int((published_at - start).total_seconds() // 60) // step))
        volume[i] += 1
        negative[i] += sentiment == "negative"
        reach[i] += r or 0
    share = [(negative[i] / volume[i]) if volume[i] else 0.0 for i in range(n)]
    width, height, pad = 720, 120, 4
    opened_x = pad + (width - 2 * pad) * (LEAD.total_seconds() / 60 / step) / max(1, n - 1)

    def line(values: list[float], top: float) -> str:
        top = top or 1
        if n == 1:
            return f"{pad},{height - pad} {width - pad},{height - pad}"
        points = []
        for i, v in enumerate(values):
            x = pad + (width - 2 * pad) * i / (n - 1)
            y = height - pad - (height - 2 * pad) * (v / top)
            points.append(f"{x:.1f},{y:.1f}")
        return " ".join(points)

    return {
        "step": step,
        "start": start,
        "end": w.end,
        "buckets": n,
        "width": width,
        "height": height,
        # A string: the template would localize a float (« 495,0 » in French).
        "opened_x": f"{min(width - pad, opened_x):.1f}",
        "volume": {"points": line([float(v) for v in volume], max(volume)), "max": max(volume)},
        "negative": {"points": line(share, 1.0), "max": round(100 * max(share))},
        "reach": {"points": line([float(v) for v in reach], max(reach)), "max": max(reach)},
        "series": [
            {
                "at": start + dt.timedelta(minutes=i * step),
                "volume": volume[i],
                "negative": negative[i],
                "reach": reach[i],
            }
            for i in range(n)
        ],
    }


def words_of(text: str) -> set[str]:
    """The text's words and hashtags, folded, as the explorer's frequent words find them (no
    stop words, numbers, links, handles or domains)."""
    tags, words = text_terms("", text or "")
    return {"#" + key for key in tags} | set(words)


WORD = re.compile(r"#?\w+(?:-\w+)*")


def note_forms(text: str, forms: dict[str, Counter[str]]) -> None:
    """Count how each folded word is written (« livrée » for livree), in lower case: the
    words are matched folded but shown as people write them."""
    for token in WORD.findall(text or ""):
        lower = token.lower()
        forms.setdefault(fold(lower), Counter())[lower] += 1


def shown(word: str, forms: dict[str, Counter[str]]) -> str:
    written = forms.get(word)
    return written.most_common(1)[0][0] if written else word


def drivers(crisis: Crisis, now: dt.datetime | None = None) -> dict[str, Any]:
    """Top posts by reach, top authors, networks, and the words and hashtags new compared
    with the days before."""
    w = window(crisis, now)
    # The brand's own posts (its answers) are not what drives a crisis.
    own = own_author_ids(crisis.workspace)
    rows = mentions(crisis.episode, w.start, w.end).exclude(author_id__in=own)
    top_posts = list(rows.select_related("author").order_by("-reach", "-id")[:8])
    authors: Counter[int] = Counter()
    networks: Counter[str] = Counter()
    during: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    total = 0
    for author_id, network, text in rows.order_by("-published_at").values_list(
        "author_id", "network", "text"
    )[:MAX_ROWS]:
        total += 1
        authors[author_id] += 1
        networks[network] += 1
        during.update(words_of(text))
        note_forms(text, forms)
    before: Counter[str] = Counter()
    before_total = 0
    earlier = mentions(crisis.episode, w.start - dt.timedelta(days=BASELINE_DAYS), w.start).exclude(
        author_id__in=own
    )
    for (text,) in earlier.order_by("-published_at").values_list("text")[:BASELINE_SAMPLE]:
        before_total += 1
        before.update(words_of(text))
    new_words: list[dict[str, Any]] = []
    for word, count in during.most_common(400):
        if count < 3:
            break
        share_during = count / max(1, total)
        share_before = before[word] / max(1, before_total)
        if share_during >= 3 * share_before:
            new_words.append({"word": shown(word, forms), "count": count, "before": before[word]})
    from parvis.listening.models import Author

    # The most frequent authors, the most followed first among equals.
    followers = dict(
        Author.objects.filter(pk__in=[a for a, _ in authors.most_common(200)]).values_list(
            "pk", "followers"
        )
    )
    ranked = sorted(authors.items(), key=lambda x: (-x[1], -followers.get(x[0], 0), x[0]))[:8]
    author_rows = {a.pk: a for a in Author.objects.filter(pk__in=[a for a, _ in ranked])}
    return {
        "total": total,
        "top_posts": top_posts,
        "top_authors": [
            {"author": author_rows[a], "count": c} for a, c in ranked if a in author_rows
        ],
        "networks": [
            {"network": k, "label": LABELS.get(k, k), "count": c} for k, c in networks.most_common()
        ],
        "new_words": [x for x in new_words if not x["word"].startswith("#")][:15],
        "new_hashtags": [x for x in new_words if x["word"].startswith("#")][:10],
    }


def answered(crisis: Crisis, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The share of the crisis's mentions answered from the inbox (None: no inbox)."""
    w = window(crisis, now)
    ids = list(
        mentions(crisis.episode, w.start, w.end)
        .order_by("-published_at")
        .values_list("id", flat=True)[:MAX_ROWS]
    )
    stats = extensions.answer_stats(crisis.workspace, ids)
    if stats is None:
        return None
    minutes = sorted(stats.response_minutes)
    return {
        "mentions": len(ids),
        "in_inbox": stats.in_inbox,
        "answered": stats.answered,
        "answered_pct": round(100 * stats.answered / len(ids), 1) if ids else 0.0,
        "median_response_minutes": round(statistics.median(minutes), 1) if minutes else None,
    }


def sentiment(episode: Episode, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    counts = Counter(mentions(episode, start, end).values_list("sentiment", flat=True)[:MAX_ROWS])
    total = sum(counts.values())

    def pct(key: str) -> float:
        return round(100 * counts[key] / total, 1) if total else 0.0

    return {
        "mentions": total,
        "negative_pct": pct("negative"),
        "positive_pct": pct("positive"),
        "neutral_pct": pct("neutral"),
    }


def summary(crisis: Crisis, now: dt.datetime | None = None) -> dict[str, Any]:
    """The short account kept with the crisis (JSON: the client report reads it as is)."""
    now = now or timezone.now()
    w = window(crisis, now)
    span = max(w.end - w.start, dt.timedelta(minutes=1))
    compare = min(span, dt.timedelta(days=1))
    line = timeline(crisis, now)
    in_window = [
        p for p in line["series"] if p["at"] >= w.start - dt.timedelta(minutes=line["step"])
    ]
    peak = max(in_window or line["series"], key=lambda p: p["volume"])
    during = sentiment(crisis.episode, w.start, w.end)
    answers = answered(crisis, now)
    after_end = min(now, w.end + compare)
    return {
        "computed_at": now.isoformat(),
        "started_at": w.start.isoformat(),
        "ended_at": w.end.isoformat(),
        "duration_minutes": round(span.total_seconds() / 60),
        "mentions": during["mentions"],
        "peak": {
            "at": peak["at"].isoformat(),
            "per_minutes": line["step"],
            "volume": peak["volume"],
        },
        "reach": sum(p["reach"] for p in in_window),
        "sentiment": {
            "before": sentiment(crisis.episode, w.start - compare, w.start),
            "during": during,
            "after": sentiment(crisis.episode, w.end, after_end) if after_end > w.end else None,
        },
        "responses": answers,
    }
