"""Moderation speed: from a comment's arrival in Parvis (its mention stored) to the network
confirming it is hidden, through a real `parvis worker` (intake → rules → network action: three
queued tasks), on the demo connector (offline; its network is a table).

    python benchmarks/moderation.py --count 40
    (PARVIS_DATABASE_URL / PARVIS_REDIS_URL for PostgreSQL and Redis; a throw-away data dir)

Half the comments are scams the default rules hide, half ordinary comments. They arrive one
every --every seconds, as a source's batches do. Target: every hidden one within 60 s;
median and p95 printed. Bounded: gives up --timeout seconds after the last comment.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
TARGET_S = 60.0
BRAND = "maisonlumiere.demo"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def comment(n: int, scam: bool) -> dict:
    text = (
        f"@{BRAND} Colis bloqué n°{n} : payez les frais de livraison sur http://colis-{n}.top/p"
        if scam
        else f"@{BRAND} Bonjour, ma commande {n} arrive quand ? Merci !"
    )
    return {
        "network": "bluesky",
        "external_id": f"at://did:plc:bench/app.bsky.feed.post/{n:06d}-{int(time.time())}",
        "url": f"https://bsky.app/profile/c{n}.bsky.social/post/{n:06d}",
        "author": {"handle": f"c{n}.bsky.social", "name": f"Client {n}", "followers": 10},
        "text": text,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "lang": "fr",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--every", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    data_dir = os.environ.setdefault("PARVIS_DATA_DIR", tempfile.mkdtemp(prefix="parvis-modbench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parvis.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from parvis.connectors.base import Incoming
    from parvis.inbox.models import Message
    from parvis.listening import pipeline
    from parvis.listening.models import Mention, Source
    from parvis.listening.sources import do_create_source
    from parvis.moderation import services
    from parvis.moderation.models import Action
    from parvis.workspaces.models import NetworkChoice
    from parvis.workspaces.services import do_create_workspace

    call_command("migrate", verbosity=0)
    slug = f"modbench-{int(time.time())}"
    workspace = do_create_workspace(slug, "Moderation bench")
    NetworkChoice.objects.create(workspace=workspace, network="bluesky", handle=BRAND)
    source = do_create_source(workspace, kind="demo", name="bench", config={"seed": 1})
    # The replay itself must not run: only the comments below arrive.
    Source.objects.filter(pk=source.pk).update(is_active=False, next_run_at=None)
    source.refresh_from_db()
    services.do_install_defaults(workspace, None, enabled=True)

    worker = subprocess.Popen(
        [sys.executable, "-m", "parvis.cli", "worker", "--workers", "2"],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)  # the consumer starts
        scams = []
        for n in range(args.count):
            item = comment(n, scam=n % 2 == 0)
            pipeline.run(
                workspace,
                [Incoming(item, json.dumps(item))],
                source=source,
                keep_unmatched=True,
            )
            if n % 2 == 0:
                scams.append(item["external_id"])
            time.sleep(args.every)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            done = Action.objects.filter(
                workspace=workspace, kind="hide", state="done", message__external_id__in=scams
            ).count()
            if done == len(scams):
                break
            time.sleep(0.5)
        latencies = []
        for external_id in scams:
            mention = Mention.objects.get(workspace=workspace, external_id=external_id)
            action = Action.objects.filter(
                workspace=workspace, kind="hide", message__external_id=external_id, state="done"
            ).first()
            if action is not None:
                latencies.append((action.done_at - mention.ingested_at).total_seconds())
        kept_visible = Message.objects.filter(
            workspace=workspace, moderation="", text__contains="arrive quand"
        ).count()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    result = {
        "vendor": connection.vendor,
        "comments": args.count,
        "to_hide": len(scams),
        "hidden": len(latencies),
        "ordinary_kept_visible": kept_visible,
        "median_s": round(statistics.median(latencies), 2) if latencies else None,
        "p95_s": round(percentile(latencies, 95), 2) if latencies else None,
        "max_s": round(max(latencies), 2) if latencies else None,
        "data_dir": data_dir,
    }
    print(json.dumps(result))
    met = latencies and len(latencies) == len(scams) and max(latencies) <= TARGET_S
    print(
        f"{result['vendor']}: {result['hidden']}/{result['to_hide']} scams hidden, median "
        f"{result['median_s']} s, p95 {result['p95_s']} s, max {result['max_s']} s from arrival "
        f"to the network's confirmation (target ≤ {TARGET_S:.0f} s: {'met' if met else 'MISSED'});"
        f" {kept_visible}/{args.count - len(scams)} ordinary comments left visible"
    )


if __name__ == "__main__":
    main()
