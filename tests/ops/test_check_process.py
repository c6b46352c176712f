"""`parvis check` as a self-hoster runs it, on a deployment of its own."""

from __future__ import annotations

import pytest

from tests.processes import (
    Database,
    clean_env,
    fresh_deployment,
    run_parvis,
    start_parvis,
    wait_until,
)

pytestmark = pytest.mark.slow


def test_unmigrated_then_ready_once_a_worker_beats(tmp_path):
    with fresh_deployment(tmp_path / "data", "chk") as env:
        before = run_parvis(["check"], env, check=False)
        assert before.returncode == 1
        assert "migrations not applied" in before.stdout
        assert "→ run `parvis migrate`" in before.stdout

        run_parvis(["migrate"], env)
        worker = start_parvis(["worker", "--workers", "1"], env, tmp_path / "worker.log", tmp_path)
        db = Database(env)
        try:
            # The heartbeat task runs every minute, and once as the consumer starts.
            wait_until(
                lambda: db.scalar("SELECT COUNT(*) FROM ops_workerheartbeat"),
                "the worker's heartbeat",
                worker,
                timeout=90,
            )
            # Its tasks' runs are timed for /metrics (the first at once, then every 10 s).
            wait_until(
                lambda: db.scalar("SELECT SUM(runs) FROM ops_taskstat"),
                "the worker's task statistics",
                worker,
            )
        finally:
            worker.stop()
        after = run_parvis(["check"], env, check=False)
        assert after.returncode == 0, after.stdout
        assert "error" not in after.stdout.split("\n\n")[0]
        assert "ok      worker" in after.stdout
        assert "0 errors" in after.stdout


def test_unreachable_database_and_queue_and_a_bad_setting(tmp_path):
    env = clean_env(
        tmp_path / "data",
        PARVIS_DATABASE_URL="postgres://parvis:nope@127.0.0.1:1/parvis",
        PARVIS_REDIS_URL="redis://127.0.0.1:1/0",
    )
    done = run_parvis(["check"], env, check=False)
    assert done.returncode == 1
    assert "error   database    postgresql unreachable" in done.stdout
    assert "error   queue       RedisHuey unreachable" in done.stdout

    bad = run_parvis(["check"], clean_env(tmp_path / "data", PARVIS_LOG_FORMAT="xml"), check=False)
    assert bad.returncode == 1
    assert "error   settings    PARVIS_LOG_FORMAT='xml'" in bad.stdout


def test_json_logs_of_a_real_server_carry_the_request_id(tmp_path):
    import json
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    from tests.processes import free_port, wait_healthy

    with fresh_deployment(tmp_path / "data", "log") as env:
        env["PARVIS_LOG_FORMAT"] = "json"
        run_parvis(["migrate"], env)
        port = free_port()
        log = tmp_path / "serve.log"
        server = start_parvis(["serve", "--port", str(port)], env, log, tmp_path)
        try:
            base = f"http://127.0.0.1:{port}/"
            wait_healthy(base, server)
            request = Request(base + "no-such-page/", headers={"X-Request-ID": "req-from-proxy-1"})
            with pytest.raises(HTTPError) as answer:
                urlopen(request, timeout=5)
            assert answer.value.code == 404
            assert answer.value.headers["X-Request-ID"] == "req-from-proxy-1"

            def logged():
                lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
                found = [json.loads(line) for line in lines]
                return [e for e in found if e.get("request_id") == "req-from-proxy-1"]

            entries = wait_until(logged, "the 404's JSON log line", server, timeout=10)
        finally:
            server.stop()
    assert entries[0]["level"] == "WARNING"
    assert "/no-such-page/" in entries[0]["message"]
    assert entries[0]["logger"] == "django.request"
