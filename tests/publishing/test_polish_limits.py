"""A Mastodon instance's own limits in the composer's counter and the checks: read from the
instance (the HTTP fake of tests/connectors/fakes/mastodon.py) when the account is connected
and daily, kept on the account, never asked at each keystroke; a failed read keeps the last
known limits (or the default) and the composer says so."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import httpx
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from parvis.connectors import http, limits
from parvis.connectors.base import AccountInfo
from parvis.connectors.mastodon import MastodonConnector
from parvis.connectors.mastodon import publishing as toot_publishing
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import do_connect_account
from parvis.publishing import services
from parvis.workspaces.roles import Role
from tests.conftest import login
from tests.connectors.fakes import mastodon as fakes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_instance_cache():
    toot_publishing.forget_limits()  # the connector keeps an instance's answer 10 minutes
    yield
    toot_publishing.forget_limits()


@pytest.fixture
def cm(member_factory):
    return member_factory(Role.COMMUNITY_MANAGER)


def instance(max_characters: int) -> fakes.Fake:
    fake = fakes.Fake()
    fake.max_characters = max_characters
    return fake


def connect(workspace, fake: fakes.Fake) -> ConnectedAccount:
    spec = fake.account()
    assert spec is not None
    return do_connect_account(
        workspace,
        None,
        network="mastodon",
        handle=spec["handle"],
        credentials=spec["credentials"],
    )


def read(account, fake, **kwargs) -> bool:
    return limits.do_refresh_limits(account, http=http.client(transport=fake.transport()), **kwargs)


def live(client, workspace, account, text):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("publishing:live_checks", args=[workspace.slug])
    return client.post(url, {"text": text, "accounts": [account.pk]}).content.decode()


def no_network(*args, **kwargs):
    raise AssertionError("the composer asked the network")


@pytest.mark.parametrize(
    ("max_characters", "over"),
    [(1000, False), (500, True)],
)
def test_the_counter_uses_the_instance_limit(workspace, cm, max_characters, over):
    fake = instance(max_characters)
    account = connect(workspace, fake)
    assert read(account, fake) is True
    assert fake.instance_reads == 1
    account.refresh_from_db()
    assert account.publish_limits["max_characters"] == max_characters
    assert account.publish_limits["max_media"] == 4
    client = login(cm)
    with mock.patch.object(httpx.Client, "send", no_network):
        html = live(client, workspace, account, "é" * 700)
    assert f"700 / {max_characters}" in html
    assert ('class="live-row over"' in html) is over
    assert f"{max_characters:,} characters" in html  # « Limit of this server, read on … »
    assert fake.instance_reads == 1


@pytest.mark.parametrize(("max_characters", "blocked"), [(1000, False), (500, True)])
def test_the_checks_before_scheduling_use_it_too(workspace, owner, max_characters, blocked):
    fake = instance(max_characters)
    account = connect(workspace, fake)
    read(account, fake)
    post = services.do_create_post(workspace, owner, "x" * 700, variants={account.pk: ""})
    report = services.check_post(post)
    assert ("mastodon" in report.counting) is blocked
    if blocked:
        assert "500" in " ".join(report.counting["mastodon"])


def test_read_at_most_daily_unless_connected_again(workspace):
    fake = instance(1000)
    account = connect(workspace, fake)
    now = timezone.now()
    assert read(account, fake, now=now)
    toot_publishing.forget_limits()
    assert not read(account, fake, now=now + dt.timedelta(hours=23))
    assert fake.instance_reads == 1
    assert limits.refresh_due(now + dt.timedelta(hours=23), http=None) == 0
    fake.max_characters = 1200
    client = http.client(transport=fake.transport())
    assert limits.refresh_due(now + dt.timedelta(hours=25), http=client) == 1
    account.refresh_from_db()
    assert account.publish_limits["max_characters"] == 1200 and fake.instance_reads == 2


def test_connecting_queues_a_read(workspace, owner, django_capture_on_commit_callbacks):
    from parvis.connectors import flow, tasks

    fake = instance(800)
    spec = fake.account()
    assert spec is not None
    info = AccountInfo(handle=spec["handle"], credentials=spec["credentials"])
    queued: list[int] = []
    with mock.patch.object(tasks, "refresh_account_limits", queued.append):
        with django_capture_on_commit_callbacks(execute=True):
            account, created = flow.save_account(workspace, owner, MastodonConnector, info)
        with django_capture_on_commit_callbacks(execute=True):
            flow.save_account(workspace, owner, MastodonConnector, info)  # connected again
    assert created and queued == [account.pk, account.pk]
    assert fake.instance_reads == 0  # not while the person waits: in the worker
    # The task reads the instance with the connector's own client (here, the fake's).
    own_client = classmethod(lambda cls: http.client(transport=fake.transport()))
    with mock.patch.object(MastodonConnector, "http_client", own_client):
        assert tasks.refresh_account_limits.call_local(account.pk) is True
    account.refresh_from_db()
    assert account.publish_limits["max_characters"] == 800 and fake.instance_reads == 1


def test_the_instance_media_limits_apply_too(workspace, owner, settings, tmp_path):
    from django.core.exceptions import ValidationError

    from tests.publishing.pubui_helpers import png

    settings.DATA_DIR = tmp_path
    fake = instance(500)
    account = connect(workspace, fake)
    ConnectedAccount.objects.filter(pk=account.pk).update(
        publish_limits={"max_characters": 500, "image_size_limit": 10},
        limits_read_at=timezone.now(),
    )
    post = services.do_create_post(workspace, owner, "Une image", variants={account.pk: ""})
    media = services.do_upload_media(workspace, owner, png(), filename="bougie.png")
    with translation.override("en"), pytest.raises(ValidationError, match="make it smaller"):
        services.do_attach_media(post, owner, [media])
    # With Mastodon's default (16 MB), the same image goes.
    ConnectedAccount.objects.filter(pk=account.pk).update(publish_limits={})
    services.do_attach_media(post, owner, [media])


def test_a_failed_read_keeps_the_last_limits_and_says_so(workspace, cm):
    fake = instance(1000)
    account = connect(workspace, fake)
    read(account, fake)
    toot_publishing.forget_limits()
    fake.broken = True  # the token was revoked: 401
    assert read(account, fake, force=True) is False
    account.refresh_from_db()
    assert account.publish_limits["max_characters"] == 1000  # kept
    assert "access token" in account.limits_error
    html = live(login(cm), workspace, account, "x" * 700)
    assert "700 / 1000" in html and 'class="live-row over"' not in html
    assert "could not be read" in html and "still apply" in html


def test_never_read_means_the_default_and_says_so(workspace, cm):
    fake = instance(1000)
    account = connect(workspace, fake)
    fake.broken = True
    assert read(account, fake) is False
    html = live(login(cm), workspace, account, "x" * 700)
    assert "700 / 500" in html and 'class="live-row over"' in html
    assert "could not be read" in html and "500 characters" in html


def test_a_hostile_stored_copy_is_ignored(workspace, cm):
    fake = instance(1000)
    account = connect(workspace, fake)
    ConnectedAccount.objects.filter(pk=account.pk).update(
        publish_limits={"max_characters": "9" * 100, "max_media": -1, "media_types": [1, None]},
        limits_read_at=timezone.now(),
    )
    account.refresh_from_db()
    assert limits.stored_limits(account) is not None
    assert limits.stored_limits(account).max_characters is None
    html = live(login(cm), workspace, account, "x" * 501)
    assert "501 / 500" in html


def test_networks_with_fixed_limits_are_never_asked(workspace, cm):
    account = do_connect_account(
        workspace, None, network="threads", handle="lumiere", credentials={"token": "x"}
    )
    assert limits.limits_connector(account) is None
    assert limits.do_refresh_limits(account, force=True) is False
    html = live(login(cm), workspace, account, "x" * 10)
    assert "limits-note" not in html


def test_bluesky_limits_are_the_same_everywhere_and_not_read(workspace, cm):
    account = do_connect_account(
        workspace, None, network="bluesky", handle="lumiere.bsky.social", credentials={"a": "x"}
    )
    assert limits.limits_connector(account) is None
    html = live(login(cm), workspace, account, "x" * 10)
    assert "10 / 300" in html and "limits-note" not in html
