"""Scale-out benchmark: ingestion throughput of 1, 2, 3… `parvis worker` processes on
PostgreSQL + Redis, each figure beside the one-process figure, with where the CPU went
(the worker processes, the PostgreSQL server, Redis) to tell what the plateau comes from.

    python benchmarks/scaleout.py                        # throw-away PostgreSQL and Redis
    python benchmarks/scaleout.py --database-url postgres://user:pw@host/db \\
        --redis-url redis://host:6379/0                  # existing servers (CREATEDB needed)

Each round gets a fresh database, migrates it, creates the sources (JSON Lines files of the
ingestion benchmark's mentions, `--sources` of them, each in its own workspace unless
`--same-workspace`), starts the workers (one task at a time each), then times from the
moment the runs are queued until every source's cursor is at the end of its file. Prints
one line per round; every round is bounded by `--timeout`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ingest  # noqa: E402  (the ingestion benchmark's mentions and queries)

TICKS = os.sysconf("SC_CLK_TCK")

SETUP = """
import datetime as dt, json
from django.utils import timezone
from parvis.listening.models import MonitoredQuery, Source
from parvis.listening.sources import do_create_source
from parvis.workspaces.services import do_create_workspace
plan = json.loads(PLAN)
workspaces = {}
for n, path in enumerate(plan["files"]):
    slug = "bench" if plan["same_workspace"] else f"bench{n}"
    if slug not in workspaces:
        workspaces[slug] = do_create_workspace(slug, slug)
        for name, kind, expression in plan["queries"]:
            MonitoredQuery.objects.create(
                workspace=workspaces[slug], name=name, kind=kind, expression=expression
            )
    do_create_source(workspaces[slug], kind="jsonl_file", name=f"feed{n}", config={"path": path})
# Only the benchmark queues runs: the scheduler must not add its own.
Source.objects.update(next_run_at=timezone.now() + dt.timedelta(days=1))
"""
ENQUEUE = """
from parvis.listening.models import Source
from parvis.listening.tasks import run_source_task
for pk in Source.objects.values_list("pk", flat=True):
    run_source_task(pk)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parvis() -> list[str]:
    script = Path(sys.executable).with_name("parvis")
    return [str(script)] if script.exists() else [sys.executable, "-m", "parvis.cli"]


def cpu_seconds(pid: int, children: bool = False) -> float:
    """utime + stime of a live process (and of its reaped children), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def server_cpu(root_pid: int) -> float:
    """CPU seconds of a server and every process it forked (PostgreSQL's backends), live or
    gone (a reaped child's time is in its parent's cutime)."""
    total = cpu_seconds(root_pid, children=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == root_pid:
                total += cpu_seconds(int(entry.name))
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, every process included."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


# --- throw-away servers -------------------------------------------------------------------


def as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def pg_bin() -> Path:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists():
            return folder
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise SystemExit("PostgreSQL not found (apt-get install postgresql), or pass --database-url")


@contextmanager
def postgres_server(shared_buffers: str, settings: tuple[str, ...] = ()):
    """A local cluster with default durability (fsync on), trust auth on 127.0.0.1; yields
    (admin URL, postmaster pid). `settings`: more "name=value" server settings."""
    binaries = pg_bin()
    root = Path(tempfile.mkdtemp(prefix="parvis-scale-pg."))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    port = free_port()
    data = root / "data"
    initdb = [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
    subprocess.run(
        as_postgres([*initdb, "-E", "UTF8", "--no-locale", "--no-instructions"]),
        check=True,
        capture_output=True,
        cwd="/",
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} "
        f"-c shared_buffers={shared_buffers} -c max_connections=200"
    ) + "".join(f" -c {setting}" for setting in settings)
    ctl = [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w"]
    subprocess.run(as_postgres([*ctl, "-o", options, "start"]), check=True, cwd="/")
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
        yield f"postgres://postgres@127.0.0.1:{port}/postgres", pid
    finally:
        subprocess.run(as_postgres([*ctl, "-m", "fast", "stop"]), check=False, cwd="/")
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def redis_server():
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("redis-server did not start") from None
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- one round ----------------------------------------------------------------------------


def pg_connect(url: str, **kwargs: Any):
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), **kwargs)


@contextmanager
def fresh_database(admin_url: str):
    name = f"parvis_scale_{uuid.uuid4().hex[:8]}"
    with pg_connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with pg_connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def parvis_env(workdir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARVIS_", "DJANGO_"))}
    env.update(
        PARVIS_DATA_DIR=str(workdir),
        PARVIS_DATABASE_URL=database_url,
        PARVIS_REDIS_URL=redis_url,
        PARVIS_QUEUE_NAME=f"scale{uuid.uuid4().hex[:8]}",
        PYTHONUNBUFFERED="1",
    )
    return env


def run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([*parvis(), *args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"parvis {args[0]} failed:\n{done.stdout}\n{done.stderr}")


def sources_done(url: str, ends: dict[str, int]) -> bool:
    with pg_connect(url) as conn:
        rows = conn.execute("SELECT lease_owner, config, cursor FROM listening_source").fetchall()
    return len(rows) == len(ends) and all(
        not owner and cursor.get("offset") == ends[config["path"]] for owner, config, cursor in rows
    )


def stored(url: str) -> int:
    with pg_connect(url) as conn:
        return conn.execute("SELECT COUNT(*) FROM listening_mention").fetchone()[0]


def start_workers(
    count: int, env: dict[str, str], workdir: Path, threads: int = 1
) -> list[subprocess.Popen]:
    workers = []
    for n in range(count):
        log = (workdir / f"worker{n}.log").open("ab")
        workers.append(
            subprocess.Popen(
                [*parvis(), "worker", "--workers", str(threads)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        )
    deadline = time.monotonic() + 60
    for n, worker in enumerate(workers):
        log = workdir / f"worker{n}.log"
        while "consumer started" not in log.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker {n} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
    time.sleep(1)  # the tasks module imports and models load after the banner
    return workers


def one_round(workers: int, files: dict[str, int], plan: dict, servers: dict) -> dict:
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="parvis-scale.")))
        url = stack.enter_context(fresh_database(servers["database"]))
        env = parvis_env(workdir, url, servers["redis"])
        run(["migrate"], env)
        run(["manage", "shell", "-c", SETUP.replace("PLAN", repr(json.dumps(plan)))], env)
        processes = start_workers(workers, env, workdir)
        stack.callback(stop_all, processes)
        cpu = {"workers": [cpu_seconds(p.pid) for p in processes], **server_cpus(servers)}
        busy, total = machine_busy()
        load = os.getloadavg()[0]
        start = time.perf_counter()
        run(["manage", "shell", "-c", ENQUEUE], env)
        deadline = start + servers["timeout"]
        while not sources_done(url, files):
            if time.perf_counter() > deadline:
                raise SystemExit(f"{workers} workers: not done after {servers['timeout']} s")
            for n, p in enumerate(processes):
                if p.poll() is not None:
                    raise SystemExit((workdir / f"worker{n}.log").read_text()[-3000:])
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
        spent = {
            "workers": sum(cpu_seconds(p.pid) for p in processes) - sum(cpu["workers"]),
            **{k: v - cpu[k] for k, v in server_cpus(servers).items()},
        }
        busy_end, total_end = machine_busy()
        return {
            "workers": workers,
            "mentions": stored(url),
            "seconds": round(elapsed, 2),
            "mentions_per_s": round(stored(url) / elapsed),
            "cpu_seconds": {k: round(v, 1) for k, v in spent.items()},
            "machine_busy_cores": round((busy_end - busy) / (total_end - total) * cores(), 2),
            "load_before": round(load, 2),
        }


def server_cpus(servers: dict) -> dict[str, float]:
    pids = {"postgres": servers.get("postgres_pid"), "redis": servers.get("redis_pid")}
    return {name: server_cpu(pid) for name, pid in pids.items() if pid}


def stop_all(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        p.send_signal(signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=40)
        except subprocess.TimeoutExpired:
            p.kill()


def cores() -> int:
    return len(os.sched_getaffinity(0))


def write_sources(workdir: Path, sources: int, per_source: int) -> dict[str, int]:
    """`sources` files of `per_source` distinct mentions; returns each path's size."""
    whole = workdir / "all.jsonl"
    ingest.write_jsonl(whole, sources * per_source)
    lines = whole.read_text(encoding="utf-8").splitlines(keepends=True)
    sizes = {}
    for n in range(sources):
        path = workdir / f"feed{n}.jsonl"
        path.write_text("".join(lines[n * per_source : (n + 1) * per_source]), encoding="utf-8")
        sizes[str(path)] = path.stat().st_size
    return sizes


def report(result: dict, base: dict) -> str:
    cpu = ", ".join(f"{k} {v}" for k, v in result["cpu_seconds"].items())
    rate, one = result["mentions_per_s"], base["mentions_per_s"]
    return (
        f"{result['workers']} worker(s): {result['mentions']} mentions in {result['seconds']} s, "
        f"{rate} mentions/s = {rate / one:.2f} x the 1-worker {one}; CPU seconds: {cpu}; "
        f"machine busy {result['machine_busy_cores']} of {cores()} cores "
        f"(load before {result['load_before']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,3", help="worker counts, comma-separated")
    parser.add_argument("--sources", type=int, default=6)
    parser.add_argument("--per-source", type=int, default=8_000, help="mentions per source")
    parser.add_argument("--same-workspace", action="store_true", help="all sources in one")
    parser.add_argument("--database-url", help="PostgreSQL admin URL (default: start one)")
    parser.add_argument("--redis-url", help="Redis URL (default: start one)")
    parser.add_argument("--shared-buffers", default="1GB", help="for the started PostgreSQL")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per round at most")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    if args.per_source > 10_000:
        parser.error("--per-source: at most 10,000 (one source run reads 20 pages of 500)")
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="parvis-scale.")))
        files = write_sources(workdir, args.sources, args.per_source)
        servers: dict[str, Any] = {"timeout": args.timeout}
        if args.database_url:
            servers["database"] = args.database_url
        else:
            servers["database"], servers["postgres_pid"] = stack.enter_context(
                postgres_server(args.shared_buffers)
            )
        if args.redis_url:
            servers["redis"] = args.redis_url
        else:
            servers["redis"], servers["redis_pid"] = stack.enter_context(redis_server())
        plan = {"files": list(files), "same_workspace": args.same_workspace}
        plan["queries"] = ingest.QUERIES
        results = []
        for count in counts:
            results.append(one_round(count, files, plan, servers))
            print(json.dumps(results[-1]), flush=True)
        base = next((r for r in results if r["workers"] == 1), results[0])
        where = "one workspace" if args.same_workspace else "one workspace each"
        print(f"{args.sources} sources of {args.per_source} mentions ({where}):")
        for result in results:
            print("  " + report(result, base))


if __name__ == "__main__":
    main()
