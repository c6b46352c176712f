"""A real `parvis worker` killed (SIGKILL) in the middle of a source run, then restarted:
nothing is lost, nothing is stored twice, no aggregate is counted twice."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.listening.factories import mention
from tests.processes import Database, fresh_deployment, run_parvis, start_parvis, wait_until

pytestmark = pytest.mark.slow

TOTAL = 12_000
BAD_LINES = {7, 3_001, 11_999}  # line numbers that hold broken JSON


def write_feed(path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for n in range(1, TOTAL + len(BAD_LINES) + 1):
            handle.write("{broken\n" if n in BAD_LINES else json.dumps(mention(n)) + "\n")


@pytest.fixture
def deployment(tmp_path):
    with fresh_deployment(tmp_path / "data", "crash") as env:
        yield env


def test_worker_killed_mid_batch_loses_and_repeats_nothing(deployment, tmp_path):
    env = deployment
    feed = tmp_path / "export.jsonl"
    write_feed(feed)
    run_parvis(["migrate"], env)
    run_parvis(["workspace", "create", "crash", "--name", "Crash test"], env)
    config = json.dumps({"path": str(feed)})
    added = run_parvis(
        [
            "sources",
            "add",
            "--workspace",
            "crash",
            "--kind",
            "jsonl_file",
            "--name",
            "export",
            "--config",
            config,
            "--every",
            "3600",
        ],
        env,
    )
    source_id = added.stdout.strip().splitlines()[-1]
    db = Database(env)

    worker = start_parvis(["worker", "--workers", "1"], env, tmp_path / "w1.log", tmp_path)
    try:
        run_parvis(["sources", "run", source_id, "--enqueue"], env)
        wait_until(lambda: db.mentions() > 0, "the first committed page", worker, timeout=60)
        worker.popen.send_signal(signal.SIGKILL)
        worker.popen.wait(timeout=10)
    finally:
        worker.stop()
    at_kill = db.mentions()
    assert 0 < at_kill < TOTAL, "the worker was not killed mid-run"

    restarted = start_parvis(["worker", "--workers", "1"], env, tmp_path / "w2.log", tmp_path)
    try:
        run_parvis(["sources", "run", source_id, "--enqueue"], env)
        wait_until(lambda: db.mentions() >= TOTAL, "all mentions", restarted, timeout=240)
        # Let a wrongly repeated page show up, if there were one.
        wait_until(
            lambda: db.scalar(
                f"SELECT COUNT(*) FROM listening_source WHERE id = {source_id} AND lease_owner = ''"
            ),
            "the end of the run",
            restarted,
            timeout=60,
        )
    finally:
        restarted.stop()

    assert db.mentions() == TOTAL
    distinct = db.scalar("SELECT COUNT(DISTINCT external_id) FROM listening_mention")
    assert distinct == TOTAL
    assert db.scalar("SELECT COUNT(*) FROM listening_quarantineditem") == len(BAD_LINES)
    assert db.scalar("SELECT SUM(mention_count) FROM listening_author") == TOTAL
    assert db.scalar(f"SELECT items_total FROM listening_source WHERE id = {source_id}") == TOTAL
