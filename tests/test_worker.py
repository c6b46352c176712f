"""A task goes through the real queue (SQLite file or Redis, as configured) to a real
`parvis worker` process and its result comes back."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from huey.contrib.djhuey import HUEY

from parvis.core import tasks
from tests.processes import Process, start_parvis, wait_until

pytestmark = pytest.mark.slow

RESULT_TIMEOUT = 30  # worker start-up (Django setup) plus at most one idle back-off


@pytest.fixture
def worker(tmp_path):
    """`parvis worker` on the same queue as this test process, always stopped afterwards."""
    env = {
        **os.environ,
        # The real settings, as deployed; only the queue location and name are shared.
        "DJANGO_SETTINGS_MODULE": "parvis.settings",
        "PARVIS_DATA_DIR": str(settings.DATA_DIR),
        "PARVIS_QUEUE_NAME": settings.HUEY["name"],
        "PYTHONUNBUFFERED": "1",
    }
    if "url" in settings.HUEY:
        env["PARVIS_REDIS_URL"] = settings.HUEY["url"]
    else:
        env.pop("PARVIS_REDIS_URL", None)
    # Tasks other tests enqueued (nothing consumes them in-process) would otherwise reach this
    # worker first, and run against a database it does not have.
    HUEY.flush()
    process = start_parvis(["worker", "--workers", "1"], env, tmp_path / "worker.log", tmp_path)
    try:
        yield process
    finally:
        process.stop()
        HUEY.flush()


def result_of(handle, worker: Process) -> dict:
    return wait_until(
        lambda: handle.get(preserve=False), "the ping result", worker, timeout=RESULT_TIMEOUT
    )


def test_ping_round_trip_through_a_real_worker(worker):
    first = result_of(tasks.ping("bonjour"), worker)
    assert first["payload"] == "bonjour"
    assert first["pid"] == worker.pid != os.getpid()

    # A second task, enqueued while the worker is already polling, is picked up too.
    second = result_of(tasks.ping("encore"), worker)
    assert second == {**first, "payload": "encore"}
