"""One run of a source at a time, across worker processes and machines.

A run takes a lease on the source row with a conditional UPDATE (atomic on SQLite and
PostgreSQL), renews it after each page and releases it at the end. A worker killed mid-run
leaves its lease behind: it expires after LEASE_SECONDS, or at once when the owner was a
process of this same machine that no longer exists.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading

from django.db.models import Q
from django.utils import timezone

from parvis.listening.models import Source

LEASE_SECONDS = 300


def me() -> str:
    # The thread too: `parvis demo` and thread workers run several tasks in one process.
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def owner_is_dead(owner: str) -> bool:
    host, pid, _thread = [*owner.rsplit(":", 2), "", ""][:3]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine: only the expiry tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(source_id: int, owner: str | None = None) -> bool:
    owner = owner or me()
    now = timezone.now()
    until = now + dt.timedelta(seconds=LEASE_SECONDS)
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner)
    if Source.objects.filter(free, pk=source_id).update(lease_owner=owner, lease_until=until):
        return True
    current = Source.objects.filter(pk=source_id).values_list("lease_owner", flat=True).first()
    if current and owner_is_dead(current):
        taken = Source.objects.filter(pk=source_id, lease_owner=current)
        return bool(taken.update(lease_owner=owner, lease_until=until))
    return False


def renew(source_id: int, owner: str | None = None) -> None:
    until = timezone.now() + dt.timedelta(seconds=LEASE_SECONDS)
    Source.objects.filter(pk=source_id, lease_owner=owner or me()).update(lease_until=until)


def release(source_id: int, owner: str | None = None) -> None:
    Source.objects.filter(pk=source_id, lease_owner=owner or me()).update(
        lease_owner="", lease_until=None
    )
