"""Two writers ingesting into one workspace at the same time, on PostgreSQL (where writers
really run in parallel): what they store together equals what one writer would have stored.

Each test runs two batches in two threads (each with its own database connection) and holds
both at the same point of the write stage with a barrier, which forces the interleaving that
loses updates when the write stage reads then writes without serialising writers. With the
workspace's write lock the second writer waits at the lock instead: the first one times out at
the barrier, goes on, commits, and the second then reads what the first wrote.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from parvis.listening import authors, pipeline
from parvis.listening.models import Author, Mention, Source
from parvis.listening.pipeline import Incoming, Summary
from parvis.workspaces.services import do_create_workspace
from tests.listening.factories import mention

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has one writer at a time (tests/listening/test_sqlite_writers.py)",
    ),
]

# Long enough for the other thread to reach the barrier on a busy machine; with the fix the
# first writer waits this long once per test.
BARRIER_SECONDS = 4


def hold_at_barrier(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
    """Each thread's first call of module.name waits there (after the call) for the other."""
    original = getattr(module, name)
    barrier = threading.Barrier(2, timeout=BARRIER_SECONDS)
    waited: set[int] = set()

    def held(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            # Broken: the other writer waits at the workspace lock, so this one goes on alone.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
        return result

    monkeypatch.setattr(module, name, held)


def in_parallel(*jobs: Callable[[], Summary]) -> list[Summary | BaseException]:
    """Run the jobs in threads at once; each one's summary, or the exception it raised."""
    results: list[Summary | BaseException] = [RuntimeError("did not finish")] * len(jobs)

    def run(n: int, job: Callable[[], Summary]) -> None:
        try:
            results[n] = job()
        except BaseException as exc:  # reported by the test, not lost in the thread
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def ingest(workspace, items: list[dict], source: Source | None = None) -> Callable[[], Summary]:
    return lambda: pipeline.run(workspace, [Incoming(data=i) for i in items], source=source)


def assert_single_writer_result(workspace) -> None:
    """No duplicate, every author's count equal to its stored mentions."""
    mentions = Mention.objects.filter(workspace=workspace)
    keys = list(mentions.values_list("network", "external_id"))
    assert len(keys) == len(set(keys))
    for author in Author.objects.filter(workspace=workspace):
        assert author.mention_count == mentions.filter(author=author).count(), author.handle


@pytest.fixture
def workspace(db):
    return do_create_workspace("lumiere", "Maison Lumière")


def test_two_writers_count_every_mention_of_one_author(workspace, monkeypatch):
    pipeline.run(workspace, [Incoming(data=mention(7))])  # user0: one mention stored
    hold_at_barrier(monkeypatch, authors, "read")
    results = in_parallel(ingest(workspace, [mention(14)]), ingest(workspace, [mention(21)]))
    assert all(isinstance(r, Summary) and r.stored == 1 for r in results), results
    author = Author.objects.get(workspace=workspace, handle="user0.bsky.social")
    assert author.mention_count == 3
    assert author.engagement == sum(
        Mention.objects.filter(author=author).values_list("engagement", flat=True)
    )
    assert_single_writer_result(workspace)


def test_a_post_seen_by_two_sources_at_once_is_stored_once_and_the_batches_kept(
    workspace, monkeypatch
):
    first = Source.objects.create(workspace=workspace, kind="rss", name="a", config={})
    second = Source.objects.create(workspace=workspace, kind="rss", name="b", config={})
    shared = mention(1)
    hold_at_barrier(monkeypatch, authors, "read")
    results = in_parallel(
        ingest(workspace, [shared, mention(2)], first),
        ingest(workspace, [shared, mention(3)], second),
    )
    assert all(isinstance(r, Summary) for r in results), results
    assert sorted((r.stored, r.duplicates) for r in results) == [(1, 1), (2, 0)]
    assert Mention.objects.filter(workspace=workspace).count() == 3
    assert_single_writer_result(workspace)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.items_total + second.items_total == 3


def test_copies_written_at_once_join_one_group(workspace, monkeypatch):
    text = {"text": "Offre incroyable, cliquez ici pour gagner une bougie Maison Lumière"}
    pipeline.run(workspace, [Incoming(data=mention(1, **text))])
    hold_at_barrier(monkeypatch, pipeline, "group_heads")
    results = in_parallel(
        ingest(workspace, [mention(2, **text)]), ingest(workspace, [mention(3, **text)])
    )
    assert all(isinstance(r, Summary) and r.stored == 1 for r in results), results
    copies = Mention.objects.filter(workspace=workspace)
    head = copies.get(group_head=True)
    assert head.external_id.endswith("/000001")
    assert head.group_size == 3 == copies.count()


def test_new_copies_written_at_once_get_one_head(workspace, monkeypatch):
    text = {"text": "Première fois que ce texte exact arrive, par deux sources à la fois"}
    hold_at_barrier(monkeypatch, pipeline, "group_heads")
    results = in_parallel(
        ingest(workspace, [mention(2, **text)]), ingest(workspace, [mention(3, **text)])
    )
    assert all(isinstance(r, Summary) and r.stored == 1 for r in results), results
    heads = Mention.objects.filter(workspace=workspace, group_head=True)
    assert [h.group_size for h in heads] == [2]


def test_writers_of_different_workspaces_do_not_wait_for_each_other(workspace, monkeypatch):
    other = do_create_workspace("rival", "Rival & Co")
    met = threading.Barrier(2, timeout=BARRIER_SECONDS)
    original = authors.read
    outcomes: list[bool] = []

    def read(*args: Any, **kwargs: Any) -> Any:
        # Both writers are inside their write transactions here: each must reach this point
        # while the other still holds its workspace's lock.
        try:
            met.wait()
            outcomes.append(True)
        except threading.BrokenBarrierError:
            outcomes.append(False)
        return original(*args, **kwargs)

    monkeypatch.setattr(authors, "read", read)
    results = in_parallel(ingest(workspace, [mention(1)]), ingest(other, [mention(1)]))
    assert all(isinstance(r, Summary) and r.stored == 1 for r in results), results
    assert outcomes == [True, True]
