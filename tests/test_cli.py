"""The administration commands, end to end: each one a real `parvis` process on one data dir,
then the token they produced used against a real `parvis serve`."""

from __future__ import annotations

import signal

import pytest

from tests.processes import (
    clean_env,
    free_port,
    get_json,
    run_parvis,
    start_parvis,
    wait_healthy,
)

pytestmark = pytest.mark.slow

PASSWORD = "une phrase de passe assez longue 42"


def test_admin_commands_end_to_end(tmp_path):
    env = clean_env(tmp_path / "data")

    run_parvis(["migrate"], env)
    done = run_parvis(["workspace", "create", "acme", "--name", "Acme & Fils"], env)
    assert "acme" in done.stdout
    done = run_parvis(
        ["user", "create", "alice", "--email", "alice@example.test", "--password-stdin"],
        env,
        stdin=PASSWORD + "\n",
    )
    assert "alice" in done.stdout
    done = run_parvis(["member", "add", "acme", "alice", "--role", "owner"], env)
    assert "owner" in done.stdout
    done = run_parvis(["token", "create", "alice", "--name", "ci"], env)
    token = done.stdout.strip().splitlines()[-1]
    assert len(token) >= 20 and " " not in token
    assert token not in done.stderr  # the warning goes to stderr, the token only to stdout

    # Mistakes fail with a message and a non-zero status.
    done = run_parvis(["member", "add", "nowhere", "alice", "--role", "owner"], env, check=False)
    assert done.returncode == 1 and "nowhere" in done.stderr
    done = run_parvis(["user", "create", "bob"], env, check=False)
    assert done.returncode == 1 and "--password-stdin" in done.stderr

    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    server = start_parvis(["serve", "--port", str(port)], env, tmp_path / "serve.log", tmp_path)
    try:
        wait_healthy(base, server)
        status, body = get_json(
            base + "api/v1/workspaces", headers={"Authorization": f"Bearer {token}"}
        )
        assert status == 200, body
        assert [(w["slug"], w["name"], w["role"]) for w in body] == [
            ("acme", "Acme & Fils", "owner")
        ]
        status, _ = get_json(base + "api/v1/workspaces", headers={"Authorization": "Bearer nope"})
        assert status == 401
        assert server.stop(signal.SIGTERM) == 0, server.output()
    finally:
        server.stop(signal.SIGKILL)
