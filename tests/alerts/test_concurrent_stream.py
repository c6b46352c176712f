"""Two workers folding one workspace's new mentions at once, on PostgreSQL (where they really
run in parallel): together they count each mention exactly once.

Both threads are held at the same point (after reading the new mentions) by a barrier; with
the cursor's row lock the second waits at the lock instead, the first times out at the
barrier, commits, and the second then reads past what the first folded.
"""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection, connections

from parvis.alerts import stream
from parvis.alerts.models import AlertCursor, Series
from parvis.listening.models import Mention
from tests.alerts.helpers import T0, add_mentions

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has one writer at a time (its IMMEDIATE transactions)",
    ),
]

BARRIER_SECONDS = 4


def test_two_workers_at_once_neither_lose_nor_double_count(workspace, monkeypatch):
    original = stream.read_rows
    barrier = threading.Barrier(2, timeout=BARRIER_SECONDS)

    def held(*args, **kwargs):
        rows = original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return rows

    monkeypatch.setattr(stream, "read_rows", held)
    add_mentions(workspace, T0, 40, negative=True, reach=7)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            stream.take_chunk(workspace, now=T0)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    for _round in range(2):
        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        add_mentions(workspace, T0, 25, reach=1)
    stream.take_chunk(workspace, now=T0)
    assert errors == []
    volume = Series.objects.get(
        workspace=workspace, metric="volume", query=None, resolution="minute"
    )
    assert volume.bucket_value == 90 == Mention.objects.filter(workspace=workspace).count()
    assert (
        Series.objects.get(workspace=workspace, metric="negative", resolution="minute").bucket_value
        == 40
    )
    assert Series.objects.get(workspace=workspace, metric="reach").bucket_value == 40 * 7 + 50
    last = Mention.objects.order_by("-id").first()
    assert AlertCursor.objects.get(workspace=workspace).last_mention_id == last.pk
