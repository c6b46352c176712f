"""`parvis demo` as a newcomer runs it: a real process, a real port, a real data dir."""

from __future__ import annotations

import signal
import sqlite3
from contextlib import closing
from urllib.parse import urlsplit

import pytest

from tests.processes import (
    STOP_TIMEOUT,
    WebClient,
    clean_env,
    free_port,
    start_parvis,
    wait_healthy,
    wait_until,
)

pytestmark = pytest.mark.slow


def run_demo_once(tmp_path, data_dir, name: str) -> str:
    """Start the demo, log in as the demo user, stop it with SIGTERM; return its output."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    demo = start_parvis(
        ["demo", "--port", str(port)], clean_env(data_dir), tmp_path / name, tmp_path
    )
    try:
        wait_healthy(base, demo)
        wait_until(lambda: "login: demo" in demo.output(), "the demo banner", demo, timeout=5)
        wait_until(lambda: replayed(data_dir), "the demo replay's first mentions", demo)

        web = WebClient(base)
        status, _, page = web.request("login/")
        assert status == 200
        assert 'name="password"' in page

        status, landed, _ = web.login("demo", "demo")
        assert status == 200
        assert urlsplit(landed).path == "/w/demo/", f"login landed on {landed}"
        status, _, dashboard = web.request("w/demo/")
        assert status == 200
        assert "Maison Lumière" in dashboard

        # Whatever a stop makes the worker say (a run cut short) comes after this.
        assert banner_is_last(demo.output()), demo.output()
        code = demo.stop(signal.SIGTERM, timeout=STOP_TIMEOUT)
        assert code == 0, f"demo did not exit 0 within {STOP_TIMEOUT}s on SIGTERM:\n{demo.output()}"
        return demo.output()
    finally:
        demo.stop(signal.SIGKILL)


def replayed(data_dir) -> bool:
    with closing(sqlite3.connect(data_dir / "parvis.sqlite3")) as db:
        return db.execute("SELECT count(*) FROM listening_mention").fetchone()[0] > 0


def banner_is_last(output: str) -> bool:
    """The banner's framed block ends the start-up output: nothing logged after it."""
    lines = output.rstrip().splitlines()
    return len(lines) >= 5 and lines[-1].startswith("====") and "login: demo" in lines[-3]


def test_demo_serves_logs_in_stops_cleanly_and_reuses_its_data(tmp_path):
    data_dir = tmp_path / "data"

    first = run_demo_once(tmp_path, data_dir, "demo-1.log")
    assert "Parvis demo created" in first
    assert "Parvis demo stopped." in first
    # The first replay ran (mentions are stored) without a second run racing it for the lease.
    assert "already running elsewhere" not in first
    assert (data_dir / "parvis.sqlite3").exists()
    assert (data_dir / "secret_key").exists()

    second = run_demo_once(tmp_path, data_dir, "demo-2.log")
    assert "Parvis demo ready" in second
    assert "created" not in second
