"""Client report benchmark: a monthly report (PDF, then XLSX) of a workspace holding N
mentions spread over three months, with their matches, M inbox conversations, published
posts, follower snapshots and moderation actions; time and peak RSS of the report's process.

    python benchmarks/reports.py --mentions 100000 --conversations 10000
    PARVIS_DATABASE_URL=postgres://... python benchmarks/reports.py --mentions 1000000

The data is written with bulk inserts (not through the ingestion pipeline, which
benchmarks/ingest.py measures): only what the report reads matters here. The report runs in
its own process, so its peak RSS is its own. Prints one JSON object per format.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SLUG = "bench-reports"
MONTH = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
SPAN_START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
SPAN_DAYS = 91
WORDS = ["bougie", "cire", "colza", "soja", "parfum", "livraison", "atelier", "figue", "vanille"]


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parvis.settings")
    import django

    django.setup()


def build(mentions: int, conversations: int, seed: int = 7) -> None:
    setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from parvis.alerts.models import Crisis, Episode
    from parvis.analytics.models import AccountSnapshot
    from parvis.connectors.models import ConnectedAccount
    from parvis.inbox.models import Conversation, Direction, Message
    from parvis.listening.models import Author, Mention, MentionMatch, MonitoredQuery
    from parvis.moderation.models import Action
    from parvis.publishing.models import Post, Status, Variant
    from parvis.workspaces.models import Objective
    from parvis.workspaces.services import do_create_workspace

    rng = random.Random(seed)
    ws = do_create_workspace(SLUG, "Maison Lumière (benchmark)")
    brand = MonitoredQuery.objects.create(
        workspace=ws, name="Marque", kind="brand", expression="bougie"
    )
    rival = MonitoredQuery.objects.create(
        workspace=ws, name="Concurrent", kind="competitor", expression="cireetsens"
    )
    authors = Author.objects.bulk_create(
        Author(
            workspace=ws,
            network="bluesky",
            handle=f"a{i}.test",
            followers=rng.randint(0, 50_000),
            influence=rng.random(),
            first_seen_at=SPAN_START,
            last_seen_at=SPAN_START,
        )
        for i in range(min(20_000, max(100, mentions // 50)))
    )
    now = dt.datetime.now(dt.UTC)
    batch = 20_000
    sentiments = ["positive", "neutral", "negative", ""]
    made = 0
    while made < mentions:
        rows = []
        for i in range(made, min(mentions, made + batch)):
            at = SPAN_START + dt.timedelta(seconds=rng.randrange(SPAN_DAYS * 86_400))
            text = " ".join(rng.choice(WORDS) for _ in range(8)) + f" #{rng.choice(WORDS)}"
            rows.append(
                Mention(
                    workspace=ws,
                    network="bluesky",
                    external_id=f"m{i}",
                    author=authors[rng.randrange(len(authors))],
                    text=text,
                    published_at=at,
                    ingested_at=now,
                    sentiment=rng.choice(sentiments),
                    likes=rng.randint(0, 50),
                )
            )
        created = Mention.objects.bulk_create(rows, batch_size=2_000)
        MentionMatch.objects.bulk_create(
            (
                MentionMatch(
                    workspace=ws,
                    mention=m,
                    query=brand if rng.random() < 0.7 else rival,
                    published_at=m.published_at,
                )
                for m in created
            ),
            batch_size=5_000,
        )
        made += len(rows)
    account = ConnectedAccount.objects.create(workspace=ws, network="mastodon", handle="@b@x.test")
    AccountSnapshot.objects.bulk_create(
        AccountSnapshot(
            workspace=ws,
            account=account,
            day=SPAN_START.date() + dt.timedelta(days=d),
            at=SPAN_START,
            followers=10_000 + 20 * d,
        )
        for d in range(SPAN_DAYS)
    )
    for i in range(300):
        post = Post.objects.create(workspace=ws, text=f"Publication {i}")
        Variant.objects.create(
            workspace=ws,
            post=post,
            account=account,
            status=Status.PUBLISHED,
            published_at=SPAN_START + dt.timedelta(hours=7 * i),
            likes=rng.randint(0, 500),
            reposts=rng.randint(0, 50),
            replies=rng.randint(0, 30),
            views=rng.randint(100, 9000),
        )
    conversations_made = []
    for i in range(conversations):
        opened = SPAN_START + dt.timedelta(seconds=rng.randrange(SPAN_DAYS * 86_400))
        answered = rng.random() < 0.8
        conversations_made.append(
            Conversation(
                workspace=ws,
                network="bluesky",
                thread_key=f"t{i}",
                created_at=opened,
                first_inbound_at=opened,
                last_message_at=opened,
                first_response_at=opened + dt.timedelta(minutes=rng.randint(2, 600))
                if answered
                else None,
                breached_first=answered and rng.random() < 0.1,
            )
        )
    convs = Conversation.objects.bulk_create(conversations_made, batch_size=2_000)
    messages = Message.objects.bulk_create(
        (
            Message(
                workspace=ws,
                conversation=c,
                direction=Direction.IN,
                network="bluesky",
                text="?",
                sent_at=c.first_inbound_at,
            )
            for c in convs
        ),
        batch_size=2_000,
    )
    Action.objects.bulk_create(
        Action(
            workspace=ws,
            message=m,
            kind=rng.choice(["hide", "delete", "review"]),
            reason=rng.choice(["insult", "spam", "scam"]),
            created_at=m.sent_at,
        )
        for m in messages[: len(messages) // 10]
    )
    episode = Episode.objects.create(
        workspace=ws,
        kind="negative",
        severity="crisis",
        opened_at=dt.datetime(2026, 11, 12, tzinfo=dt.UTC),
        fired_at=dt.datetime(2026, 11, 12, tzinfo=dt.UTC),
        last_event_at=dt.datetime(2026, 11, 13, tzinfo=dt.UTC),
        query_name="Marque",
        mention_count=900,
        peak_value=120,
    )
    Crisis.objects.create(workspace=ws, episode=episode, started_at=episode.opened_at)
    for kind, target, unit in (
        ("image_change", 70, "%"),
        ("customer_care", 90, "%"),
        ("audience_growth", 11_000, ""),
        ("awareness", 30, "%"),
    ):
        Objective.objects.create(
            workspace=ws,
            kind=kind,
            title=kind,
            kpi=kind,
            target_value=target,
            unit=unit,
            period_start=MONTH[0],
            period_end=MONTH[1],
        )
    from parvis.core.maintenance import refresh_planner_statistics

    refresh_planner_statistics()


def measure(fmt: str) -> dict:
    setup()
    from parvis.analytics import report
    from parvis.workspaces.models import Workspace

    ws = Workspace.objects.get(slug=SLUG)
    start = time.perf_counter()
    content = report.generate(ws, MONTH[0], MONTH[1], fmt, language="fr")
    seconds = time.perf_counter() - start
    from parvis.listening.models import Mention

    return {
        "format": fmt,
        "seconds": round(seconds, 2),
        "bytes": len(content),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "mentions": Mention.objects.filter(workspace=ws).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--measure", choices=["pdf", "csv", "xlsx"])
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    os.environ.setdefault("PARVIS_DATA_DIR", tempfile.mkdtemp(prefix="parvis-bench-reports-"))
    started = time.perf_counter()
    build(args.mentions, args.conversations)
    print(
        json.dumps(
            {
                "built_seconds": round(time.perf_counter() - started, 1),
                "data_dir": os.environ["PARVIS_DATA_DIR"],
            }
        )
    )
    for fmt in ("pdf", "xlsx"):
        # Each report in a fresh process: its peak RSS is its own, and no cache helps it.
        subprocess.run(
            [sys.executable, __file__, "--measure", fmt], check=True, env=dict(os.environ)
        )


if __name__ == "__main__":
    main()
