# ruff: noqa: F811  (pub-core fixtures are imported by name: no shared conftest here)
"""The engine: on time, exactly once per account whatever crashes, retries, failures, crisis
holds, threads in order, and never a post that is not approved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from parvis.connectors import base
from parvis.listening import extensions
from parvis.publishing import approvals, engine, services
from parvis.publishing.models import EventKind, Post, PostEvent, Status, Variant
from tests.publishing.pubcore_fixtures import (  # noqa: F401
    account,
    client_member,
    cm,
    network,
    one_step,
)
from tests.publishing.pubcore_helpers import threads_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages asserted in English (the catalogue's French is the default language)."""
    with translation.override("en"):
        yield


class Crash(Exception):
    """The worker dies between the network's answer and the commit."""


@pytest.fixture
def at():
    # Close to the real clock: the fake network dates its posts with it, as a network does.
    return timezone.now() + dt.timedelta(minutes=1)


@pytest.fixture
def scheduled(workspace, owner, account, at):
    def make(text="Bonjour", accounts=None):
        ids = {a.pk: "" for a in (accounts or [account])}
        post = services.do_create_post(workspace, owner, text, variants=ids)
        return services.do_schedule(post, owner, at)

    return make


def events(post, kind):
    return list(PostEvent.objects.filter(post=post, kind=kind))


def test_nothing_goes_before_its_time(scheduled, network, at):
    post = scheduled()
    assert engine.run_due(at - dt.timedelta(seconds=1)) == {}
    assert network.calls == []
    assert engine.run_due(at) == {Status.PUBLISHED: 1}
    variant = Variant.objects.get(post=post)
    assert variant.status == Status.PUBLISHED
    assert variant.external_id.startswith("t") and variant.url.startswith("https://threads.test/")
    assert variant.published_at is not None
    assert Post.objects.get(pk=post.pk).status == Status.PUBLISHED
    assert len(events(post, EventKind.PUBLISHED)) == 1


def test_each_account_gets_it_once(workspace, owner, scheduled, network, account, at):
    second = threads_account(workspace, owner, "lumiere.second")
    post = scheduled(accounts=[account, second])
    engine.run_due(at)
    engine.run_due(at + dt.timedelta(minutes=1))  # the next tick finds nothing to do
    engine.publish_post(post.pk, now=at + dt.timedelta(minutes=2))  # nor does a late ETA task
    assert [c[0] for c in network.calls] == ["publish", "publish"]
    assert len(network.posts) == 2
    assert {p["account"] for p in network.posts.values()} == {"lumiere.threads", "lumiere.second"}


def test_crash_between_the_answer_and_the_commit_is_reconciled(scheduled, network, at):
    post = scheduled()
    variant = Variant.objects.get(post=post)

    def crash(published):
        raise Crash

    with pytest.raises(Crash):
        engine.publish_variant(variant.pk, now=at, after_publish=crash)
    variant.refresh_from_db()
    assert variant.status == Status.PUBLISHING and variant.external_id == ""
    assert len(network.posts) == 1  # the network has it; we did not record it
    # Within the lease nobody touches it; after it, the reconcile finds it on the network.
    assert engine.run_due(at + dt.timedelta(minutes=1)) == {}
    assert engine.run_due(at + engine.CLAIM + dt.timedelta(seconds=1)) == {Status.PUBLISHED: 1}
    variant.refresh_from_db()
    assert variant.status == Status.PUBLISHED
    assert variant.external_id == next(iter(network.posts.values()))["id"]
    assert [c[0] for c in network.calls] == ["publish", "find_post"]  # never sent twice
    assert len(events(post, EventKind.PUBLISHED)) == 1


def test_crash_before_the_network_answered_is_sent_again_with_the_same_key(scheduled, network, at):
    post = scheduled()
    variant = Variant.objects.get(post=post)
    engine.claim(variant.pk, at, "worker-that-dies")
    assert engine.run_due(at + engine.CLAIM + dt.timedelta(seconds=1)) == {Status.PUBLISHED: 1}
    key = str(variant.idempotency_key)
    assert network.calls == [("find_post", key), ("publish", key)]
    assert len(network.posts) == 1


def test_a_second_worker_cannot_claim_a_variant_being_published(scheduled, network, at):
    post = scheduled()
    variant = Variant.objects.get(post=post)
    outcomes = []
    # While worker A waits for the network, worker B's tick and the post's ETA task run.
    network.during_publish.append(
        lambda: outcomes.extend(
            [
                engine.publish_variant(variant.pk, now=at, owner="worker-B"),
                engine.publish_post(post.pk, now=at, owner="worker-C"),
            ]
        )
    )
    assert engine.publish_variant(variant.pk, now=at, owner="worker-A") == Status.PUBLISHED
    assert outcomes == ["skipped", {}]
    assert [c[0] for c in network.calls] == ["publish"]
    assert engine.claim(variant.pk, at, "worker-D") == (None, False)


def test_two_claims_at_once_one_wins(scheduled, at):
    variant = Variant.objects.get(post=scheduled())
    first, _ = engine.claim(variant.pk, at, "A")
    second, _ = engine.claim(variant.pk, at, "B")
    assert first is not None and second is None
    assert Variant.objects.get(pk=variant.pk).claim_owner == "A"


def test_retry_later_backs_off_then_publishes(scheduled, network, at):
    post = scheduled()
    variant = Variant.objects.get(post=post)
    network.fail_with.append(base.RetryLater("rate limited", retry_after=300))
    assert engine.run_due(at) == {Status.SCHEDULED: 1}
    variant.refresh_from_db()
    assert variant.status == Status.SCHEDULED
    assert variant.next_attempt_at == at + dt.timedelta(seconds=300)  # the network's delay
    assert variant.last_error == "rate limited" and variant.what_to_do
    assert engine.run_due(at + dt.timedelta(seconds=299)) == {}
    assert engine.run_due(at + dt.timedelta(seconds=300)) == {Status.PUBLISHED: 1}
    # The second attempt looked first (the first may have reached the network).
    assert [c[0] for c in network.calls] == ["publish", "find_post", "publish"]
    assert len(events(post, EventKind.RETRIED)) == 1


def test_backoff_grows_without_a_network_delay(scheduled, network, at):
    variant = Variant.objects.get(post=scheduled())
    network.fail_with.extend([base.RetryLater("503"), base.RetryLater("503")])
    engine.run_due(at)
    variant.refresh_from_db()
    first = variant.next_attempt_at - at
    engine.run_due(variant.next_attempt_at)
    second_at = variant.next_attempt_at
    variant.refresh_from_db()
    assert first == dt.timedelta(seconds=60)
    assert variant.next_attempt_at - second_at == dt.timedelta(seconds=120)


def test_gives_up_after_max_attempts(scheduled, network, at):
    variant = Variant.objects.get(post=scheduled())
    network.fail_with.extend([base.RetryLater("503")] * engine.MAX_ATTEMPTS)
    when = at
    for _ in range(engine.MAX_ATTEMPTS):
        engine.run_due(when)
        variant.refresh_from_db()
        when = variant.next_attempt_at or when
    assert variant.status == Status.FAILED
    assert variant.attempts == engine.MAX_ATTEMPTS
    assert str(engine.MAX_ATTEMPTS) in variant.last_error and "503" in variant.last_error


def test_permanent_error_fails_logs_and_notifies(
    workspace, owner, scheduled, network, at, django_capture_on_commit_callbacks
):
    post = scheduled()
    network.fail_with.append(base.PermanentError("token revoked: reconnect the account"))
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.run_due(at) == {Status.FAILED: 1}
    variant = Variant.objects.get(post=post)
    assert variant.status == Status.FAILED
    assert variant.last_error == "token revoked: reconnect the account"
    assert variant.what_to_do
    assert Post.objects.get(pk=post.pk).status == Status.FAILED
    assert events(post, EventKind.FAILED)[0].message == "token revoked: reconnect the account"
    assert mail.outbox and mail.outbox[-1].to == [owner.email]
    # Fixed and retried by a person: it goes, once.
    services.do_retry(variant, owner)
    assert engine.run_due(at + dt.timedelta(minutes=1)) == {Status.PUBLISHED: 1}
    assert len(network.posts) == 1


def test_an_unapproved_post_is_never_published(
    workspace, cm, client_member, account, network, at, one_step
):
    post = services.do_create_post(
        workspace, cm, "Bonjour", variants={account.pk: ""}, scheduled_at=at
    )
    approvals.do_submit_for_approval(post, cm)
    approvals.do_approve(post, client_member)
    assert Post.objects.get(pk=post.pk).status == Status.SCHEDULED
    # Changed behind the services' back (a bug, a hand edit): the engine checks the version.
    Post.objects.filter(pk=post.pk).update(version=2, text="Autre chose")
    assert engine.run_due(at) == {Status.FAILED: 1}
    assert network.calls == []
    assert "approved" in Variant.objects.get(post=post).last_error


def test_crisis_hold_pauses_then_resumes(scheduled, network, at):
    post = scheduled()
    holding = {"on": True}

    def hold(workspace):
        return "Crise en cours" if holding["on"] else None

    extensions.register_publishing_hold(hold)
    try:
        assert engine.run_due(at) == {"waiting": 1}
        assert engine.run_due(at + dt.timedelta(minutes=1)) == {"waiting": 1}
        assert network.calls == []
        paused = events(post, EventKind.PAUSED)
        assert len(paused) == 1 and paused[0].message == "Crise en cours"  # logged once
        assert Variant.objects.get(post=post).status == Status.SCHEDULED
        holding["on"] = False
        assert engine.run_due(at + dt.timedelta(minutes=2)) == {Status.PUBLISHED: 1}
        assert len(events(post, EventKind.RESUMED)) == 1
        assert Post.objects.get(pk=post.pk).paused_at is None
    finally:
        extensions.PUBLISHING_HOLDS.remove(hold)


def test_thread_parts_go_in_order_each_replying_to_the_previous(
    workspace, owner, account, network, at
):
    second = threads_account(workspace, owner, "lumiere.second")
    head = services.do_create_post(
        workspace, owner, "1/3", variants={account.pk: "", second.pk: ""}
    )
    two = services.do_create_post(workspace, owner, "2/3", thread_parent=head)
    three = services.do_create_post(workspace, owner, "3/3", thread_parent=head)
    services.do_schedule(head, owner, at)
    # The first part of one account fails for now: its next parts wait; the other account
    # goes on.
    network.fail_with.append(base.RetryLater("busy", retry_after=600))
    engine.run_due(at)
    engine.run_due(at + dt.timedelta(seconds=1))
    engine.run_due(at + dt.timedelta(seconds=2))
    published = Variant.objects.filter(status=Status.PUBLISHED)
    assert published.count() == 3
    assert {v.account_id for v in published} == {second.pk}
    assert Variant.objects.filter(account=account, status=Status.SCHEDULED).count() == 3
    engine.run_due(at + dt.timedelta(seconds=600))
    engine.run_due(at + dt.timedelta(seconds=601))
    engine.run_due(at + dt.timedelta(seconds=602))
    assert Variant.objects.filter(status=Status.PUBLISHED).count() == 6
    for acc in (account, second):
        rows = [Variant.objects.get(post=p, account=acc) for p in (head, two, three)]
        posts = {p["id"]: p for p in network.posts.values()}
        assert posts[rows[0].external_id]["reply_to"] == ""
        assert posts[rows[1].external_id]["reply_to"] == rows[0].external_id
        assert posts[rows[2].external_id]["reply_to"] == rows[1].external_id
        assert posts[rows[2].external_id]["root"] == rows[0].external_id
    assert Post.objects.get(pk=head.pk).status == Status.PUBLISHED


def test_unscheduled_post_is_not_published(scheduled, network, owner, at):
    post = scheduled()
    services.do_unschedule(post, owner)
    assert engine.run_due(at) == {}
    assert network.calls == []


def test_account_without_a_publishing_connector_fails_with_what_to_do(
    workspace, owner, network, at
):
    from parvis.connectors.services import do_connect_account

    youtube = do_connect_account(
        workspace, owner, network="youtube", handle="lumiere", credentials={"api_key": "t"}
    )
    post = services.do_create_post(workspace, owner, "Bonjour", variants={youtube.pk: ""})
    services.do_schedule(post, owner, at)
    assert engine.run_due(at) == {Status.FAILED: 1}
    assert "cannot publish" in Variant.objects.get(post=post).last_error


def test_connector_class_prefers_the_source_reading_through_the_account(workspace, owner, account):
    from parvis.listening.models import Source

    assert engine.connector_class(account).kind == "pub_test"
    Source.objects.create(workspace=workspace, kind="demo", name="demo", account=account)
    assert engine.connector_class(account).kind == (
        "demo" if base.Capability.PUBLISH in base.get("demo").capabilities else "pub_test"
    )


def test_a_hostile_answer_is_recorded_storable(scheduled, network, at, monkeypatch):
    post = scheduled()

    def answer(self, post, context):
        return base.PublishedPost(
            "t\x00x",
            url="https://threads.test/\ud800",
            published_at=dt.datetime(9999, 12, 31, tzinfo=dt.UTC),
            raw={"deep": float("nan")},
        )

    monkeypatch.setattr(network, "publish", answer)
    assert engine.run_due(at) == {Status.PUBLISHED: 1}
    variant = Variant.objects.get(post=post)
    assert variant.external_id == "t\\u0000x" and "\\ud800" in variant.url
    assert variant.published_at.year < 2100
    assert "unstorable" in variant.raw


def test_retrying_a_failed_thread_part_releases_the_parts_after_it(
    workspace, owner, account, network, at
):
    head = services.do_create_post(workspace, owner, "1/2", variants={account.pk: ""})
    two = services.do_create_post(workspace, owner, "2/2", thread_parent=head)
    services.do_schedule(head, owner, at)
    network.fail_with.append(base.PermanentError("suspended"))
    engine.run_due(at)
    engine.run_due(at + dt.timedelta(seconds=1))
    first, second = Variant.objects.get(post=head), Variant.objects.get(post=two)
    assert (first.status, second.status) == (Status.FAILED, Status.FAILED)
    assert second.last_error and second.attempts == 1  # failed without reaching the network
    services.do_retry(first, owner)
    assert engine.run_due(at + dt.timedelta(minutes=1)) == {Status.PUBLISHED: 2}
    posts = {p["id"]: p for p in network.posts.values()}
    second.refresh_from_db()
    assert posts[second.external_id]["reply_to"] == Variant.objects.get(post=head).external_id
    # The retry looked on the network first (the failure may have hidden a success).
    assert network.calls[1][0] == "find_post"


def test_the_http_client_is_shared_per_kind_without_cookies(account):
    first = engine.http_client(type(engine.connector_for(account, http=None)))
    first.cookies.set("session", "account-a")
    second = engine.http_client(type(engine.connector_for(account, http=None)))
    assert second is first and not second.cookies


def test_the_tasks_wrap_the_engine(scheduled, network, monkeypatch):
    from parvis.publishing import tasks

    post = scheduled()
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - dt.timedelta(seconds=1))
    queued, batches = [], []
    monkeypatch.setattr(tasks, "publish_variant_task", queued.append)
    monkeypatch.setattr(tasks, "publish_batch_task", lambda: batches.append(1))
    # A first attempt goes in a batch task; a retry (possibly in doubt) in a task of its own.
    assert tasks.publishing_minutely.call_local() == 1
    assert (batches, queued) == ([1], [])
    variant = Variant.objects.get(post=post)
    Variant.objects.filter(pk=variant.pk).update(attempts=1)
    assert tasks.publishing_minutely.call_local() == 1
    assert (batches, queued) == ([1], [variant.pk])
    assert tasks.publish_due_task.call_local(post.pk) == {Status.PUBLISHED: 1}
    assert tasks.publishing_minutely.call_local() == 0
    monkeypatch.undo()
    assert tasks.publish_batch_task.call_local() == {}


def test_a_published_variant_keeps_the_text_it_was_sent_with(
    workspace, owner, account, network, at
):
    second = threads_account(workspace, owner, "lumiere.second")
    post = services.do_create_post(
        workspace, owner, "Bonjour", variants={account.pk: "", second.pk: ""}
    )
    services.do_schedule(post, owner, at)
    network.fail_with.append(base.PermanentError("suspended"))
    engine.run_due(at)  # one published, one failed: the post can still be edited
    services.do_update_post(post, owner, text="Bonsoir")
    texts = {v.status: v.effective_text for v in Variant.objects.filter(post=post)}
    assert texts == {Status.PUBLISHED: "Bonjour", Status.FAILED: "Bonsoir"}


def test_a_failed_post_edited_goes_back_to_its_approvers(
    workspace, cm, client_member, account, network, at, one_step
):
    second = threads_account(workspace, cm, "lumiere.second")
    post = services.do_create_post(
        workspace, cm, "Bonjour", variants={account.pk: "", second.pk: ""}, scheduled_at=at
    )
    approvals.do_submit_for_approval(post, cm)
    approvals.do_approve(post, client_member)
    network.fail_with.append(base.PermanentError("suspended"))
    engine.run_due(at)
    services.do_update_post(post, cm, text="Bonsoir")
    statuses = set(Variant.objects.filter(post=post).values_list("status", flat=True))
    assert statuses == {Status.PUBLISHED, Status.AWAITING_APPROVAL}
    assert Post.objects.get(pk=post.pk).status == Status.AWAITING_APPROVAL
    with pytest.raises(ValidationError):
        services.do_retry(Variant.objects.get(post=post, status=Status.AWAITING_APPROVAL), cm)
    assert engine.run_due(at + dt.timedelta(minutes=5)) == {}
