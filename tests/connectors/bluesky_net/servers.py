"""PostgreSQL and Redis for the test network, and the node process that runs it.

The AppView and ozone keep their data in PostgreSQL (one schema each, named after the run) and
the AppView uses Redis. Under scripts/test.sh's PostgreSQL pass the servers Parvis's tests use
serve the network too; otherwise throw-away ones are started here, on free loopback ports in a
folder of their own, the way scripts/test.sh starts its own.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import select
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
START_TIMEOUT = 120.0  # about 6 s alone; much more with the whole suite on two cores
STOP_TIMEOUT = 15.0


class Unavailable(Exception):
    """Something the network needs is not on this machine: the message says what."""


@dataclass(frozen=True)
class Backing:
    postgres_url: str  # a database where the network may create its schemas
    redis_host: str  # host:port


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def from_environment() -> Backing | None:
    """The PostgreSQL and Redis of scripts/test.sh's PostgreSQL pass, when this is that pass."""
    database = os.environ.get("PARVIS_DATABASE_URL", "")
    redis = os.environ.get("PARVIS_REDIS_URL", "")
    if not database.startswith(("postgres://", "postgresql://")) or not redis:
        return None
    parts = urlsplit(redis)
    return Backing(postgres_url=database, redis_host=f"{parts.hostname}:{parts.port or 6379}")


def pg_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if pg_ctl := shutil.which("pg_ctl"):
        candidates.append(str(Path(pg_ctl).parent))
    for candidate in candidates:
        if all((Path(candidate) / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(candidate)
    raise Unavailable("PostgreSQL is not installed (apt-get install postgresql)")


def as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; as a normal user they run as that user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def own_servers(folder: Path) -> Iterator[Backing]:
    """A throw-away PostgreSQL cluster and Redis server, stopped and removed on exit."""
    bindir = pg_bindir()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise Unavailable("redis-server is not installed (apt-get install redis-server)")
    # A short path of its own: PostgreSQL's socket path is limited to about 100 bytes.
    root = Path(tempfile.mkdtemp(prefix="parvis-bsky-pg.", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, log = root / "data", root / "postgres.log"
    pg_port, redis_port = free_port(), free_port()
    redis = None
    try:
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
        initdb += ["-E", "UTF8", "--no-locale", "--no-sync"]
        subprocess.run(as_postgres(initdb), check=True, capture_output=True, cwd="/")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={pg_port} -c unix_socket_directories={root}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "30"]
        pg_ctl += ["-o", options, "start"]
        subprocess.run(as_postgres(pg_ctl), check=True, capture_output=True, cwd="/")
        command = [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
        redis = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(redis_port, redis, "redis-server")
        yield Backing(
            f"postgres://postgres@127.0.0.1:{pg_port}/postgres", f"127.0.0.1:{redis_port}"
        )
    finally:
        if redis is not None:
            redis.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                redis.wait(10)
            if redis.poll() is None:
                redis.kill()
        if (data / "postmaster.pid").exists():
            subprocess.run(
                as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
                cwd="/",
            )
        shutil.rmtree(root, ignore_errors=True)


def schema_name() -> str:
    # The AppView accepts only letters and underscores in its schema name.
    return "parvis_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))


def drop_schemas(backing: Backing, schema: str) -> None:
    """The network's schemas (dev-env prefixes ours with appview_ and ozone_)."""
    import psycopg

    with psycopg.connect(backing.postgres_url, autocommit=True) as conn:
        for prefix in ("appview_", "ozone_"):
            conn.execute(f'DROP SCHEMA IF EXISTS "{prefix}{schema}" CASCADE')


def read_line(process: subprocess.Popen, timeout: float) -> str:
    """The first line the process writes on stdout, waiting at most `timeout` seconds."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    buffer = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RuntimeError(f"the network was not ready after {timeout:.0f} s")
        ready, _, _ = select.select([fd], [], [], min(remaining, 1.0))
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"the network stopped (exit code {process.wait(5)})")
            buffer += chunk
    return buffer.split(b"\n", 1)[0].decode()


def log_tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def network_process(backing: Backing, folder: Path, log: Path) -> Iterator[dict]:
    """start.js running against `backing`; yields what it printed once ready."""
    node = shutil.which("node")
    if node is None:
        raise Unavailable("node is not installed (apt-get install nodejs)")
    schema = schema_name()
    tmp = folder / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DB_POSTGRES_URL": backing.postgres_url,
        "DB_POSTGRES_SCHEMA": schema,
        "REDIS_HOST": backing.redis_host,
        # dev-env leaves the PDS's data folders under os.tmpdir(): ours is removed after.
        "TMPDIR": str(tmp),
    }
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [node, "start.js"],
            cwd=HERE,
            env=env,
            # start.js stops when its stdin closes: the network never outlives these tests.
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
        )
    try:
        try:
            info = json.loads(read_line(process, START_TIMEOUT))
        except (RuntimeError, ValueError) as exc:
            raise RuntimeError(f"{exc}; the end of {log}:\n{log_tail(log)}") from exc
        yield info
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        with contextlib.suppress(Exception):
            drop_schemas(backing, schema)
        shutil.rmtree(tmp, ignore_errors=True)
