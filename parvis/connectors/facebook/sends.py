"""Exactly once for replies and posts on a network without idempotency keys (FacebookSend).

The row is written, in its own transaction, before the call. Another attempt with the same
key returns what the row recorded; a row without a result means an earlier attempt may have
reached Facebook and lost its answer, so the Page is read back from the row's start first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from parvis.connectors.facebook.models import FacebookSend

T = TypeVar("T")
KEEP = dt.timedelta(days=30)


def once(
    connector: object,
    kind: str,
    key: str,
    *,
    recorded: Callable[[FacebookSend], T],
    find: Callable[[dt.datetime], T | None],
    send: Callable[[], T],
    record: Callable[[FacebookSend, T], None],
) -> T:
    account = getattr(connector, "account", None)
    if not key or account is None:
        return send()
    with transaction.atomic():
        row, created = claim(account.workspace_id, account.pk, kind, key)
    if not created:
        if row.external_id:
            return recorded(row)
        found = find(row.started_at)
        if found is not None:
            record(row, found)
            return found
    result = send()
    record(row, result)
    return result


def claim(workspace_id: int, account_id: int, kind: str, key: str) -> tuple[FacebookSend, bool]:
    existing = FacebookSend.objects.filter(account_id=account_id, kind=kind, key=key[:200]).first()
    if existing is not None:
        return existing, False
    # Past a month no attempt is in doubt any more (the apps retry for hours at most).
    FacebookSend.objects.filter(started_at__lt=timezone.now() - KEEP).delete()
    try:
        with transaction.atomic():
            row = FacebookSend.objects.create(
                workspace_id=workspace_id,
                account_id=account_id,
                kind=kind,
                key=key[:200],
                started_at=timezone.now(),
            )
    except IntegrityError:  # another worker claimed it between the read and the insert
        return FacebookSend.objects.get(account_id=account_id, kind=kind, key=key[:200]), False
    return row, True


def save(row: FacebookSend, external_id: str, url: str, published_at: dt.datetime | None) -> None:
    row.external_id, row.url, row.published_at = external_id[:200], url[:500], published_at
    row.save(update_fields=["external_id", "url", "published_at"])
