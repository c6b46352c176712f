"""The worker's heartbeat and its tasks' durations, stored where every process reads them."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from parvis.listening import stage_times
from parvis.ops.models import TaskStat, WorkerHeartbeat

log = logging.getLogger(__name__)

# A worker runs the heartbeat task every minute: three missed minutes mean it is gone.
STALE_AFTER = timedelta(minutes=3)
# Rows of workers gone for this long are deleted (every restart makes a new pid).
FORGET_AFTER = timedelta(days=1)
STARTED_AT = timezone.now()


def beat(now: datetime | None = None) -> None:
    flush()
    now = now or timezone.now()
    host, pid = socket.gethostname()[:255], os.getpid()
    updated = WorkerHeartbeat.objects.filter(host=host, pid=pid).update(seen_at=now)
    if not updated:
        try:
            with transaction.atomic():
                WorkerHeartbeat.objects.create(
                    host=host, pid=pid, started_at=STARTED_AT, seen_at=now
                )
        except IntegrityError:
            WorkerHeartbeat.objects.filter(host=host, pid=pid).update(seen_at=now)
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()


def last_heartbeat() -> datetime | None:
    row = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    return row


def record_task(name: str, seconds: float, failures: int = 0, runs: int = 1) -> None:
    """Add runs to the task's counters (the database adds: workers run side by side)."""
    now = timezone.now()
    changes = {
        "runs": F("runs") + runs,
        "failures": F("failures") + failures,
        "seconds_total": F("seconds_total") + seconds,
        "last_run_at": now,
    }
    if TaskStat.objects.filter(name=name).update(**changes):
        return
    try:
        with transaction.atomic():
            TaskStat.objects.create(name=name)
    except IntegrityError:
        pass  # another worker created it first
    TaskStat.objects.filter(name=name).update(**changes)


_started: dict[str, float] = {}
# Runs not yet added to TaskStat: (runs, failures, seconds) by task name. Written at most every
# FLUSH_SECONDS, so ten thousand publishing tasks in a minute cost a few UPDATEs, not ten
# thousand contending for SQLite's write lock.
_pending: dict[str, tuple[int, int, float]] = {}
_last_flush = float("-inf")  # a worker's first run is written at once
_lock = threading.Lock()
FLUSH_SECONDS = 10.0
# TaskStat rows of the ingestion pipeline's stages (listening.pipeline.Stage) are named so.
STAGE_PREFIX = "pipeline-stage:"


def task_started(task_id: str) -> None:
    with _lock:
        _started[task_id] = time.monotonic()


def task_finished(task_id: str, name: str, failed: bool) -> None:
    global _last_flush
    now = time.monotonic()
    with _lock:
        started = _started.pop(task_id, None)
        if started is None:
            return
        runs, failures, seconds = _pending.get(name[:200], (0, 0, 0.0))
        _pending[name[:200]] = (runs + 1, failures + int(failed), seconds + now - started)
        due = now - _last_flush >= FLUSH_SECONDS
        if due:
            _last_flush = now
    if due:
        flush()


def flush() -> None:
    """Add the pending runs, and the pipeline stages' times, to the database (the heartbeat
    task calls it too)."""
    with _lock:
        pending = dict(_pending)
        _pending.clear()
    for stage, (batches, seconds) in stage_times.drain().items():
        pending[STAGE_PREFIX + stage] = (batches, 0, seconds)
    for name, (runs, failures, seconds) in pending.items():
        try:
            record_task(name, seconds, failures, runs)
        except Exception:  # the statistics must never fail a task; these runs are lost
            log.exception("could not record the durations of task %s", name)
