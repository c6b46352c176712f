"""Publishing at scale: N posts scheduled in the same minute across many accounts, published by
worker processes, each exactly once, and how long after their time.

    python benchmarks/publishing.py                       # 10,000 posts, 100 accounts, 2 workers
    python benchmarks/publishing.py --posts 1000 --accounts 10 --latency-ms 20
    python benchmarks/publishing.py --postgres            # a throw-away PostgreSQL 15 + Redis

The accounts are Mastodon accounts on a local instance that this script serves (the statuses
endpoint as Mastodon documents it: form fields, `Idempotency-Key`, the status entity back, after
`--latency-ms`). The posts are made and scheduled through the publishing app's own actions
(`do_create_post`, `do_schedule`: each queues its task at the post's time), then `--workers`
`parvis worker` processes start and publish. The instance records when each status arrives and
every request that repeated a key. Reported: statuses created (must equal the posts), repeated
keys (the idempotency key absorbing a retry), lateness after the scheduled minute (p50, p95, max:
the target is every post within 60 s), the time to schedule them, and the variants' final states.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scaleout  # the PostgreSQL / Redis / worker helpers

SETUP = r"""
import datetime as dt, json, os, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from parvis.connectors.services import do_connect_account
from parvis.publishing import services
from parvis.workspaces.services import do_create_workspace

base, accounts, posts, when = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
when = dt.datetime.fromisoformat(when)
user = get_user_model().objects.create_user("bench", password="a long bench password 2026")
workspace = do_create_workspace("bench", "Bench", owner=user)
made = [
    do_connect_account(
        workspace, user, network="mastodon", handle=f"@bench{i}@127.0.0.1",
        credentials={"instance_url": base, "access_token": f"token-{i}"},
    )
    for i in range(accounts)
]
started = time.monotonic()
for n in range(posts):
    account = made[n % accounts]
    post = services.do_create_post(
        workspace, user, f"Post {n} : nos bougies d'hiver arrivent en boutique.",
        variants={account.pk: ""},
    )
    services.do_schedule(post, user, when)
print(json.dumps({"schedule_seconds": time.monotonic() - started}))
"""

STATES = r"""
import json
import django
django.setup()
from django.db.models import Count
from parvis.publishing.models import Variant
rows = Variant.objects.values("status").annotate(n=Count("id"))
print(json.dumps({r["status"]: r["n"] for r in rows}))
"""


class Instance:
    """What the local Mastodon instance saw: statuses by idempotency key, arrival times."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.lock = threading.Lock()
        self.by_key: dict[str, dict] = {}
        self.first_seen: dict[str, float] = {}
        self.repeats = 0
        self.without_key = 0
        self.next_id = 110_000_000_000_000_000


def handler_for(instance: Instance):
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as an instance behind nginx answers: a connection per post would spend
        # the benchmark's CPU on TCP handshakes that a real worker does not make.
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            if self.path != "/api/v1/statuses":
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            key = self.headers.get("Idempotency-Key", "")
            time.sleep(instance.latency)
            with instance.lock:
                status = instance.by_key.get(key) if key else None
                if status is not None:
                    instance.repeats += 1
                else:
                    instance.next_id += 1
                    sid = str(instance.next_id)
                    host = self.headers.get("Host", "127.0.0.1")
                    status = {
                        "id": sid,
                        "uri": f"http://{host}/users/bench/statuses/{sid}",
                        "url": f"http://{host}/@bench/{sid}",
                        "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                        "content": "<p>" + (form.get("status") or [""])[0] + "</p>",
                        "visibility": "public",
                        "language": "fr",
                        "in_reply_to_id": None,
                        "media_attachments": [],
                    }
                    if key:
                        instance.by_key[key] = status
                        instance.first_seen[key] = time.time()
                    else:
                        instance.without_key += 1
            body = json.dumps(status).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def python(code: str, args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=4, help="tasks at once per worker")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="the instance's answer")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL + Redis")
    parser.add_argument("--wait", type=float, default=900.0, help="seconds after the minute")
    parser.add_argument(
        "--schedule-ms", type=float, default=30.0,
        help="time allowed to schedule each post before the minute comes",
    )  # fmt: skip
    args = parser.parse_args()

    instance = Instance(args.latency_ms / 1000)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(instance))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="parvis-pub.")))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PARVIS_", "DJANGO_"))}
        env.update(
            PARVIS_DATA_DIR=str(workdir),
            PARVIS_ALLOW_PRIVATE_ADDRESSES="1",  # the instance is on loopback
            DJANGO_SETTINGS_MODULE="parvis.settings",
            PYTHONUNBUFFERED="1",
        )
        if args.postgres:
            admin, _pid = stack.enter_context(scaleout.postgres_server("512MB"))
            redis_url, _rpid = stack.enter_context(scaleout.redis_server())
            database = stack.enter_context(scaleout.fresh_database(admin))
            env = {
                **scaleout.parvis_env(workdir, database, redis_url),
                **{k: env[k] for k in ("PARVIS_ALLOW_PRIVATE_ADDRESSES", "DJANGO_SETTINGS_MODULE")},
            }
        scaleout.run(["manage", "migrate", "--no-input"], env)
        # Posts are made through the actions (12 to 25 ms each here): their minute is set far
        # enough ahead for all of them to be scheduled before it comes.
        lead = 90 + args.posts * args.schedule_ms / 1000
        minute = (datetime.now(UTC) + timedelta(seconds=lead)).replace(second=0, microsecond=0)
        minute += timedelta(minutes=1)
        setup = python(SETUP, [base, str(args.accounts), str(args.posts), minute.isoformat()], env)
        if datetime.now(UTC) >= minute:
            raise SystemExit("scheduling took longer than the lead: the minute has passed")
        workers = scaleout.start_workers(args.workers, env, workdir, threads=args.threads)
        stack.callback(scaleout.stop_all, workers)
        deadline = minute.timestamp() + args.wait
        while len(instance.by_key) < args.posts and time.time() < deadline:
            time.sleep(0.5)
        time.sleep(3)  # late repeats, if any, arrive
        states = python(STATES, [], env)

    at = minute.timestamp()
    late = [seen - at for seen in instance.first_seen.values()]
    db = "PostgreSQL + Redis" if args.postgres else "SQLite + SQLite queue"
    print(f"{args.posts} posts, {args.accounts} accounts, {args.workers} workers, {db}, "
          f"instance latency {args.latency_ms:.0f} ms")  # fmt: skip
    print(f"scheduling them: {setup['schedule_seconds']:.0f} s "
          f"({args.posts / setup['schedule_seconds']:.0f} posts/s)")  # fmt: skip
    print(f"statuses created: {len(instance.by_key)} (target {args.posts}); requests that "
          f"repeated a key: {instance.repeats}; without a key: {instance.without_key}")  # fmt: skip
    if late:
        first, last = min(late), max(late)
        p50, p95 = statistics.median(late), percentile(late, 0.95)
        within = sum(1 for x in late if x <= 60)
        print(f"after the minute: first {first:.1f} s, p50 {p50:.1f} s, p95 {p95:.1f} s, "
              f"last {last:.1f} s; within 60 s: {within} of {args.posts}")  # fmt: skip
    print(f"variants: {states}")


if __name__ == "__main__":
    main()
