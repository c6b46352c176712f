"""A real Bluesky network (PLC, PDS, AppView) on 127.0.0.1, once per test session.

Needs Node.js with this folder's npm packages installed (`npm ci` here) and PostgreSQL + Redis:
those of scripts/test.sh's PostgreSQL pass, else throw-away ones started for the session.

Skips, with the reason, when they are missing, unless PARVIS_REQUIRE_BLUESKY_NET=1 (CI sets
it): then a missing piece fails the tests instead. PARVIS_BLUESKY_NET=off skips on purpose
(scripts/test.sh's SQLite pass: the PostgreSQL pass runs them).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.connectors.bluesky_net import bsky, servers

DEV_ENV = servers.HERE / "node_modules" / "@atproto" / "dev-env" / "package.json"
ARTIFACTS = Path(
    os.environ.get("PARVIS_TEST_ARTIFACTS", Path(__file__).parents[3] / "test-artifacts")
)


def unavailable(reason: str) -> None:
    if os.environ.get("PARVIS_REQUIRE_BLUESKY_NET") == "1":
        pytest.fail(f"{reason} (PARVIS_REQUIRE_BLUESKY_NET=1: the network tests must run)")
    pytest.skip(reason)


def check_installed() -> None:
    if os.environ.get("PARVIS_BLUESKY_NET", "").lower() == "off":
        pytest.skip("PARVIS_BLUESKY_NET=off (scripts/test.sh runs these in its PostgreSQL pass)")
    if shutil.which("node") is None:
        unavailable("node is not installed (apt-get install nodejs npm)")
    if not DEV_ENV.exists():
        unavailable(
            f"the test network's npm packages are not installed: cd {servers.HERE} && npm ci"
        )


@pytest.fixture(scope="session")
def bluesky_net() -> Iterator[bsky.Network]:
    """The running network's addresses; its contents live as long as the session."""
    check_installed()
    folder = Path(tempfile.mkdtemp(prefix="parvis-bsky-net."))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "bluesky-net.log"
    try:
        with contextlib.ExitStack() as stack:
            backing = servers.from_environment()
            if backing is None:
                try:
                    backing = stack.enter_context(servers.own_servers(folder))
                except servers.Unavailable as exc:
                    unavailable(str(exc))
            info = stack.enter_context(servers.network_process(backing, folder, log))
            yield bsky.Network.from_json(info)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def xrpc_http() -> Iterator[httpx.Client]:
    """The other users' client: plain httpx, as any Bluesky app."""
    with httpx.Client(timeout=15) as client:
        yield client
