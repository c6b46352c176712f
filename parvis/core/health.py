"""Health of the parts Parvis needs: the database and the queue."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from huey.contrib.djhuey import HUEY


def worker_echo(payload: str) -> dict:
    """What a worker answers to a ping: proves a real consumer ran the task, and where."""
    return {"payload": payload, "pid": os.getpid(), "host": socket.gethostname()}


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return {"status": "error", "vendor": connection.vendor, "error": type(exc).__name__}
    return {"status": "ok", "vendor": connection.vendor}


def check_queue() -> dict:
    backend = type(HUEY).__name__
    try:
        pending = HUEY.pending_count()
    except Exception as exc:  # redis or sqlite errors alike mean "down"
        return {"status": "error", "backend": backend, "error": type(exc).__name__}
    return {"status": "ok", "backend": backend, "pending": pending}


# The archives `parvis backup` writes (parvis/ops/archive.py), by name so that they sort by
# date; the worker's daily backups go to PARVIS_BACKUP_DIR.
BACKUP_PREFIX = "parvis-backup-"
BACKUP_SUFFIX = ".tar.gz"
# A daily backup older than this is late (a missed day plus some slack).
BACKUP_LATE_SECONDS = 36 * 3600


def backups(folder: Path) -> list[Path]:
    """The archives in `folder`, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.name.startswith(BACKUP_PREFIX) and path.name.endswith(BACKUP_SUFFIX)
    )


def last_backup_age() -> float | None:
    """Seconds since the newest archive in PARVIS_BACKUP_DIR was written; None without one."""
    folder = getattr(settings, "BACKUP_DIR", None)
    found = backups(Path(folder)) if folder else []
    if not found:
        return None
    return max(0.0, time.time() - found[-1].stat().st_mtime)


def check_backup() -> dict | None:
    if not getattr(settings, "BACKUP_DIR", None):
        return None
    age = last_backup_age()
    if age is None:
        return {"status": "missing"}
    return {"status": "ok" if age < BACKUP_LATE_SECONDS else "late", "age_seconds": int(age)}


def report() -> dict:
    checks = {"database": check_database(), "queue": check_queue()}
    healthy = all(check["status"] == "ok" for check in checks.values())
    result = {"status": "ok" if healthy else "error", **checks}
    # Shown, not counted in the status: a late backup is no reason to restart the server.
    backup = check_backup()
    if backup is not None:
        result["backup"] = backup
    return result
