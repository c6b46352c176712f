"""Three real `parvis worker` processes on PostgreSQL + Redis ingest six sources of two
workspaces at once, the same posts reaching a workspace through several of its sources; one
worker is killed (SIGKILL) in the middle of a run and another started in its place. In the
end every post is stored once per workspace, each aggregate equals what is stored, and every
source's cursor is at the end of its file."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.processes import Database, Process, fresh_deployment, run_parvis, start_parvis

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (os.environ.get("PARVIS_DATABASE_URL") and os.environ.get("PARVIS_REDIS_URL")),
        reason="needs PostgreSQL + Redis (PARVIS_DATABASE_URL and PARVIS_REDIS_URL, set by "
        "the PostgreSQL pass of scripts/test.sh): the production set-up of several workers",
    ),
]

POSTS = 2_000  # posts a workspace's sources share between them
AUTHORS = 40
WORKSPACES = ("alpha", "beta")
# Each workspace's three sources: overlapping selections of the same posts, in their own
# order, so that two sources of a workspace store the same post at about the same moment.
SELECTIONS = {
    "first": list(range(0, 1_400)),
    "second": list(range(POSTS - 1, 599, -1)),
    "third": list(range(0, POSTS, 3)),
}
BROKEN_AT = 300  # each file has one line of broken JSON here (quarantined once per source)
WORKERS = 3
DEADLINE = 120  # seconds for the whole ingestion, on a slow shared CI machine


def post(n: int) -> dict:
    author = n % AUTHORS
    # Every tenth post is a copy-paste campaign (six texts): groups form across sources.
    text = (
        f"Campagne {n // 10 % 6} : achetez les bougies Maison Lumière, vraiment les meilleures !"
        if n % 10 == 0
        else f"Ma bougie Maison Lumière numéro {n} sent bon la lavande, livrée en {n % 9} jours"
    )
    return {
        "network": "bluesky" if n % 2 else "mastodon",
        "external_id": f"post-{n}",
        "url": f"https://example.test/post/{n}",
        "author": {"handle": f"author{author}", "name": f"Author {author}", "followers": n},
        "text": text,
        "created_at": f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00+00:00",
        "metrics": {"likes": n % 5, "reposts": n % 3, "replies": n % 2},
    }


def write_feed(path: Path, numbers: list[int]) -> int:
    """The source's file; returns its size in bytes (where its cursor ends)."""
    lines = [json.dumps(post(n), ensure_ascii=False) + "\n" for n in numbers]
    lines.insert(BROKEN_AT, "{broken\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path.stat().st_size


SETUP = """
import json
from parvis.listening.sources import do_create_source
from parvis.listening.tasks import run_source_task
from parvis.workspaces.services import do_create_workspace
ids = {}
for slug, feeds in json.loads(FEEDS).items():
    workspace = do_create_workspace(slug, slug.title())
    for name, path in feeds.items():
        source = do_create_source(
            workspace, kind="jsonl_file", name=name, config={"path": path},
            interval_seconds=86400,
        )
        ids[source.pk] = [slug, name]
print(json.dumps(ids))
"""
ENQUEUE = """
from parvis.listening.models import Source
from parvis.listening.tasks import run_source_task
for pk in Source.objects.values_list("pk", flat=True):
    run_source_task(pk)
"""


def shell(code: str, env: dict[str, str]) -> str:
    done = run_parvis(["manage", "shell", "-c", code], env)
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def lease_owner_pid(owner: str) -> int | None:
    host, pid, _thread = [*owner.rsplit(":", 2), "", ""][:3]
    return int(pid) if host == socket.gethostname() and pid.isdigit() else None


def kill_one_mid_run(db: Database, workers: list[Process], sizes: dict[int, int]) -> Process:
    """SIGKILL the worker holding the lease of a source that has committed a page but has
    at least half of its file still to read; returns it once it is dead."""
    by_pid = {w.pid: w for w in workers}
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        for pk, owner, cursor in db.rows("SELECT id, lease_owner, cursor FROM listening_source"):
            offset = (json.loads(cursor) if isinstance(cursor, str) else cursor).get("offset", 0)
            victim = by_pid.get(lease_owner_pid(owner) or -1)
            if victim is not None and 0 < offset < sizes[pk] / 2:
                victim.popen.send_signal(signal.SIGKILL)
                victim.popen.wait(timeout=10)
                return victim
        dead = [w for w in workers if not w.alive()]
        assert not dead, f"a worker exited by itself:\n{dead[0].output()}"
        time.sleep(0.02)
    raise AssertionError("no source was caught in the middle of its run")


def wait_all_done(db: Database, workers: list[Process], sizes: dict[int, int]) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        rows = db.rows("SELECT id, lease_owner, cursor FROM listening_source")
        offsets = {pk: (json.loads(c) if isinstance(c, str) else c) for pk, _, c in rows}
        if all(not owner and offsets[pk].get("offset") == sizes[pk] for pk, owner, _ in rows):
            return
        for worker in workers:
            assert worker.alive(), f"a worker exited by itself:\n{worker.output()}"
        time.sleep(0.2)
    logs = "\n".join(w.output()[-3000:] for w in workers)
    raise AssertionError(f"sources not at their end after {DEADLINE}s: {rows}\n{logs}")


@pytest.fixture
def deployment(tmp_path):
    with fresh_deployment(tmp_path / "data", "multi") as env:
        yield env


def test_three_workers_one_killed_store_each_post_once(deployment, tmp_path):
    env = deployment
    feeds, sizes_by_name = {}, {}
    for slug in WORKSPACES:
        feeds[slug] = {}
        for name, numbers in SELECTIONS.items():
            path = tmp_path / f"{slug}-{name}.jsonl"
            sizes_by_name[slug, name] = write_feed(path, numbers)
            feeds[slug][name] = str(path)
    run_parvis(["migrate"], env)
    created = json.loads(shell(SETUP.replace("FEEDS", repr(json.dumps(feeds))), env))
    sizes = {int(pk): sizes_by_name[tuple(where)] for pk, where in created.items()}
    db = Database(env)

    def worker(n: int) -> Process:
        args = ["worker", "--workers", "2"]
        return start_parvis(args, env, tmp_path / f"worker{n}.log", tmp_path)

    workers = [worker(n) for n in range(WORKERS)]
    try:
        shell(ENQUEUE, env)
        killed = kill_one_mid_run(db, workers, sizes)
        held = db.scalar(
            f"SELECT COUNT(*) FROM listening_source WHERE lease_owner LIKE '%:{killed.pid}:%'"
        )
        assert held, "the killed worker had finished its run: nothing was interrupted"
        workers = [w for w in workers if w is not killed] + [worker(WORKERS)]
        shell(ENQUEUE, env)  # the killed worker's runs are lost with it: run them again
        wait_all_done(db, workers, sizes)
    finally:
        for w in workers:  # all at once: each waits for its running task
            if w.alive():
                w.popen.send_signal(signal.SIGTERM)
        for w in workers:
            w.stop()

    check_mentions(db)
    check_aggregates(db, created)


def check_mentions(db: Database) -> None:
    stored = db.rows(
        "SELECT w.slug, m.network, m.external_id FROM listening_mention m "
        "JOIN workspaces_workspace w ON w.id = m.workspace_id"
    )
    every_post = {(p["network"], p["external_id"]) for p in map(post, range(POSTS))}
    expected = Counter({(slug, *key): 1 for slug in WORKSPACES for key in every_post})
    assert Counter(stored) == expected  # each post exactly once in each workspace
    assert db.scalar("SELECT COUNT(*) FROM listening_quarantineditem") == len(WORKSPACES) * len(
        SELECTIONS
    )


def check_aggregates(db: Database, created: dict[str, list[str]]) -> None:
    authors = db.rows(
        "SELECT a.handle, a.mention_count, COUNT(m.id) FROM listening_author a "
        "LEFT JOIN listening_mention m ON m.author_id = a.id "
        "GROUP BY a.id, a.handle, a.mention_count"
    )
    assert len(authors) == len(WORKSPACES) * AUTHORS  # an author posts on one network
    assert [a for a in authors if a[1] != a[2]] == []  # counts equal the stored mentions
    groups = db.rows(
        "SELECT workspace_id, content_hash, COUNT(*), SUM(CASE WHEN group_head THEN 1 ELSE 0 "
        "END), MAX(CASE WHEN group_head THEN group_size ELSE 0 END) FROM listening_mention "
        "WHERE content_hash <> '' GROUP BY workspace_id, content_hash HAVING COUNT(*) > 1"
    )
    assert len(groups) == len(WORKSPACES) * 6  # six campaign texts
    # One head per copy-paste group, whose size counts every copy stored.
    assert [g for g in groups if g[3] != 1 or g[4] != g[2]] == []
    totals = db.rows(
        "SELECT s.id, s.items_total, COUNT(m.id) FROM listening_source s "
        "LEFT JOIN listening_mention m ON m.source_id = s.id GROUP BY s.id, s.items_total"
    )
    assert len(totals) == len(created)
    assert [t for t in totals if t[1] != t[2]] == []  # items_total: what each one stored
