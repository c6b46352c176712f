"""What the per-workspace write lock costs: two processes writing batches at the same time on
PostgreSQL, into one workspace or two, with the lock (bulk.lock_workspace) and without it.

    python benchmarks/write_lock.py                          # throw-away PostgreSQL server
    python benchmarks/write_lock.py --database-url postgres://user:pw@host/db   # CREATEDB needed
    python benchmarks/write_lock.py --batches 4 --batch-size 500    # a quick check

Each round gets a fresh database. Both writer processes first prepare all their batches
(validate, enrich, match: the stages outside the write transaction, which the lock does not
touch) and write one small untimed batch (first-use costs), then start together and time only
the write transactions (pipeline.write). Rounds:

- one workspace, overlapping batches (half of each writer's items are also the other's), lock
  on: the case the lock exists for; the stored result is checked against a single writer's;
- one workspace, disjoint items and authors, lock on, then lock off (without the lock only
  disjoint batches can be written at all: overlapping ones fail on the unique constraints);
- two workspaces, lock on: must match "lock off" (the lock is per workspace);
- one writer alone, the same number of batches as both together: the serial baseline.

Prints one line per round (written mentions per second of wall time, from the first writer's
start to the last one's end). On a 2-core machine the enrichment-free write stage of two
processes competes with the PostgreSQL server for the same cores: compare rounds, not
machines.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scaleout  # noqa: E402  (throw-away PostgreSQL server, fresh databases)

ROUNDS = [
    # name, writers as (workspace, item set), lock
    ("one workspace, overlapping, lock", [("a", "shared"), ("a", "shared")], True),
    ("one workspace, disjoint, lock", [("a", "own"), ("a", "own")], True),
    ("one workspace, disjoint, no lock", [("a", "own"), ("a", "own")], False),
    ("two workspaces, lock", [("a", "own"), ("b", "own")], True),
    ("one writer alone (baseline)", [("a", "double")], True),
]


def items(writer: int, kind: str, count: int) -> list[dict]:
    """`count` mentions. shared: every other one is the other writer's too (same id, same
    author); own: ids and authors of this writer only; double: twice as many, one writer."""
    from ingest import corpus_texts

    texts = corpus_texts()
    out = []
    for n in range(count * (2 if kind == "double" else 1)):
        common = kind == "shared" and n % 2 == 0
        prefix = "s" if common else f"w{writer}"
        out.append(
            {
                "network": "bluesky",
                "external_id": f"{prefix}-{n}",
                "author": {"handle": f"{prefix}-author{n % 97}", "followers": n % 5000},
                "text": f"{texts[n % len(texts)]} #{n % 997}",
                "created_at": f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:00:00+00:00",
                "lang": "fr",
                "metrics": {"likes": n % 7, "reposts": n % 3, "replies": n % 2},
            }
        )
    return out


def child(plan: dict) -> None:
    """One writer: prepare every batch, wait for the start file, write them, report."""
    import django

    django.setup()
    from parvis.listening import bulk, pipeline
    from parvis.listening.pipeline import Batch, Incoming
    from parvis.workspaces.models import Workspace

    waited = [0.0]
    lock = bulk.lock_workspace

    def timed_lock(workspace_id: int) -> None:
        start = time.perf_counter()
        if plan["lock"]:
            lock(workspace_id)
        waited[0] += time.perf_counter() - start

    bulk.lock_workspace = timed_lock
    workspace = Workspace.objects.get(slug=plan["workspace"])
    data = items(plan["writer"], plan["items"], plan["batches"] * plan["batch_size"])
    size = plan["batch_size"]
    batches = []
    for start in range(0, len(data), size):
        incoming = [Incoming(d) for d in data[start : start + size]]
        batch = Batch(workspace=workspace, incoming=incoming)
        for stage in pipeline.PREPARE:
            stage(batch)
        batches.append(batch)
    # A first small write in each process, untimed: the connection's and the code's first-use
    # costs would otherwise count against whichever round serialises the writers.
    warm = [dict(d, external_id=f"warm{plan['writer']}-{n}") for n, d in enumerate(data[:10])]
    pipeline.run(workspace, [Incoming(d) for d in warm])
    Path(plan["ready"]).touch()
    go = Path(plan["go"])
    while not go.exists():
        time.sleep(0.005)
    began = time.time()
    stored = sum(pipeline.write(batch).stored for batch in batches)
    ended = time.time()
    print(json.dumps({"began": began, "ended": ended, "stored": stored, "waited": waited[0]}))


def check(url: str) -> str:
    """'ok' when the database holds what one writer would have: no duplicate mention, every
    author's count equal to its mentions."""
    with scaleout.pg_connect(url) as conn:
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM listening_mention "
            "GROUP BY workspace_id, network, external_id HAVING count(*) > 1) d"
        ).fetchone()[0]
        wrong = conn.execute(
            "SELECT count(*) FROM listening_author a WHERE a.mention_count <> "
            "(SELECT count(*) FROM listening_mention m WHERE m.author_id = a.id)"
        ).fetchone()[0]
    return "ok" if not duplicates and not wrong else f"WRONG ({duplicates} dup, {wrong} authors)"


def one_round(name: str, writers: list, lock: bool, admin_url: str, args) -> str:
    with ExitStack() as stack:
        url = stack.enter_context(scaleout.fresh_database(admin_url))
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="parvis-lock.")))
        env = {**scaleout.parvis_env(workdir, url, ""), "DJANGO_SETTINGS_MODULE": "parvis.settings"}
        env.pop("PARVIS_REDIS_URL")
        scaleout.run(["migrate"], env)
        setup = "from parvis.workspaces.services import do_create_workspace as c; "
        setup += "c('a', 'a'); c('b', 'b')"
        subprocess.run([sys.executable, "-c", f"import django; django.setup(); {setup}"],
                       env=env, check=True)  # fmt: skip
        go = workdir / "go"
        processes = []
        for n, (workspace, kind) in enumerate(writers):
            plan = {
                "writer": n,
                "workspace": workspace,
                "items": kind,
                "lock": lock,
                "batches": args.batches,
                "batch_size": args.batch_size,
                "ready": str(workdir / f"ready{n}"),
                "go": str(go),
            }
            processes.append(
                subprocess.Popen(
                    [sys.executable, __file__, "--child", json.dumps(plan)],
                    env=env,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        deadline = time.monotonic() + args.timeout
        while not all((workdir / f"ready{n}").exists() for n in range(len(writers))):
            if time.monotonic() > deadline or any(p.poll() for p in processes):
                for p in processes:
                    p.kill()
                return f"{name:36s} FAILED while preparing"
            time.sleep(0.05)
        go.touch()
        results = []
        for p in processes:
            out, _ = p.communicate(timeout=max(1, deadline - time.monotonic()))
            if p.returncode:
                return f"{name:36s} FAILED (a writer exited {p.returncode})"
            results.append(json.loads(out.strip().splitlines()[-1]))
        seconds = max(r["ended"] for r in results) - min(r["began"] for r in results)
        stored = sum(r["stored"] for r in results)
        return (
            f"{name:36s} {stored / seconds:8,.0f} mentions/s written  "
            f"({stored:,} in {seconds:.2f} s, {len(writers)} writer(s), "
            f"{sum(r['waited'] for r in results):.2f} s waiting for the lock, "
            f"result {check(url)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an existing PostgreSQL server (CREATEDB)")
    parser.add_argument("--batches", type=int, default=20, help="per writer")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per round")
    parser.add_argument("--only", default="", help="the rounds whose name contains this")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    print(
        f"{args.batches} batches of {args.batch_size} per writer, {os.cpu_count()} cores",
        flush=True,
    )
    with ExitStack() as stack:
        admin_url = args.database_url
        if not admin_url:
            admin_url, _ = stack.enter_context(scaleout.postgres_server("256MB"))
        for name, writers, lock in ROUNDS:
            if args.only not in name:
                continue
            print(one_round(name, writers, lock, admin_url, args), flush=True)


if __name__ == "__main__":
    main()
