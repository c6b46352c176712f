"""The enrichment helper process dies with the process it works for, even one killed with
SIGKILL (which cannot shut its pool down)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from parvis.listening import enrichment
from tests.processes import wait_until

ROOT = Path(__file__).resolve().parents[2]

PARENT = textwrap.dedent(
    """
    import sys, time
    from parvis.listening import enrichment
    if sys.argv[1] == "watcher":  # as where prctl is missing; the forked helper inherits it
        enrichment._kill_me_with_parent = lambda: False
    helper = enrichment.Helper()
    helper.submit(["bonjour"]).result(timeout=120)
    print(*helper._pool._processes, flush=True)
    time.sleep(600)
    """
)


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for a PID 1 that may never reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("mechanism", ["prctl", "watcher"])
def test_the_helper_exits_when_its_parent_is_killed(mechanism):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, mechanism],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    helper = None
    try:
        helper = int(parent.stdout.readline())
        assert running(helper)
        parent.kill()
        parent.wait(timeout=10)
        wait_until(lambda: not running(helper), "the helper to exit", timeout=10)
    finally:
        parent.kill()
        parent.wait(timeout=10)
        parent.stdout.close()
        if helper is not None and running(helper):
            os.kill(helper, 9)


def test_the_watcher_reports_a_new_parent():
    orphaned = []
    enrichment._watch_parent(os.getppid() + 1, 0.01, lambda: orphaned.append(True))
    assert orphaned == [True]
