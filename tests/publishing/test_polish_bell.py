# ruff: noqa: F811  (pub-core fixtures are imported by name)
"""A post that fails for good, or needs someone (a revoked token, a file the network refused),
puts one notice in the bell of each member who can publish, with what to do and a link to the
post: once per failure, whatever retries and however many workers see it."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from parvis.alerts import services as alert_services
from parvis.alerts.models import Notice
from parvis.connectors import base
from parvis.listening import extensions
from parvis.publishing import engine, notify, services
from parvis.publishing.models import EventKind, PostEvent, Status, Variant
from parvis.workspaces.roles import Role
from tests.conftest import login
from tests.publishing.pubcore_fixtures import account, network  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def at():
    return timezone.now() + dt.timedelta(minutes=1)


@pytest.fixture
def team(member_factory):
    return {
        "cm": member_factory(Role.COMMUNITY_MANAGER),
        "manager": member_factory(Role.MANAGER),
        "client": member_factory(Role.CLIENT),
        "analyst": member_factory(Role.ANALYST),
    }


@pytest.fixture
def scheduled(workspace, owner, account, at):
    post = services.do_create_post(workspace, owner, "Bonjour", variants={account.pk: ""})
    return services.do_schedule(post, owner, at)


def bell(user):
    return list(Notice.objects.filter(user=user))


def test_a_revoked_token_notifies_every_publisher_once(
    workspace, owner, team, scheduled, network, at
):
    network.fail_with.append(base.PermanentError("refused the access token: reconnect"))
    assert engine.run_due(at) == {Status.FAILED: 1}
    for who in (owner, team["cm"], team["manager"]):
        notices = bell(who)
        assert len(notices) == 1, who
        notice = notices[0]
        assert notice.read_at is None and notice.kind == notify.KIND
        assert notice.url == reverse("publishing:post", args=[workspace.slug, scheduled.pk])
        assert notice.params["account"] == "lumiere.threads"
    # Those who cannot publish (the client approves, the analyst reads) are not woken.
    assert bell(team["client"]) == [] and bell(team["analyst"]) == []
    # Later ticks, a late ETA task: nothing fails again, nothing is notified again.
    engine.run_due(at + dt.timedelta(minutes=5))
    engine.publish_post(scheduled.pk, now=at + dt.timedelta(minutes=6))
    assert Notice.objects.count() == 3


def test_the_batch_path_notifies_once_per_failure(workspace, owner, team, account, network, at):
    from parvis.publishing import batch

    posts = []
    for text in ("Un", "Deux"):
        post = services.do_create_post(workspace, owner, text, variants={account.pk: ""})
        posts.append(services.do_schedule(post, owner, at))
    network.fail_with.extend([base.PermanentError("refused the file as too large")] * 2)
    assert batch.publish_batch(at) == {Status.FAILED: 2}
    assert batch.publish_batch(at + dt.timedelta(minutes=1)) == {}
    mine = Notice.objects.filter(user=owner).order_by("id")
    assert sorted(n.url for n in mine) == sorted(
        reverse("publishing:post", args=[workspace.slug, p.pk]) for p in posts
    )
    assert {n.text for n in mine} == {notify.MEDIA}
    assert Notice.objects.count() == 2 * 3  # owner, community manager, manager


def test_what_to_do_and_the_link_in_both_languages(workspace, owner, scheduled, network, at):
    network.fail_with.append(base.PermanentError("HTTP 401: reconnect the account"))
    engine.run_due(at)
    client = login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("alerts:list", args=[workspace.slug])).content.decode()
    assert "The post could not be published on lumiere.threads" in page
    assert "Reconnect the account lumiere.threads" in page and "HTTP 401" in page
    # The bell's counter counts it; opening it reads it and leads to the post.
    unread = client.get(reverse("alerts:unread", args=[workspace.slug])).content.decode()
    assert "1" in unread
    notice = Notice.objects.get(user=owner)
    answer = client.post(reverse("alerts:notice", args=[workspace.slug, notice.pk]))
    assert answer.status_code == 302
    assert answer["Location"] == reverse("publishing:post", args=[workspace.slug, scheduled.pk])
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert alert_services.unread_count(workspace, owner) == 0
    # The same notice, in French for a French reader (the default language).
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(reverse("alerts:list", args=[workspace.slug])).content.decode()
    assert "lumiere.threads" in page and 'data-notice="' in page


def test_a_refused_file_says_to_change_it(workspace, owner, scheduled, network, at):
    network.fail_with.append(base.PermanentError("the instance refused the file as too large"))
    engine.run_due(at)
    notice = Notice.objects.get(user=owner)
    assert notice.text == notify.MEDIA
    with translation.override("en"):
        assert notice.body_text.startswith("Change the image or video the network refused")
        assert notice.body_text.endswith(
            "The network said: the instance refused the file as too large"
        )


def test_retries_notify_nothing_until_the_engine_gives_up(workspace, owner, scheduled, network, at):
    variant = Variant.objects.get(post=scheduled)
    network.fail_with.extend([base.RetryLater("503")] * engine.MAX_ATTEMPTS)
    when = at
    for attempt in range(engine.MAX_ATTEMPTS):
        engine.run_due(when)
        variant.refresh_from_db()
        if attempt < engine.MAX_ATTEMPTS - 1:
            assert variant.status == Status.SCHEDULED and not Notice.objects.exists()
        when = variant.next_attempt_at or when
    assert variant.status == Status.FAILED
    assert Notice.objects.filter(user=owner).count() == 1


def test_two_workers_failing_the_same_variant_notify_once(workspace, owner, scheduled, network, at):
    variant = Variant.objects.get(post=scheduled)
    held, _in_doubt = engine.claim(variant.pk, at, "worker-a")
    assert held is not None
    head = scheduled
    assert engine.fail(held, head, "token revoked: reconnect", at) == Status.FAILED
    # The second worker saw the same variant (its lease expired meanwhile): nothing to do.
    assert engine.fail(held, head, "token revoked: reconnect", at) == "skipped"
    assert Notice.objects.filter(user=owner).count() == 1
    assert PostEvent.objects.filter(post=scheduled, kind=EventKind.FAILED).count() == 1


def test_the_same_failure_notified_twice_is_stored_once(workspace, owner, scheduled, network, at):
    network.fail_with.append(base.PermanentError("reconnect"))
    engine.run_due(at)
    variant = Variant.objects.get(post=scheduled)
    failure = PostEvent.objects.get(post=scheduled, kind=EventKind.FAILED)
    assert notify.publication_failed(variant, scheduled, "reconnect", failure) == 0
    assert Notice.objects.filter(user=owner).count() == 1


def test_failed_again_after_a_retry_is_a_new_notice(workspace, owner, scheduled, network, at):
    network.fail_with.append(base.PermanentError("reconnect"))
    engine.run_due(at)
    variant = Variant.objects.get(post=scheduled)
    services.do_retry(variant, owner)
    network.fail_with.append(base.PermanentError("reconnect, really"))
    engine.run_due(at + dt.timedelta(minutes=1))
    assert Notice.objects.filter(user=owner).count() == 2


def test_a_broken_bell_does_not_undo_the_failure(workspace, owner, scheduled, network, at):
    def broken(notice):
        raise RuntimeError("bell down")

    extensions.register_notifier(broken)
    try:
        network.fail_with.append(base.PermanentError("reconnect"))
        assert engine.run_due(at) == {Status.FAILED: 1}
    finally:
        extensions.NOTIFIERS.remove(broken)
    assert Variant.objects.get(post=scheduled).status == Status.FAILED
    assert PostEvent.objects.filter(post=scheduled, kind=EventKind.FAILED).count() == 1


def test_a_notice_of_another_member_or_workspace_is_a_404(
    workspace, owner, team, outsider, scheduled, network, at
):
    network.fail_with.append(base.PermanentError("reconnect"))
    engine.run_due(at)
    mine = Notice.objects.get(user=owner)
    url = reverse("alerts:notice", args=[workspace.slug, mine.pk])
    assert login(team["cm"]).post(url).status_code == 404
    assert login(outsider).post(url).status_code == 404
    too_large = reverse("alerts:notice", args=[workspace.slug, 2**64])
    assert login(owner).post(too_large).status_code == 404
    mine.refresh_from_db()
    assert mine.read_at is None


def test_a_notice_for_non_members_is_not_stored(workspace, other_workspace, owner, outsider):
    notice = extensions.Notice(
        workspace_id=workspace.pk,
        user_ids=(owner.pk, outsider.pk),
        key="test:1",
        kind="test",
        title=notify.TITLE,
        text=notify.OTHER,
        url="https://evil.test/",
        params={"account": "x", "error": "\ud800" * 3},
    )
    assert alert_services.store_notice(notice) == 1
    stored = Notice.objects.get()
    assert stored.user == owner and stored.url == ""  # only a path in the app is kept
    # The network's words with a lone surrogate: escaped, so PostgreSQL's jsonb takes them.
    assert stored.params["error"] == "\\ud800" * 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="two real transactions: PostgreSQL")
def test_two_workers_at_once_notify_once(workspace, owner, account, network):
    post = services.do_create_post(workspace, owner, "Bonjour", variants={account.pk: ""})
    at = timezone.now() + dt.timedelta(minutes=1)
    services.do_schedule(post, owner, at)
    network.fail_with.extend([base.PermanentError("reconnect")] * 2)
    variant = Variant.objects.get(post=post)
    outcomes = []

    def work(name):
        outcomes.append(engine.publish_variant(variant.pk, now=at, owner=name))
        connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [Status.FAILED, "skipped"]
    assert Notice.objects.filter(user=owner).count() == 1
