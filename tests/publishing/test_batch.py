# ruff: noqa: F811  (pub-core fixtures are imported by name: no shared conftest here)
"""The batch path of a crowded minute (publishing/batch.py): the same rules as one variant at
a time — exactly once, approval, crisis holds, retries, failures, a crash between the answer
and the commit — for many variants claimed and recorded together, in a bounded number of
queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from parvis.connectors import base
from parvis.listening import extensions
from parvis.publishing import approvals, batch, engine, services
from parvis.publishing.models import EventKind, Post, PostEvent, Status, Variant
from tests.publishing.pubcore_fixtures import (  # noqa: F401
    account,
    client_member,
    network,
    one_step,
)
from tests.publishing.pubcore_helpers import threads_account

pytestmark = pytest.mark.django_db


class Crash(Exception):
    """The worker dies between the network's answer and the commit."""


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def at():
    return timezone.now() + dt.timedelta(minutes=1)


@pytest.fixture
def accounts(workspace, owner, network):
    return [threads_account(workspace, owner, f"lumiere.{n}") for n in range(4)]


def schedule(workspace, owner, accounts, at, count, text="Post"):
    posts = []
    for n in range(count):
        account = accounts[n % len(accounts)]
        post = services.do_create_post(workspace, owner, f"{text} {n}", variants={account.pk: ""})
        posts.append(services.do_schedule(post, owner, at))
    return posts


def test_a_batch_publishes_every_due_variant_once(workspace, owner, accounts, network, at):
    posts = schedule(workspace, owner, accounts, at, 10)
    assert batch.publish_batch(at - dt.timedelta(seconds=1)) == {}  # not due yet
    assert batch.publish_batch(at, size=6) == {Status.PUBLISHED: 6}
    assert batch.publish_batch(at, size=6) == {Status.PUBLISHED: 4}
    assert batch.publish_batch(at) == {}
    assert sorted(k for op, k in network.calls) == sorted(
        str(v.idempotency_key) for v in Variant.objects.all()
    )
    assert sorted(p["text"] for p in network.posts.values()) == sorted(
        f"Post {n}" for n in range(10)
    )
    for post in posts:
        post.refresh_from_db()
        variant = Variant.objects.get(post=post)
        assert (post.status, variant.status) == (Status.PUBLISHED, Status.PUBLISHED)
        assert variant.external_id and variant.url and variant.published_at
        assert variant.text == post.text and not variant.claim_owner
        assert [
            e.details["account"]
            for e in PostEvent.objects.filter(post=post, kind=EventKind.PUBLISHED)
        ] == [variant.account.handle]
    # The per-minute tick and a late ETA task find nothing left to do.
    assert engine.run_due(at + dt.timedelta(minutes=1)) == {}
    assert engine.publish_post(posts[0].pk, now=at + dt.timedelta(minutes=2)) == {}


def test_the_task_of_a_post_takes_its_own_variants_first(workspace, owner, accounts, network, at):
    posts = schedule(workspace, owner, accounts, at, 5)
    last = posts[-1]
    claimed = batch.claim_batch(at, "worker-A", prefer_post=last.pk, size=2)
    assert [v.post_id for v in claimed] == sorted([posts[0].pk, last.pk])
    assert {v.claim_owner for v in claimed} == {"worker-A"}
    assert Post.objects.get(pk=last.pk).status == Status.PUBLISHING
    assert batch.claim_batch(at, "worker-B", size=10) == list(
        Variant.objects.filter(post__in=posts[1:4]).order_by("id")
    )
    assert batch.claim_batch(at, "worker-C", size=10) == []


def test_queries_do_not_grow_with_the_batch(workspace, owner, accounts, network, at):
    schedule(workspace, owner, accounts, at, 40)
    with CaptureQueriesContext(connection) as small:
        assert batch.publish_batch(at, size=4) == {Status.PUBLISHED: 4}
    with CaptureQueriesContext(connection) as large:
        assert batch.publish_batch(at, size=32) == {Status.PUBLISHED: 32}
    # One UPDATE per variant recorded (its own answer), everything else once per batch
    # (measured: 21 and 49 queries).
    assert len(large) - len(small) == 32 - 4
    assert len(large) <= 32 + 20


def test_an_unapproved_post_fails_in_the_batch_and_the_others_go(
    workspace, owner, accounts, network, at, one_step, client_member
):
    made = []
    for text, to in (("Validé", accounts[0]), ("Pas validé", accounts[1])):
        post = services.do_create_post(
            workspace, owner, text, variants={to.pk: ""}, scheduled_at=at
        )
        approvals.do_submit_for_approval(post, owner)
        approvals.do_approve(post, client_member)
        made.append(post)
    good, bad = made
    assert Post.objects.get(pk=good.pk).status == Status.SCHEDULED
    # Edited behind the pages' back after approval: the engine itself refuses it.
    Post.objects.filter(pk=bad.pk).update(version=bad.version + 1)
    assert batch.publish_batch(at) == {Status.PUBLISHED: 1, Status.FAILED: 1}
    assert [p["text"] for p in network.posts.values()] == ["Validé"]
    failed = Variant.objects.get(post=bad)
    assert failed.status == Status.FAILED and "not approved" in failed.last_error


def test_a_crisis_hold_leaves_the_batch_scheduled(workspace, owner, accounts, network, at):
    posts = schedule(workspace, owner, accounts, at, 3)

    def hold(ws):
        return "Bad buzz in progress"

    extensions.register_publishing_hold(hold)
    try:
        assert batch.publish_batch(at) == {}
        assert network.calls == []
        for post in posts:
            post.refresh_from_db()
            variant = Variant.objects.get(post=post)
            assert (post.status, variant.status, variant.attempts) == (
                Status.SCHEDULED,
                Status.SCHEDULED,
                0,
            )
            assert post.paused_at is not None
            assert len(PostEvent.objects.filter(post=post, kind=EventKind.PAUSED)) == 1
        assert batch.publish_batch(at) == {}  # logged once
        assert PostEvent.objects.filter(kind=EventKind.PAUSED).count() == 3
    finally:
        extensions.PUBLISHING_HOLDS.remove(hold)
    assert batch.publish_batch(at + dt.timedelta(minutes=1)) == {Status.PUBLISHED: 3}
    assert Post.objects.filter(paused_at__isnull=False).count() == 0
    assert PostEvent.objects.filter(kind=EventKind.RESUMED).count() == 3


def test_retry_later_and_permanent_errors_in_a_batch(workspace, owner, account, network, at):
    post = services.do_create_post(workspace, owner, "Un", variants={account.pk: ""})
    services.do_schedule(post, owner, at)
    network.fail_with.append(base.RetryLater("busy", retry_after=300))
    assert batch.publish_batch(at) == {Status.SCHEDULED: 1}
    variant = Variant.objects.get(post=post)
    assert variant.status == Status.SCHEDULED and variant.attempts == 1
    assert variant.next_attempt_at >= at + dt.timedelta(seconds=300)
    # A retry is no longer a first attempt: the one-at-a-time path (which looks first).
    assert batch.publish_batch(variant.next_attempt_at) == {}
    assert engine.run_due(variant.next_attempt_at) == {Status.PUBLISHED: 1}
    assert [op for op, _k in network.calls] == ["publish", "find_post", "publish"]

    other = services.do_create_post(workspace, owner, "Deux", variants={account.pk: ""})
    services.do_schedule(other, owner, at)
    network.fail_with.append(base.PermanentError("The account is suspended"))
    assert batch.publish_batch(at) == {Status.FAILED: 1}
    assert Variant.objects.get(post=other).last_error == "The account is suspended"


def test_a_crash_between_the_answer_and_the_commit_publishes_once(
    workspace, owner, accounts, network, at
):
    schedule(workspace, owner, accounts, at, 3)

    def crash(published):
        raise Crash

    with pytest.raises(Crash):
        batch.publish_batch(at, after_publish=crash)
    assert len(network.posts) == 3  # the network has them, our records do not
    assert set(Variant.objects.values_list("status", flat=True)) == {Status.PUBLISHING}
    # Nothing happens while the lease runs; after it, each is found on the network.
    assert engine.run_due(at + dt.timedelta(minutes=1)) == {}
    later = at + engine.CLAIM + dt.timedelta(seconds=1)
    assert engine.run_due(later) == {Status.PUBLISHED: 3}
    assert len(network.posts) == 3
    assert sorted(op for op, _k in network.calls) == ["find_post"] * 3 + ["publish"] * 3


def test_a_thread_keeps_the_one_at_a_time_path(workspace, owner, account, network, at):
    head = services.do_create_post(workspace, owner, "Un", variants={account.pk: ""})
    services.do_create_post(workspace, owner, "Deux", thread_parent=head)
    services.do_schedule(head, owner, at)
    assert batch.publish_batch(at) == {}  # a thread goes one part after the other
    assert engine.publish_post(head.pk, now=at) == {Status.PUBLISHED: 2}
    assert [p["text"] for p in network.posts.values()] == ["Un", "Deux"]
