"""Helpers for tests that run the real `parvis` command in a subprocess.

Every wait is a poll with a deadline, and every process started here is stopped by the
caller's fixture or `finally`, so a hung server fails one test instead of the whole run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener, urlopen

START_TIMEOUT = 60  # migrate + demo data on a slow CI machine
STOP_TIMEOUT = 5
COMMAND_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parvis_command() -> list[str]:
    """The installed `parvis` script next to this Python, as a user would run it."""
    script = Path(sys.executable).with_name("parvis")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "parvis.cli"]


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh deployment: no PARVIS_* or settings module leaks in from
    the test run (so the subprocess uses the real settings and SQLite in `data_dir`)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PARVIS_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(PARVIS_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


def run_parvis(
    args: Sequence[str], env: dict[str, str], stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*parvis_command(), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"parvis {' '.join(args)} exited {done.returncode}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
    return done


@dataclass
class Process:
    """A running `parvis` subprocess whose output goes to a log file (no pipe to fill up)."""

    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int | None:
        """Send `sig` and wait; kill if it does not exit in time. Returns the exit code of
        the graceful stop, or None when it had to be killed."""
        if not self.alive():
            return self.popen.returncode
        self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=STOP_TIMEOUT)
            return None


def start_parvis(args: Sequence[str], env: dict[str, str], log: Path, cwd: Path) -> Process:
    with log.open("ab") as handle:
        popen = subprocess.Popen(
            [*parvis_command(), *args],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    return Process(popen, log)


def wait_until(
    check: Callable[[], Any], what: str, process: Process | None = None, timeout: float = 30
) -> Any:
    """Poll `check` until it returns something truthy; fail with the process log if the
    process died or the deadline passed."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        value = check()
        if value:
            return value
        if process is not None and not process.alive():
            raise AssertionError(
                f"process exited ({process.popen.returncode}) while waiting for {what}:\n"
                f"{process.output()}"
            )
        if time.monotonic() > deadline:
            log = process.output() if process else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{log}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def get_json(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = Request(url, headers=headers or {})
    try:
        with urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def healthy(base_url: str) -> bool:
    try:
        status, body = get_json(base_url + "healthz")
    except (URLError, ConnectionError, TimeoutError, ValueError):
        return False
    return status == 200 and body["status"] == "ok"


def wait_healthy(base_url: str, process: Process, timeout: float = START_TIMEOUT) -> None:
    wait_until(lambda: healthy(base_url), f"{base_url}healthz", process, timeout)


class WebClient:
    """A tiny browser without JavaScript: urllib with a cookie jar."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        """Returns (status, final URL after redirects, body)."""
        body = urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path.lstrip("/"), body, timeout=10) as resp:
                return resp.status, resp.url, resp.read().decode()
        except HTTPError as exc:
            return exc.code, exc.url, exc.read().decode(errors="replace")

    def login(self, username: str, password: str) -> tuple[int, str, str]:
        status, _, page = self.request("login/")
        assert status == 200, page
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, "no CSRF token in the login form"
        form = {"csrfmiddlewaretoken": match[1], "username": username, "password": password}
        return self.request("login/", form)


# --- a deployment of its own --------------------------------------------------------------


def psycopg_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@contextmanager
def fresh_deployment(data_dir: Path, prefix: str) -> Iterator[dict[str, str]]:
    """The environment of a fresh deployment: its own data dir, queue name and, when the test
    run uses PostgreSQL, its own database (dropped afterwards). With Redis the queue name
    keeps its tasks apart from every other test's."""
    tag = f"{prefix}_{uuid.uuid4().hex[:8]}"
    extra = {"PARVIS_QUEUE_NAME": tag}
    admin_url = os.environ.get("PARVIS_DATABASE_URL")
    if admin_url:
        import psycopg

        with psycopg.connect(psycopg_url(admin_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "parvis_{tag}"')
        extra["PARVIS_DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + f"/parvis_{tag}"
    if os.environ.get("PARVIS_REDIS_URL"):
        extra["PARVIS_REDIS_URL"] = os.environ["PARVIS_REDIS_URL"]
    try:
        yield clean_env(data_dir, **extra)
    finally:
        if admin_url:
            import psycopg

            with psycopg.connect(psycopg_url(admin_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "parvis_{tag}" WITH (FORCE)')


class Database:
    """Rows read straight from the database that the subprocesses of a deployment use."""

    def __init__(self, env: dict[str, str]) -> None:
        self.url = env.get("PARVIS_DATABASE_URL")
        self.sqlite = Path(env["PARVIS_DATA_DIR"]) / "parvis.sqlite3"

    def rows(self, sql: str) -> list[tuple]:
        if self.url:
            import psycopg

            with psycopg.connect(psycopg_url(self.url)) as conn:
                return conn.execute(sql).fetchall()
        if not self.sqlite.exists():
            return []
        with sqlite3.connect(f"file:{self.sqlite}?mode=ro", uri=True, timeout=10) as conn:
            return conn.execute(sql).fetchall()

    def scalar(self, sql: str) -> Any:
        rows = self.rows(sql)
        return rows[0][0] if rows else 0

    def mentions(self) -> int:
        return self.scalar("SELECT COUNT(*) FROM listening_mention")
