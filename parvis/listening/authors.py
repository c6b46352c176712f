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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from parvis.listening import bulk
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


@dataclass(slots=True)
class Aggregate:
    """An author's aggregate columns, read and written without building model instances."""

    id: int | None
    network: str
    handle: str
    name: str
    profile_url: str
    followers: int
    mention_count: int
    engagement: int
    sentiment_sum: float
    sentiment_count: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    influence: float = 0.0


def apply(author: Author | Aggregate, candidates: list[Candidate]) -> None:
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


READ_FIELDS = [
    "id",
    "network",
    "handle",
    "name",
    "profile_url",
    "followers",
    "mention_count",
    "engagement",
    "sentiment_sum",
    "sentiment_count",
    "first_seen_at",
    "last_seen_at",
]
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


def updated_values(a: Aggregate, when: Callable[[Any], Any]) -> tuple:
    """An author's UPDATED_FIELDS, in that order, as driver-ready values."""
    return (
        int(a.followers),
        a.name,
        a.profile_url,
        a.mention_count,
        int(a.engagement),
        float(a.sentiment_sum),
        a.sentiment_count,
        when(a.first_seen_at),
        when(a.last_seen_at),
        float(a.influence),
    )


def upsert(workspace: Workspace, candidates: Iterable[Candidate]) -> dict[tuple[str, str], int]:
    """Create or update the authors of `candidates`; returns their ids by (network, handle)."""
    by_key: dict[tuple[str, str], list[Candidate]] = {}
    for c in candidates:
        by_key.setdefault((c.network, c.author.handle), []).append(c)
    existing = {(a.network, a.handle): a for a in read(workspace, by_key)}
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    created = []
    for key, group in by_key.items():
        author = existing.get(key)
        if author is None:
            author = Aggregate(
                id=None,
                network=key[0],
                handle=key[1],
                name="",
                profile_url="",
                followers=0,
                mention_count=0,
                engagement=0,
                sentiment_sum=0.0,
                sentiment_count=0,
                first_seen_at=far_future,
                last_seen_at=min(c.published_at for c in group),
            )
            created.append(author)
        apply(author, group)
    changed = list(existing.values())
    create(workspace, created)
    save_aggregates(changed)
    ids = {(a.network, a.handle): a.id for a in changed}
    ids.update({(a.network, a.handle): a.id for a in created})
    return ids


def read(workspace: Workspace, keys: Iterable[tuple[str, str]]) -> list[Aggregate]:
    """The stored aggregates of these (network, handle) authors, through the unique index
    (workspace, network, handle), in one query. Raw rows: Django's per-value converters
    cost more than the query here."""
    rows = bulk.lookup(Author, workspace.pk, ("network", "handle"), keys, READ_FIELDS)
    aware = bulk.datetime_reader()
    return [Aggregate(*row[:10], aware(row[10]), aware(row[11])) for row in rows]


def create(workspace: Workspace, created: list[Aggregate]) -> None:
    """Insert new authors with ids allocated up front (the mentions refer to them)."""
    if not created:
        return
    for author, pk in zip(created, bulk.allocate_ids(Author, len(created)), strict=True):
        author.id = pk
    when = bulk.datetime_adapter()
    columns = ["id", "workspace_id", "network", "handle", *UPDATED_FIELDS]
    rows = [(a.id, workspace.pk, a.network, a.handle, *updated_values(a, when)) for a in created]
    bulk.insert(Author, columns, rows)


def save_aggregates(changed: list[Aggregate]) -> None:
    """The new aggregates of existing authors. SQLite: one parameterised UPDATE per author,
    sent with executemany (Django's bulk_update builds CASE expressions that grow with the
    batch and cost far more). PostgreSQL: one UPDATE joined to the rows sent as arrays."""
    if not changed:
        return
    when = bulk.datetime_adapter()
    rows = [(*updated_values(a, when), a.id) for a in changed]
    qn = connection.ops.quote_name
    table = qn(Author._meta.db_table)
    with connection.cursor() as cursor:
        if bulk.is_postgres():
            names = [*UPDATED_FIELDS, "id"]
            columns = ", ".join(f"{qn(f)} = v.{qn(f)}" for f in UPDATED_FIELDS)
            arrays = ", ".join(f"%s::{t}[]" for t in PG_TYPES)
            cursor.execute(
                f"UPDATE {table} SET {columns} FROM unnest({arrays}) "  # noqa: S608  (names)
                f"AS v({', '.join(qn(f) for f in names)}) WHERE {table}.id = v.id",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            columns = ", ".join(f"{qn(f)} = %s" for f in UPDATED_FIELDS)
            sql = f"UPDATE {table} SET {columns} WHERE id = %s"  # noqa: S608  (names, not values)
            cursor.executemany(sql, rows)


# The PostgreSQL types of UPDATED_FIELDS, then id, for the arrays of save_aggregates.
PG_TYPES = [
    "bigint",
    "text",
    "text",
    "integer",
    "bigint",
    "double precision",
    "integer",
    "timestamptz",
    "timestamptz",
    "double precision",
    "bigint",
]
