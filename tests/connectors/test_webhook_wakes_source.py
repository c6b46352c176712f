"""A Meta webhook delivery wakes the sources reading the accounts it names: they run at once
(a run queued, their next slot moved on) instead of at their next poll; a replay, a delivery
for another Page and a paused source wake nothing."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from parvis.connectors.services import do_connect_account
from parvis.listening import tasks
from parvis.listening.models import Source, SourceStatus
from parvis.listening.sources import do_create_source
from tests.connectors.fakes.facebook import Fake
from tests.connectors.test_facebook import DELIVERY, DELIVERY_SIGNATURE, deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(workspace):
    spec = Fake().account()
    account = do_connect_account(
        workspace, None, network="facebook", handle=spec["handle"], credentials=spec["credentials"]
    )
    made = do_create_source(
        workspace, kind="facebook", name="Page", config={"mode": "comments"}, account=account
    )
    later = timezone.now() + dt.timedelta(minutes=10)
    Source.objects.filter(pk=made.pk).update(next_run_at=later)
    return made


def test_a_delivery_runs_the_pages_source_at_once(
    client, source, django_capture_on_commit_callbacks
):
    queued: list[int] = []
    with mock.patch.object(tasks, "run_source_task", side_effect=queued.append):
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver(client, DELIVERY, DELIVERY_SIGNATURE).status_code == 200
        assert queued == [source.pk]
        source.refresh_from_db()
        # Its next slot moved on: the scheduler does not run it again this minute.
        assert source.next_run_at > timezone.now() + dt.timedelta(seconds=30)
        # A replay stores nothing new: nothing more to run.
        with django_capture_on_commit_callbacks(execute=True):
            deliver(client, DELIVERY, DELIVERY_SIGNATURE)
        assert queued == [source.pk]


def test_a_paused_source_is_not_woken(client, source, django_capture_on_commit_callbacks):
    Source.objects.filter(pk=source.pk).update(status=SourceStatus.PAUSED)
    queued: list[int] = []
    with (
        mock.patch.object(tasks, "run_source_task", side_effect=queued.append),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert deliver(client, DELIVERY, DELIVERY_SIGNATURE).status_code == 200
    assert queued == []


def test_another_workspaces_page_source_is_not_woken(client, source, other_workspace):
    from parvis.listening.signals import wake_sources_of_delivery

    with mock.patch.object(tasks, "run_source_task") as run:
        assert wake_sources_of_delivery(None, network="facebook", handles=["999"]) == 0
        assert wake_sources_of_delivery(None, network="instagram", handles=[]) == 0
    run.assert_not_called()
