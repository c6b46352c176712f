"""Inbox list latency with 100,000 conversations: p50/p95 of the default views (assigned to
me, unassigned, at risk) through the whole Django stack (middleware, view, template), in-process,
and of the API's list.

    PARVIS_DATA_DIR=/tmp/inbox-bench python benchmarks/inbox.py --build 100000
    (add PARVIS_DATABASE_URL=... for PostgreSQL; --build fills the workspace « inbox-bench »
    once, and is skipped when it holds conversations already)

Target: p95 < 150 ms for each default view (issue 10). One JSON line, then a summary line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SLUG = "inbox-bench"
TARGET_MS = 150
VIEWS = ["mine", "unassigned", "at_risk"]
NETWORKS = ["bluesky", "mastodon", "reddit", "youtube"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def build(count: int, seed: int = 3) -> None:
    """`count` conversations over a year: a fifth active (new/open), spread over 8 members,
    with authors, tags and the SLA columns filled as intake would."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from parvis.inbox.models import Conversation, Tag
    from parvis.listening.models import Author
    from parvis.workspaces.models import Workspace
    from parvis.workspaces.services import do_add_member, do_create_workspace

    rng = random.Random(seed)
    workspace = Workspace.objects.filter(slug=SLUG).first() or do_create_workspace(
        SLUG, "Inbox bench"
    )
    if Conversation.objects.filter(workspace=workspace).exists():
        return
    users = []
    for n in range(8):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-cm{n}")
        if not workspace.memberships.filter(user=user).exists():
            do_add_member(workspace, user, "community_manager")
        users.append(user)
    now = dt.datetime.now(dt.UTC)
    authors = Author.objects.bulk_create(
        Author(
            workspace=workspace,
            network=NETWORKS[n % 4],
            handle=f"customer{n}.example",
            name=f"Client {n}",
            first_seen_at=now,
            last_seen_at=now,
        )
        for n in range(5000)
    )
    tags = [
        Tag.objects.create(workspace=workspace, name=name)
        for name in ("SAV", "livraison", "compliment")
    ]
    through = Conversation.tags.through
    batch: list[Conversation] = []
    for n in range(count):
        age = dt.timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        last = now - age
        active = rng.random() < 0.2
        status = (
            rng.choice(["new", "open"])
            if active
            else rng.choice(["waiting", "resolved", "resolved", "spam"])
        )
        assignee = rng.choice([*users, None, None]) if status != "new" else None
        due = last + dt.timedelta(hours=rng.choice([4, 8, 30, 60]))
        batch.append(
            Conversation(
                workspace=workspace,
                network=NETWORKS[n % 4],
                thread_key=f"bench-{n}",
                author=authors[n % len(authors)],
                subject=f"Question numéro {n} sur une commande",
                status=status,
                priority=rng.choice([0, 1, 1, 1, 2, 3]),
                assignee=assignee,
                created_at=last,
                first_inbound_at=last,
                last_inbound_at=last,
                last_message_at=last,
                clock="first" if active else "",
                due_at=due if active else None,
                at_risk_at=due - dt.timedelta(hours=1) if active else None,
                first_response_due_at=due,
                message_count=rng.randrange(1, 6),
                unread=active and rng.random() < 0.5,
            )
        )
        if len(batch) == 5000:
            with transaction.atomic():
                made = Conversation.objects.bulk_create(batch)
                through.objects.bulk_create(
                    through(conversation_id=c.pk, tag_id=rng.choice(tags).pk)
                    for c in made
                    if rng.random() < 0.4
                )
            batch = []
    if batch:
        Conversation.objects.bulk_create(batch)


def measure(client, url: str, params: list[dict], rounds: int) -> dict:
    timings = []
    for _ in range(rounds):
        for p in params:
            start = time.perf_counter()
            response = client.get(url, p)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, p, response.status_code)
    return {
        "requests": len(timings),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "max_ms": round(max(timings), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--page", default="/w/{slug}/inbox/", help="the inbox page's path")
    args = parser.parse_args()
    os.environ.setdefault("PARVIS_ALLOWED_HOSTS", "testserver")
    os.environ["PARVIS_DEMO"] = "1"  # plain-http session cookie for the test client
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parvis.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from parvis.core.tokens import do_create_token
    from parvis.inbox.models import Conversation

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build(args.build)
    built_s = round(time.perf_counter() - started, 1)
    # Statistics, as a live database has them (autovacuum; core.maintenance on SQLite).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    user = get_user_model().objects.get(username="bench-cm0")
    client = Client()
    client.force_login(user)
    page = args.page.format(slug=SLUG)
    token = do_create_token(user, name="bench").raw
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    api_url = f"/api/v1/workspaces/{SLUG}/inbox"
    result: dict = {
        "vendor": connection.vendor,
        "conversations": Conversation.objects.filter(workspace__slug=SLUG).count(),
        "build_s": built_s,
    }
    for view in VIEWS:
        client.get(page, {"view": view})  # warm up
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        # The test client's request signal empties connection.queries: count at the driver.
        with connection.execute_wrapper(count):
            client.get(page, {"view": view})
        result[f"page_{view}"] = measure(client, page, [{"view": view}], args.rounds)
        result[f"page_{view}"]["queries"] = len(queries)
        result[f"api_{view}"] = measure(api, api_url, [{"view": view}], args.rounds)
    print(json.dumps(result))
    worst = max(result[f"page_{v}"]["p95_ms"] for v in VIEWS)
    print(
        f"{result['vendor']} at {result['conversations']} conversations: default views p95 "
        + ", ".join(f"{v} {result[f'page_{v}']['p95_ms']} ms" for v in VIEWS)
        + f" (target < {TARGET_MS}: {'met' if worst < TARGET_MS else 'MISSED'}); API "
        + ", ".join(f"{v} {result[f'api_{v}']['p95_ms']} ms" for v in VIEWS)
    )


if __name__ == "__main__":
    main()
