"""Explorer latency on a populated workspace: p50/p95 of the mention list with filters and of
full-text searches, through the whole Django stack (middleware, views, templates), in-process.

    python benchmarks/ingest.py --count 1000000          # prints the data dir and workspace
    PARVIS_DATA_DIR=<dir> python benchmarks/explorer.py --workspace <slug>
    (add PARVIS_DATABASE_URL=... for PostgreSQL)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LIST_CASES = [
    {},
    {"sentiment": "negative"},
    {"network": "bluesky", "sentiment": "positive"},
    {"lang": "fr", "min_reach": "10000"},
    {"sort": "reach"},
    {"sort": "engagement", "network": "reddit"},
    {"since": "2026-10-10", "until": "2026-10-12"},
    {"query": "QUERY"},
]
SEARCH_CASES = [
    {"q": "bougie"},
    {"q": "livraison"},
    {"q": "societe"},
    {"q": "cire colza"},
    {"q": "figue", "sentiment": "negative"},
    {"q": "giveaway"},
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(client, url: str, cases: list[dict], rounds: int) -> dict:
    timings = []
    for _ in range(rounds):
        for params in cases:
            start = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (params, response.status_code)
    return {
        "requests": len(timings),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "max_ms": round(max(timings), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("PARVIS_ALLOWED_HOSTS", "testserver")
    os.environ["PARVIS_DEMO"] = "1"  # plain-http session cookie for the test client
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parvis.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from parvis.listening.models import Mention, MonitoredQuery
    from parvis.workspaces.models import Workspace
    from parvis.workspaces.services import do_add_member

    workspace = Workspace.objects.get(slug=args.workspace)
    user, _ = get_user_model().objects.get_or_create(username="bench-reader")
    if not workspace.memberships.filter(user=user).exists():
        do_add_member(workspace, user, "analyst")
    query = MonitoredQuery.objects.filter(workspace=workspace).first()
    cases = [{k: (str(query.pk) if v == "QUERY" else v) for k, v in c.items()} for c in LIST_CASES]
    client = Client()
    client.force_login(user)
    url = f"/w/{workspace.slug}/listening/"
    client.get(url)  # warm up
    result = {
        "mentions": Mention.objects.filter(workspace=workspace).count(),
        "vendor": django.db.connection.vendor,
        "list": measure(client, url, cases, args.rounds),
        "search": measure(client, url, SEARCH_CASES, args.rounds),
    }
    print(json.dumps(result))
    print(
        f"{result['vendor']} at {result['mentions']} mentions: filtered list p50 "
        f"{result['list']['p50_ms']} ms, p95 {result['list']['p95_ms']} ms (target < 100); "
        f"full-text p50 {result['search']['p50_ms']} ms, p95 {result['search']['p95_ms']} ms "
        "(target < 200)"
    )


if __name__ == "__main__":
    main()
