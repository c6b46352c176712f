"""Brand safety's listening look-up on a large workspace: `recent_mentions_with_term` (and a
whole `check_post`) against N stored mentions, on SQLite or PostgreSQL (PARVIS_DATABASE_URL).

    python benchmarks/brand_safety.py --count 1000000     # SQLite in a temporary data dir
    PARVIS_DATABASE_URL=postgres://... python benchmarks/brand_safety.py --count 1000000

The rows are written raw (bulk insert + full-text index, as the pipeline's store does), over
30 days, words drawn at random, with terms of known frequency: a rare hashtag (0.5 %), a
common one (5 %), a very common word (20 %, past the SQLite drive cap) and an absent one.
A second workspace holds the same number of rows, so the index's matches are not all ours.
Prints one JSON line per term: p50 / max in ms over the rounds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TERMS = {"#iran": 0.005, "#deco": 0.05, "paris": 0.20}
VOCABULARY = [f"mot{i}" for i in range(5_000)]


def populate(ws, count: int, rng: random.Random) -> None:
    from django.db import transaction
    from django.utils import timezone

    from parvis.listening import bulk, search
    from parvis.listening.models import Author, Mention
    from parvis.listening.pipeline import MENTION_COLUMNS

    now = timezone.now()
    author = Author.objects.create(
        workspace=ws, network="bluesky", handle="bench", first_seen_at=now, last_seen_at=now
    )
    when = bulk.datetime_adapter()
    sentiments = ["negative", "neutral", "positive"]
    for start in range(0, count, 5_000):
        rows, texts = [], []
        for n in range(start, min(count, start + 5_000)):
            words = rng.sample(VOCABULARY, 12)
            words += [term for term, share in TERMS.items() if rng.random() < share]
            text = " ".join(words)
            published = now - dt.timedelta(seconds=rng.randrange(30 * 86_400))
            rows.append(
                (
                    *(ws.pk, "bluesky", f"{ws.slug}/{n}", "", author.pk, "", text, "fr"),
                    *(when(published), when(now), 0, 0, 0, 0, 0, "", "", None, "{}"),
                    *(rng.choice(sentiments), 0.0, 0.0, "{}", 0.0, "{}", "", True, 1),
                )
            )
            texts.append(text)
        with transaction.atomic():
            ids = bulk.allocate_ids(Mention, len(rows))
            bulk.insert(Mention, MENTION_COLUMNS, [(i, *r) for i, r in zip(ids, rows, strict=True)])
            search.index([(i, "fr", "", t) for i, t in zip(ids, texts, strict=True)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000, help="mentions per workspace")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--reuse", action="store_true", help="time the workspaces of PARVIS_DATA_DIR's last run"
    )
    args = parser.parse_args()
    os.environ.setdefault("PARVIS_DATA_DIR", tempfile.mkdtemp(prefix="parvis-safety-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parvis.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from parvis.listening.topics import recent_mentions_with_term
    from parvis.publishing.safety import check_post
    from parvis.workspaces.models import Workspace
    from parvis.workspaces.services import do_create_workspace

    call_command("migrate", verbosity=0)
    if args.reuse:
        ours = Workspace.objects.filter(name="Ours").latest("created_at")
    else:
        stamp = int(time.time())
        ours = do_create_workspace(f"safety{stamp}", "Ours")
        theirs = do_create_workspace(f"other{stamp}", "Theirs")
        started = time.perf_counter()
        rng = random.Random(1)
        populate(ours, args.count, rng)
        populate(theirs, args.count, rng)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        seconds = round(time.perf_counter() - started)
        print(json.dumps({"populated": 2 * args.count, "seconds": seconds}))
    since = timezone.now() - dt.timedelta(hours=72)
    for term in [*TERMS, "absent"]:
        timings, found = [], 0
        for _ in range(args.rounds):
            start = time.perf_counter()
            found = len(recent_mentions_with_term(ours.pk, term, since, limit=200))
            timings.append((time.perf_counter() - start) * 1000)
        print(
            json.dumps(
                {
                    "term": term,
                    "found": found,
                    "p50_ms": round(statistics.median(timings), 1),
                    "max_ms": round(max(timings), 1),
                    "vendor": connection.vendor,
                }
            )
        )
    start = time.perf_counter()
    findings = check_post(ours, "Nos canapés en promo ! #Iran #déco #Paris #Soldes #Noël")
    print(
        json.dumps(
            {
                "check_post_ms": round((time.perf_counter() - start) * 1000, 1),
                "findings": len(findings),
            }
        )
    )


if __name__ == "__main__":
    main()
