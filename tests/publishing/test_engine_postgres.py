# ruff: noqa: F811  (pub-core fixtures are imported by name: no shared conftest here)
"""Two workers at once on PostgreSQL (where they really run in parallel): one variant is
published once, and a post whose variants two workers record at the same time ends with
the right status. Each test holds both threads at the racy point with a barrier."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from parvis.publishing import engine, services
from parvis.publishing.models import EventKind, Post, Status, Variant
from tests.publishing.pubcore_fixtures import account, network  # noqa: F401
from tests.publishing.pubcore_helpers import threads_account

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time"),
]

BARRIER_SECONDS = 4


def in_parallel(*jobs: Callable[[], Any]) -> list[Any]:
    results: list[Any] = [RuntimeError("did not finish")] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            results[i] = job()
        except BaseException as error:  # reported to the test
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def hold(monkeypatch, module: Any, name: str, when: Callable[..., bool] = lambda *a, **k: True):
    original = getattr(module, name)
    barrier = threading.Barrier(2, timeout=BARRIER_SECONDS)

    def held(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if when(*args, **kwargs):
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
        return result

    monkeypatch.setattr(module, name, held)


def test_two_workers_claim_one_variant_at_once(workspace, owner, account, network, monkeypatch):
    at = timezone.now() + dt.timedelta(seconds=30)
    post = services.do_create_post(workspace, owner, "Bonjour", variants={account.pk: ""})
    services.do_schedule(post, owner, at)
    variant = Variant.objects.get(post=post)
    # Both have seen it due and not blocked; now both try to claim it.
    hold(monkeypatch, engine, "blocked")
    results = in_parallel(
        lambda: engine.publish_variant(variant.pk, now=at, owner="A"),
        lambda: engine.publish_variant(variant.pk, now=at, owner="B"),
    )
    assert sorted(map(str, results)) == ["published", "skipped"]
    assert [c[0] for c in network.calls] == ["publish"]
    assert Variant.objects.get(pk=variant.pk).status == Status.PUBLISHED


def test_two_outcomes_of_one_post_recorded_at_once(workspace, owner, account, network, monkeypatch):
    second = threads_account(workspace, owner, "lumiere.second")
    at = timezone.now() + dt.timedelta(seconds=30)
    post = services.do_create_post(
        workspace, owner, "Bonjour", variants={account.pk: "", second.pk: ""}
    )
    services.do_schedule(post, owner, at)
    a, b = Variant.objects.filter(post=post).order_by("id")
    # Each worker holds after writing its variant's outcome, before the post's aggregate.
    hold(monkeypatch, engine, "event", lambda post, kind, *a, **k: kind == EventKind.PUBLISHED)
    results = in_parallel(
        lambda: engine.publish_variant(a.pk, now=at, owner="A"),
        lambda: engine.publish_variant(b.pk, now=at, owner="B"),
    )
    assert results == [Status.PUBLISHED, Status.PUBLISHED]
    assert Post.objects.get(pk=post.pk).status == Status.PUBLISHED


def test_two_batches_claimed_at_once_take_different_variants(
    workspace, owner, account, network, monkeypatch
):
    from parvis.publishing import batch

    at = timezone.now() + dt.timedelta(seconds=30)
    for n in range(10):
        post = services.do_create_post(workspace, owner, f"Post {n}", variants={account.pk: ""})
        services.do_schedule(post, owner, at)
    # Both have built their query; then both select and claim at the same moment. With SKIP
    # LOCKED the second skips the rows the first holds instead of waiting for them and then
    # finding them taken (which would leave it with nothing while four variants wait).
    hold(monkeypatch, batch, "batchable")
    claimed = in_parallel(
        lambda: [v.pk for v in batch.claim_batch(at, "A", size=6)],
        lambda: [v.pk for v in batch.claim_batch(at, "B", size=6)],
    )
    first, second = claimed
    assert not set(first) & set(second)
    assert sorted([len(first), len(second)]) == [4, 6]
    assert Variant.objects.filter(status=Status.PUBLISHING).count() == 10
