"""Ingestion benchmark: N normalized mentions end to end through `ingest_lines` (parse,
validate, dedupe, enrich with the local models, match queries, store, index), on SQLite or
PostgreSQL (PARVIS_DATABASE_URL), against the ceiling of a raw batched insert of the same
rows. Each phase runs in its own process so its peak RSS is its own.

    python benchmarks/ingest.py --count 100000            # SQLite in a temporary data dir
    PARVIS_DATABASE_URL=postgres://... python benchmarks/ingest.py --count 100000

Prints one JSON object per phase and a summary line.
"""

from __future__ import annotations

import argparse
import dataclasses
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

NETWORKS = ["bluesky", "mastodon", "reddit", "youtube", "rss", "hackernews"]
QUERIES = [
    ("Marque", "brand", '"maison lumiere" OR maisonlumiere OR #maisonlumiere'),
    ("Concurrent", "competitor", '"cire & sens" OR cireetsens'),
    ("Bougies", "topic", "(bougie* OR candle*) AND (vegetale OR colza OR soja)"),
]


def corpus_texts() -> list[str]:
    """Realistic texts from the demo corpus, varied further with numbers and names."""
    import datetime as dt

    from parvis.demo import corpus as demo_corpus

    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    return [item["text"] for item in demo_corpus.backlog(now, days=30, seed=11)]


def write_jsonl(path: Path, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    texts = corpus_texts()
    authors = [f"author{i}" for i in range(max(50, count // 20))]
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            handle = rng.choice(authors)
            text = rng.choice(texts)
            # A suffix keeps most texts distinct, as real streams are (campaigns aside).
            if rng.random() < 0.9:
                text = f"{text} #{n % 997}"
            item = {
                "network": rng.choice(NETWORKS),
                "external_id": f"bench-{n}",
                "url": f"https://example.test/{n}",
                "author": {
                    "handle": handle,
                    "name": handle.title(),
                    "followers": rng.randint(0, 50_000),
                },
                "text": text,
                "created_at": f"2026-10-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00+00:00",
                "metrics": {"likes": n % 50, "reposts": n % 7, "replies": n % 5},
            }
            out.write(json.dumps(item, ensure_ascii=False) + "\n")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parvis.settings")
    import django

    django.setup()


def fresh_workspace():
    from django.core.management import call_command

    from parvis.listening.models import MonitoredQuery
    from parvis.workspaces.models import Workspace
    from parvis.workspaces.services import do_create_workspace

    call_command("migrate", verbosity=0)
    slug = f"bench{int(time.time())}"
    if Workspace.objects.filter(slug=slug).exists():
        raise SystemExit("workspace exists")
    ws = do_create_workspace(slug, "Bench")
    for name, kind, expression in QUERIES:
        MonitoredQuery.objects.create(workspace=ws, name=name, kind=kind, expression=expression)
    return ws


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def timed_stages(cpu: dict[str, float] | None = None) -> dict[str, float]:
    """Wrap every pipeline stage, and each batch's whole write transaction, with a timer
    (benchmark only); `cpu` receives each stage's CPU seconds in this process (SQLite's own
    work included, the PostgreSQL server's not), which other load on the machine barely
    changes."""
    from parvis.listening import pipeline

    totals: dict[str, float] = {}
    cpu = {} if cpu is None else cpu

    def wrap(run, key):
        def timed(batch):
            start, cpu_start = time.perf_counter(), time.thread_time()
            result = run(batch)
            totals[key] = totals.get(key, 0.0) + time.perf_counter() - start
            cpu[key] = cpu.get(key, 0.0) + time.thread_time() - cpu_start
            return result

        return timed

    def key(stage):
        # Stages of the write transaction are keyed apart (drop_known runs in both).
        return f"{stage.name} (write)" if stage.phase is pipeline.Phase.WRITE else stage.name

    for stages in (pipeline.PREPARE, pipeline.WRITE, pipeline.AFTER_COMMIT):
        stages[:] = [dataclasses.replace(s, run=wrap(s.run, key(s))) for s in stages]
    pipeline.write = wrap(pipeline.write, "write transaction")
    return totals


def batch_size_option() -> dict:
    """PARVIS_BENCH_BATCH (set by --batch-size) overrides the importer's batch size."""
    size = os.environ.get("PARVIS_BENCH_BATCH")
    return {"batch_size": int(size)} if size else {}


def phase_ingest(path: Path) -> dict:
    setup_django()
    from parvis.intelligence import analyze
    from parvis.listening.ingest import ingest_lines

    ws = fresh_workspace()
    analyze(["warm up the models"])  # model loading is start-up cost, not throughput
    stage_cpu: dict[str, float] = {}
    stages = timed_stages(stage_cpu)
    helper: dict[str, float] = {}
    start, cpu_start = time.perf_counter(), time.process_time()
    with path.open(encoding="utf-8") as handle:
        summary = ingest_lines(ws, handle, origin=path.name, timings=helper, **batch_size_option())
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    from parvis.core.maintenance import refresh_planner_statistics

    refresh_planner_statistics()  # as `parvis ingest` does, for the explorer benchmark
    write = stages.pop("write transaction", 0.0)
    commit = write - sum(v for k, v in stages.items() if k.endswith(" (write)"))
    seconds = {k: round(v, 2) for k, v in stages.items()}
    main_rss, helper_rss = peak_rss_mb(), peak_rss_mb(resource.RUSAGE_CHILDREN)
    return {
        "phase": "ingest",
        "summary": summary.as_dict(),
        "seconds": round(elapsed, 2),
        "mentions_per_s": round(summary.stored / elapsed),
        "stage_seconds": seconds,
        "stage_cpu_seconds": {k: round(v, 2) for k, v in stage_cpu.items()},
        "stage_items_per_s": {k: round(summary.read / v) for k, v in stages.items() if v > 0},
        "write_transaction_seconds": round(write, 2),
        "commit_seconds_about": round(max(commit, 0.0), 2),
        # CPU seconds: unlike wall time, barely affected by other load on the machine.
        "main_cpu_seconds": round(cpu, 2),
        "helper_cpu_seconds": round(children.ru_utime + children.ru_stime, 2),
        "helper_enrich_seconds": round(helper.get("enrich_helper", 0.0), 2),
        "waiting_for_helper_seconds": round(helper.get("enrich_wait", 0.0), 2),
        "peak_rss_mb": round(main_rss),
        "helper_peak_rss_mb": round(helper_rss),
        "peak_rss_total_mb": round(main_rss + helper_rss),
        "workspace": ws.slug,
    }


def ceiling_rows(path: Path, ws, author_id: int, now):
    """The benchmark's rows as full mention rows (every column the pipeline writes)."""
    import datetime as dt

    from parvis.listening import bulk

    when = bulk.datetime_adapter()
    ingested_at = when(now)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            metrics = item["metrics"]
            engagement = metrics["likes"] + metrics["reposts"] + metrics["replies"]
            yield (
                *(ws.pk, item["network"], item["external_id"], item["url"], author_id),
                *("", item["text"], "", when(dt.datetime.fromisoformat(item["created_at"]))),
                *(ingested_at, metrics["likes"], metrics["reposts"], metrics["replies"]),
                *(engagement, item["author"]["followers"], "", "", None, json.dumps(item)),
                *("neutral", 0.0, 0.0, "{}", 0.0, "{}", "", True, 1),
            )


def phase_ceiling(path: Path) -> dict:
    """The same rows, inserted raw in batches of 1,000 (ids allocated, executemany on
    SQLite, COPY on PostgreSQL: what the pipeline's store does for mentions): no validation,
    enrichment, matching, authors, groups or full-text index."""
    setup_django()
    from django.db import transaction
    from django.utils import timezone

    from parvis.listening import bulk
    from parvis.listening.models import Author, Mention
    from parvis.listening.pipeline import MENTION_COLUMNS

    ws = fresh_workspace()
    author = Author.objects.create(
        workspace=ws,
        network="bluesky",
        handle="ceiling",
        first_seen_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    start = time.perf_counter()
    count = 0

    def flush(rows):
        with transaction.atomic():
            ids = bulk.allocate_ids(Mention, len(rows))
            bulk.insert(Mention, MENTION_COLUMNS, [(i, *r) for i, r in zip(ids, rows, strict=True)])

    rows = []
    for row in ceiling_rows(path, ws, author.pk, timezone.now()):
        rows.append(row)
        if len(rows) == 1000:
            flush(rows)
            count += len(rows)
            rows = []
    if rows:
        flush(rows)
        count += len(rows)
    elapsed = time.perf_counter() - start
    return {
        "phase": "ceiling",
        "rows": count,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(count / elapsed),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def phase_ceiling_orm(path: Path) -> dict:
    """The ceiling as measured before raw inserts: Django's bulk_create of the same rows
    (kept for comparison with earlier figures)."""
    setup_django()
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from parvis.listening.models import Author, Mention

    ws = fresh_workspace()
    author = Author.objects.create(
        workspace=ws,
        network="bluesky",
        handle="ceiling",
        first_seen_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    start = time.perf_counter()
    now = timezone.now()
    count = 0
    with path.open(encoding="utf-8") as handle:
        rows = []
        for line in handle:
            item = json.loads(line)
            rows.append(
                Mention(
                    workspace=ws,
                    network=item["network"],
                    external_id=item["external_id"],
                    url=item["url"],
                    author=author,
                    text=item["text"],
                    published_at=dt.datetime.fromisoformat(item["created_at"]),
                    ingested_at=now,
                    raw=item,
                )
            )
            if len(rows) == 1000:
                with transaction.atomic():
                    Mention.objects.bulk_create(rows)
                count += len(rows)
                rows = []
        if rows:
            with transaction.atomic():
                Mention.objects.bulk_create(rows)
            count += len(rows)
    elapsed = time.perf_counter() - start
    return {
        "phase": "ceiling_orm",
        "rows": count,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(count / elapsed),
        "peak_rss_mb": round(peak_rss_mb()),
    }


PHASES = {"ingest": phase_ingest, "ceiling": phase_ceiling, "ceiling_orm": phase_ceiling_orm}


def run_phase(name: str, path: Path, env: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--file", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--phase", choices=sorted(PHASES))
    parser.add_argument("--file", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the data dir (for explorer)")
    parser.add_argument("--batch-size", type=int, help="importer batch size (default its own)")
    parser.add_argument(
        "--no-orm-ceiling", action="store_true", help="skip the bulk_create ceiling (slow at 1M)"
    )
    parser.add_argument("--no-ceiling", action="store_true", help="skip both ceilings")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="start a throw-away PostgreSQL (as benchmarks/scaleout.py does) and count its CPU",
    )
    parser.add_argument("--shared-buffers", default="1GB", help="with --postgres")
    parser.add_argument(
        "--pg-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with --postgres: another server setting (repeatable)",
    )
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args.file)))
        return
    if args.postgres:
        scaleout = sibling("scaleout")
        with scaleout.postgres_server(args.shared_buffers, tuple(args.pg_setting)) as (url, pid):
            database = f"bench{os.getpid()}"
            subprocess.run(["psql", url, "-qc", f"CREATE DATABASE {database}"], check=True, cwd="/")
            os.environ["PARVIS_DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + database
            run(args, lambda: scaleout.server_cpu(pid))
        return
    run(args, None)


def sibling(name: str):
    """benchmarks/<name>.py as a module."""
    import importlib.util

    here = Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location(f"bench_{name}", here / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(args: argparse.Namespace, server_cpu) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="parvis-bench-"))
    path = workdir / "mentions.jsonl"
    write_jsonl(path, args.count)
    env = {**os.environ, "PARVIS_DATA_DIR": os.environ.get("PARVIS_DATA_DIR", str(workdir))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if args.batch_size:
        env["PARVIS_BENCH_BATCH"] = str(args.batch_size)
    vendor = "postgresql" if env.get("PARVIS_DATABASE_URL") else "sqlite"
    load = os.getloadavg()
    server_before = server_cpu() if server_cpu else 0.0
    ingest = run_phase("ingest", path, env)
    if server_cpu:
        # Start-up and migrations included: a few seconds at most.
        ingest["server_cpu_seconds"] = round(server_cpu() - server_before, 2)
    print(json.dumps(ingest))
    ceiling = None if args.no_ceiling else run_phase("ceiling", path, env)
    if ceiling:
        print(json.dumps(ceiling))
    orm = None if args.no_orm_ceiling or args.no_ceiling else run_phase("ceiling_orm", path, env)
    if orm:
        print(json.dumps(orm))
    ratio = ingest["mentions_per_s"] / ceiling["rows_per_s"] if ceiling else float("nan")
    stages = ", ".join(f"{k} {v}" for k, v in ingest["stage_seconds"].items() if v >= 0.01)
    cpu = ", ".join(f"{k} {v}" for k, v in ingest["stage_cpu_seconds"].items() if v >= 0.01)
    orm_part = (
        f", bulk_create ceiling {orm['rows_per_s']} rows/s "
        f"(ratio {ingest['mentions_per_s'] / orm['rows_per_s']:.2f})"
        if orm
        else ""
    )
    print(
        f"{vendor}: {args.count} mentions in {ingest['seconds']} s, "
        f"{ingest['mentions_per_s']} mentions/s end to end (target >= 5000), "
        f"peak RSS {ingest['peak_rss_mb']} MB + helper {ingest['helper_peak_rss_mb']} MB "
        f"= {ingest['peak_rss_total_mb']} MB (target < 1024), "
        f"raw insert ceiling {ceiling['rows_per_s'] if ceiling else '-'} rows/s, "
        f"ratio {ratio:.2f}{orm_part}\n"
        f"  stage seconds (main process): {stages}; write transactions "
        f"{ingest['write_transaction_seconds']} (commits ~{ingest['commit_seconds_about']}); "
        f"helper enrich {ingest['helper_enrich_seconds']}, waited for helper "
        f"{ingest['waiting_for_helper_seconds']}\n"
        f"  stage CPU seconds (main process): {cpu}\n"
        f"  CPU seconds: main process {ingest['main_cpu_seconds']}, helper "
        f"{ingest['helper_cpu_seconds']}, database server "
        f"{ingest.get('server_cpu_seconds', 'not counted')}\n"
        f"  load average before / after: {load[0]:.2f} / {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} cores; data in {workdir}"
    )


if __name__ == "__main__":
    main()
