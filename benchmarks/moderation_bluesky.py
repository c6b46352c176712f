"""Moderation speed on a real Bluesky network: from a user's reply under the brand's post to the
network leaving it out of the thread, through a real `parvis worker`.

    python benchmarks/moderation_bluesky.py --count 40                 # the worker's own schedule
    python benchmarks/moderation_bluesky.py --count 40 --poll-every 2  # plus a fast poller

Figures: docs/moderation.md (« Speed ») and docs/benchmarks.md.

The network is tests/connectors/bluesky_net's (PLC + PDS + AppView from @atproto/dev-env, on
127.0.0.1; `npm ci` there once). It needs node, PostgreSQL and Redis: those named by
PARVIS_DATABASE_URL / PARVIS_REDIS_URL when both are set, else throw-away ones started here
(servers.own_servers). Parvis runs on the same PostgreSQL server in a database of its own,
created here and dropped afterwards, with its queue on the same Redis (a queue name of its own).

What happens: the brand's account is created on the network and posts once; Parvis connects it
with an app password (the connector's `login`), reads its notifications (a `bluesky` source in
notifications mode: own activity, so every reply goes to the inbox) and has the default rules
switched on. A real `parvis worker` runs. Users then reply under the brand's post, one every
--every seconds, half scams the default rules hide, half ordinary replies. For each scam:

  (a) listening: from the reply's creation (the PDS answered createRecord) to its mention stored
      in Parvis (Mention.ingested_at) — this is the notifications source's polling delay;
  (b) moderation: from stored to the network's confirmation of the hide (Action.done_at: the
      threadgate's putRecord answered);
  (c) end to end: from the reply's creation to the first time another user's
      app.bsky.unspecced.getPostThreadV2 (what bsky.app reads) leaves it out of the thread,
      polled every --view-poll seconds (the AppView indexes the threadgate after the write).

Sources run when the worker's periodic `schedule_sources` finds them due, and that task runs
once a minute (crontab minute="*"): a source's interval below 60 s changes nothing, and (a) is
then up to a minute. --poll-every N also enqueues `run_source_task` for the source every N
seconds from here, as a fast poller would (a scheduler checking more often): the runs still
happen in the worker. Bounded: the network start (servers.START_TIMEOUT), every HTTP call
(15 s), and the wait for the hides (--timeout after the last reply); every process started
here is stopped on the way out.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.connectors.bluesky_net import bsky, servers  # noqa: E402

TARGET_S = 60.0
DEV_ENV = servers.HERE / "node_modules" / "@atproto" / "dev-env" / "package.json"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "median_s": None, "p95_s": None, "max_s": None}
    return {
        "n": len(values),
        "median_s": round(statistics.median(values), 2),
        "p95_s": round(percentile(values, 95), 2),
        "max_s": round(max(values), 2),
    }


def reply_text(n: int, scam: bool) -> str:
    if scam:
        return f"Colis bloqué n°{n} : payez les frais sur http://colis-{n}.top/p"
    return f"Bonjour, ma commande {n} arrive quand ? Merci !"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@contextlib.contextmanager
def parvis_database(backing: servers.Backing):
    """A database of Parvis's own on the network's PostgreSQL server, dropped on exit."""
    import psycopg
    from psycopg import sql

    name = "parvis_modbench_" + secrets.token_hex(4)
    with psycopg.connect(backing.postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(backing.postgres_url)._replace(path=f"/{name}"))
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with psycopg.connect(backing.postgres_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class ThreadWatcher(threading.Thread):
    """Polls the brand's thread as another user's app reads it (getPostThreadV2 through their
    PDS) and notes when each watched reply first shows, and when it first leaves the thread
    after having shown."""

    def __init__(self, http, net: bsky.Network, reader: bsky.Account, anchor: str, every: float):
        super().__init__(daemon=True)
        self.http, self.net, self.reader, self.anchor, self.every = http, net, reader, anchor, every
        self.watched: set[str] = set()
        self.shown: dict[str, dt.datetime] = {}
        self.gone: dict[str, dt.datetime] = {}
        self.errors = 0
        self.polls = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def watch(self, uri: str) -> None:
        with self.lock:
            self.watched.add(uri)

    def visible(self) -> set[str]:
        body = bsky.xrpc(
            self.http,
            self.net.pds,
            "app.bsky.unspecced.getPostThreadV2",
            params={"anchor": self.anchor, "below": 2},
            headers={**self.reader.auth, "atproto-proxy": self.net.appview_proxy},
        )
        return {item["uri"] for item in body.get("thread") or []}

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                seen = self.visible()
            except Exception:  # counted; the next poll tries again
                self.errors += 1
                self.stopping.wait(self.every)
                continue
            self.polls += 1
            at = now()
            with self.lock:
                for uri in self.watched:
                    if uri in seen:
                        self.shown.setdefault(uri, at)
                    elif uri in self.shown:
                        self.gone.setdefault(uri, at)
            self.stopping.wait(self.every)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20, help="replies (half of them scams)")
    parser.add_argument("--every", type=float, default=1.0, help="seconds between replies")
    parser.add_argument("--interval", type=int, default=5, help="the source's interval_seconds")
    parser.add_argument(
        "--poll-every",
        type=float,
        default=0.0,
        help="also enqueue run_source_task every N seconds (0: only the worker's schedule)",
    )
    parser.add_argument("--view-poll", type=float, default=0.25, help="thread view poll (s)")
    parser.add_argument("--timeout", type=float, default=150.0, help="wait after the last reply")
    parser.add_argument("--workers", type=int, default=2, help="the worker's threads")
    args = parser.parse_args()
    if shutil.which("node") is None or not DEV_ENV.exists():
        print(f"needs node and the test network's npm packages (cd {servers.HERE} && npm ci)")
        return 2

    folder = Path(tempfile.mkdtemp(prefix="parvis-modbench-bsky."))
    log = folder / "bluesky-net.log"
    worker_log = folder / "worker.log"
    try:
        with contextlib.ExitStack() as stack:
            backing = servers.from_environment()
            vendor_note = "PARVIS_DATABASE_URL / PARVIS_REDIS_URL"
            if backing is None:
                backing = stack.enter_context(servers.own_servers(folder))
                vendor_note = "throw-away PostgreSQL + Redis"
            database_url = stack.enter_context(parvis_database(backing))
            redis_url = f"redis://{backing.redis_host}/0"
            if vendor_note.startswith("PARVIS_"):
                redis_url = os.environ["PARVIS_REDIS_URL"]  # kept as given (a password, a db)
            os.environ.update(
                {
                    "PARVIS_DATA_DIR": str(folder / "data"),
                    "PARVIS_DATABASE_URL": database_url,
                    "PARVIS_REDIS_URL": redis_url,
                    "PARVIS_QUEUE_NAME": f"modbench-{secrets.token_hex(4)}",
                    # The network is on 127.0.0.1: connectors refuse loopback unless allowed.
                    "PARVIS_ALLOW_PRIVATE_ADDRESSES": "1",
                    "DJANGO_SETTINGS_MODULE": "parvis.settings",
                }
            )
            (folder / "data").mkdir()
            t_start = time.monotonic()
            info = stack.enter_context(servers.network_process(backing, folder, log))
            net = bsky.Network.from_json(info)
            network_start_s = time.monotonic() - t_start
            http_client = stack.enter_context(httpx.Client(timeout=15))
            result = run(args, net, http_client, folder, worker_log, stack)
            result["network_start_s"] = round(network_start_s, 1)
            result["backing"] = vendor_note
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result))
    report(result)
    return 0


def run(args, net, h, folder: Path, worker_log: Path, stack: contextlib.ExitStack) -> dict:
    import django

    django.setup()
    # Parvis logs every HTTP request at INFO: the thread polls alone would be hundreds of lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    from parvis.connectors import base, http
    from parvis.connectors.services import do_connect_account
    from parvis.inbox.models import Message
    from parvis.listening.models import Mention
    from parvis.listening.sources import do_create_source
    from parvis.listening.tasks import run_source_task
    from parvis.moderation import services
    from parvis.moderation.models import Action
    from parvis.workspaces.services import do_create_workspace

    call_command("migrate", verbosity=0)

    # The network: the brand, the users who reply, one who reads the thread.
    brand = bsky.create_account(h, net, "maisonlumiere")
    app_password = bsky.create_app_password(h, net, brand, "Parvis")
    users = [bsky.create_account(h, net, f"client{i}") for i in range(4)]
    reader = bsky.create_account(h, net, "lecteur")
    launch = bsky.create_post(h, net, brand, "Maison Lumière : nos bougies d'hiver sont là.")
    bsky.wait_for_posts(h, net, launch)

    # Parvis: the brand's account connected as a person does, its notifications read.
    workspace = do_create_workspace("modbench", "Maison Lumière")
    with http.client() as client:
        login = base.get("bluesky").login(
            client,
            {"handle": brand.handle, "app_password": app_password, "service_url": net.pds},
        )
    account = do_connect_account(
        workspace,
        None,
        network="bluesky",
        handle=login.handle,
        display_name=login.display_name,
        credentials=login.credentials,
    )
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky : notifications",
        config={
            "mode": "notifications",
            "service_url": net.pds,
            "appview_url": net.appview,
            "appview_did": net.appview_proxy,
        },
        interval_seconds=args.interval,
        account=account,
    )
    services.do_install_defaults(workspace, None, enabled=True)

    with worker_log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "parvis.cli", "worker", "--workers", str(args.workers)],
            env={**os.environ},
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def stop_worker() -> None:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)

    stack.callback(stop_worker)

    watcher = ThreadWatcher(h, net, reader, launch.uri, args.view_poll)
    watcher.start()
    stack.callback(lambda: (watcher.stopping.set(), watcher.join(10)))

    poller_stop = threading.Event()
    poller_runs = [0]

    def poller() -> None:
        while not poller_stop.wait(args.poll_every):
            run_source_task(source.pk)  # to the queue: the worker runs it
            poller_runs[0] += 1

    if args.poll_every > 0:
        threading.Thread(target=poller, daemon=True).start()
    stack.callback(poller_stop.set)

    time.sleep(3)  # the consumer starts (and runs the source once: nothing to read yet)
    posted: dict[str, tuple[bool, dt.datetime]] = {}
    for n in range(args.count):
        scam = n % 2 == 0
        author = users[n % len(users)]
        ref = bsky.create_post(h, net, author, reply_text(n, scam), reply_to=launch)
        posted[ref.uri] = (scam, now())
        watcher.watch(ref.uri)
        time.sleep(args.every)
    last_post = time.monotonic()
    scams = [uri for uri, (scam, _) in posted.items() if scam]
    ordinary = [uri for uri, (scam, _) in posted.items() if not scam]

    def all_done() -> bool:
        hidden = Action.objects.filter(
            workspace=workspace, kind="hide", state="done", message__external_id__in=scams
        ).count()
        with watcher.lock:
            gone = sum(1 for uri in scams if uri in watcher.gone)
        return hidden == len(scams) and gone == len(scams)

    while time.monotonic() - last_post < args.timeout and not all_done():
        time.sleep(0.5)
    if worker.poll() is not None:
        print(f"the worker exited with code {worker.returncode}:\n" + worker_log.read_text())
    time.sleep(max(2.0, 4 * args.view_poll))  # ordinary replies: still shown a little later
    watcher.stopping.set()
    watcher.join(10)

    listening, moderation, stored_to_view, end_to_end = [], [], [], []
    states: dict[str, int] = {}
    for uri in scams:
        created = posted[uri][1]
        mention = Mention.objects.filter(workspace=workspace, external_id=uri).first()
        action = Action.objects.filter(workspace=workspace, kind="hide", message__external_id=uri)
        action = action.order_by("-id").first()
        state = action.state if action else "none"
        states[state] = states.get(state, 0) + 1
        if mention is not None:
            listening.append((mention.ingested_at - created).total_seconds())
            if action is not None and action.state == "done" and action.done_at:
                moderation.append((action.done_at - mention.ingested_at).total_seconds())
            if uri in watcher.gone:
                stored_to_view.append((watcher.gone[uri] - mention.ingested_at).total_seconds())
        if uri in watcher.gone:
            end_to_end.append((watcher.gone[uri] - created).total_seconds())
    final_view = watcher.visible()
    ordinary_stored = Message.objects.filter(workspace=workspace, external_id__in=ordinary)
    result: dict[str, Any] = {
        "vendor": connection.vendor,
        "replies": args.count,
        "scams": len(scams),
        "every_s": args.every,
        "source_interval_s": args.interval,
        "poll_every_s": args.poll_every or None,
        "poller_runs_enqueued": poller_runs[0],
        "view_poll_s": args.view_poll,
        "worker_threads": args.workers,
        "hide_actions": states,
        "listening": stats(listening),
        "stored_to_confirmed": stats(moderation),
        "stored_to_out_of_view": stats(stored_to_view),
        "post_to_out_of_view": stats(end_to_end),
        "scams_out_of_view_at_end": sum(1 for uri in scams if uri not in final_view),
        "ordinary_in_inbox_not_moderated": ordinary_stored.filter(moderation="").count(),
        "ordinary_visible_at_end": sum(1 for uri in ordinary if uri in final_view),
        "ordinary": len(ordinary),
        "thread_polls": watcher.polls,
        "thread_poll_errors": watcher.errors,
    }
    return result


def report(r: dict) -> None:
    poll = f"a poller every {r['poll_every_s']} s" if r["poll_every_s"] else "the worker's schedule"
    e2e = r["post_to_out_of_view"]
    met = e2e["n"] == r["scams"] and e2e["max_s"] is not None and e2e["max_s"] <= TARGET_S
    print(
        f"{r['vendor']}, {poll}: {r['hide_actions']} hide actions for {r['scams']} scams;"
        f" (a) reply → stored: median {r['listening']['median_s']} s, p95"
        f" {r['listening']['p95_s']} s; (b) stored → hide confirmed: median"
        f" {r['stored_to_confirmed']['median_s']} s, p95 {r['stored_to_confirmed']['p95_s']} s;"
        f" (c) reply → out of the thread for another user: median {e2e['median_s']} s, p95"
        f" {e2e['p95_s']} s, max {e2e['max_s']} s (target ≤ {TARGET_S:.0f} s:"
        f" {'met' if met else 'MISSED'}); ordinary replies still in the thread:"
        f" {r['ordinary_visible_at_end']}/{r['ordinary']}"
    )


if __name__ == "__main__":
    sys.exit(main())
