"""The composer shows what is left of an account's rolling publishing quota (Instagram's 100
posts in 24 hours), read in the worker through the Instagram fake, never at each keystroke:
one read queued per account every few minutes."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from parvis.connectors import http as connector_http
from parvis.connectors import limits
from parvis.connectors.services import do_connect_account
from tests.conftest import login
from tests.connectors.fakes.instagram import Fake

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The notes' English words are asserted (French is the default language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def fake() -> Fake:
    return Fake()


@pytest.fixture
def instagram(workspace, owner, fake):
    spec = fake.account()
    return do_connect_account(
        workspace,
        owner,
        network="instagram",
        handle=spec["handle"],
        credentials=spec["credentials"],
    )


def live(client, workspace, account):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    path = reverse("publishing:live_checks", args=[workspace.slug])
    return client.post(path, {"text": "Bonjour", "accounts": [account.pk]}).content.decode()


def test_the_quota_left_is_read_in_the_worker_and_shown(
    workspace, owner, instagram, fake, django_capture_on_commit_callbacks
):
    fake.quota_usage = 37
    client = login(owner)
    queued: list[int] = []

    def read(account_id: int) -> bool:
        queued.append(account_id)
        account = type(instagram).objects.get(pk=account_id)
        http = connector_http.client(transport=fake.transport())
        return limits.do_refresh_quota(account, http=http)

    with (
        mock.patch("parvis.connectors.tasks.refresh_account_quota", side_effect=read),
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = live(client, workspace, instagram)
    assert "not read yet" in first and queued == [instagram.pk]
    with mock.patch("parvis.connectors.tasks.refresh_account_quota", side_effect=read):
        again = live(client, workspace, instagram)
    assert "63 of 100 posts left in 24 hours" in again
    assert queued == [instagram.pk]  # fresh: no second read queued


def test_no_post_left_is_a_problem_and_an_old_copy_is_read_again(workspace, owner, instagram, fake):
    http = connector_http.client(transport=fake.transport())
    fake.quota_usage = 100
    assert limits.do_refresh_quota(instagram, http=http)
    note = limits.quota_note(instagram)
    assert note is not None and note.problem and "No post left of 100" in note.text
    now = timezone.now()
    assert not limits.quota_wanted(instagram, now)  # just read
    assert limits.quota_wanted(instagram, now + limits.QUOTA_FRESH + dt.timedelta(seconds=1))
    assert not limits.quota_wanted(instagram, now + limits.QUOTA_FRESH + dt.timedelta(seconds=2))


def test_networks_without_a_quota_show_none(workspace, owner):
    mastodon = do_connect_account(
        workspace, owner, network="mastodon", handle="@ml@m.social", credentials={"t": "x"}
    )
    assert limits.quota_note(mastodon) is None and not limits.quota_wanted(mastodon)
