"""Authors aggregated across mentions, and the influence score.

Influence (0 to 100) = 50 % reach + 30 % resonance + 20 % activity, each log-scaled to 0..1:
- reach: followers, 1,000,000 followers = 1;
- resonance: average engagement (likes + reposts + replies) per mention, 10,000 = 1;
- activity: how often the author talks about us, 100 mentions = 1.
Log scales because audiences span six orders of magnitude and a community manager ranks
"who matters" rather than reads raw counts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from django.db import connection

from parvis.listening.models import Author
from parvis.listening.normalize import Candidate
from parvis.workspaces.models import Workspace


def scaled(value: float, full_at: float) -> float:
    return min(1.0, math.log10(1 + max(value, 0)) / math.log10(1 + full_at))


def influence(followers: int, engagement: int, mentions: int) -> float:
    average = engagement / mentions if mentions else 0
    score = (
        0.5 * scaled(followers, 1_000_000)
        + 0.3 * scaled(average, 10_000)
        + 0.2 * scaled(mentions, 100)
    )
    return round(100 * score, 2)


def apply(author: Author, candidates: list[Candidate]) -> None:
    """Fold this batch's mentions into the author's aggregates."""
    newest = max(candidates, key=lambda c: c.published_at)
    author.followers = newest.author.followers
    author.name = newest.author.name or author.name
    author.profile_url = newest.author.url or author.profile_url
    author.mention_count += len(candidates)
    author.engagement += sum(c.engagement for c in candidates)
    scores = [c.analysis["sentiment_score"] for c in candidates if "sentiment_score" in c.analysis]
    author.sentiment_sum += sum(scores)
    author.sentiment_count += len(scores)
    author.first_seen_at = min(author.first_seen_at, min(c.published_at for c in candidates))
    author.last_seen_at = max(author.last_seen_at, newest.published_at)
    author.influence = influence(author.followers, author.engagement, author.mention_count)


UPDATED_FIELDS = [
    "followers",
    "name",
    "profile_url",
    "mention_count",
    "engagement",
    "sentiment_sum",
    "sentiment_count",
    "first_seen_at",
    "last_seen_at",
    "influence",
]


def upsert(workspace: Workspace, candidates: Iterable[Candidate]) -> dict[tuple[str, str], Author]:
    """Create or update the authors of `candidates`; returns them by (network, handle)."""
    by_key: dict[tuple[str, str], list[Candidate]] = {}
    for c in candidates:
        by_key.setdefault((c.network, c.author.handle), []).append(c)
    handles = {handle for _, handle in by_key}
    existing = {
        (a.network, a.handle): a
        for a in Author.objects.filter(workspace=workspace, handle__in=handles)
        if (a.network, a.handle) in by_key
    }
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    created = []
    for key, group in by_key.items():
        author = existing.get(key)
        if author is None:
            author = Author(
                workspace=workspace,
                network=key[0],
                handle=key[1],
                first_seen_at=far_future,
                last_seen_at=min(c.published_at for c in group),
            )
            created.append(author)
            existing[key] = author
        apply(author, group)
    Author.objects.bulk_create(created)
    new_ids = {id(a) for a in created}
    save_aggregates([a for a in existing.values() if id(a) not in new_ids])
    return existing


def save_aggregates(changed: list[Author]) -> None:
    """One parameterised UPDATE per author, sent with executemany: Django's bulk_update
    builds CASE expressions that grow with the batch and cost far more on both databases."""
    if not changed:
        return
    table = connection.ops.quote_name(Author._meta.db_table)
    columns = ", ".join(f"{connection.ops.quote_name(f)} = %s" for f in UPDATED_FIELDS)
    sql = f"UPDATE {table} SET {columns} WHERE id = %s"  # noqa: S608  (names, not values)
    fields = [Author._meta.get_field(name) for name in UPDATED_FIELDS]
    rows = [
        [f.get_db_prep_save(getattr(a, f.attname), connection) for f in fields] + [a.pk]
        for a in changed
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
