"""Health of the parts Parvis needs: the database and the queue."""

from __future__ import annotations

import os
import socket

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


def report() -> dict:
    checks = {"database": check_database(), "queue": check_queue()}
    healthy = all(check["status"] == "ok" for check in checks.values())
    return {"status": "ok" if healthy else "error", **checks}
