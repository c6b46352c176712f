"""The demo's crisis room: after the backlog, the corpus's bad buzz is an episode with its
alert and a crisis the team ran (playbook, notices, checklist, statement, notes, summary); a
new spike replayed while the demo runs raises an alert live."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from parvis.alerts import stream
from parvis.alerts.crisis.models import Crisis, CrisisNotice, HoldingStatement, Playbook
from parvis.alerts.models import Alert, Episode, Receipt
from parvis.demo.crisis import DEMO_RULE, dress_crisis, replay_spike
from parvis.demo.seed import demo_user
from tests.demo.test_inbox_demo import WEDNESDAY, run_demo

pytestmark = pytest.mark.django_db


def test_the_backlog_s_bad_buzz_is_an_episode_with_its_alert_and_a_crisis_run(
    django_capture_on_commit_callbacks,
):
    workspace = run_demo(WEDNESDAY, django_capture_on_commit_callbacks)
    episode = Episode.objects.get(workspace=workspace, rule__name=DEMO_RULE)
    # The corpus puts its spike 9 days before « now » (corpus.spike_offset for 30 days).
    assert dt.timedelta(days=8) < WEDNESDAY - episode.opened_at < dt.timedelta(days=10)
    assert episode.peak_value >= 2 and episode.closed_at > episode.opened_at
    alert = Alert.objects.get(episode=episode)
    assert alert.severity == "crisis"
    assert Receipt.objects.filter(alert=alert, user=demo_user()).exists()
    crisis = Crisis.objects.get(episode=episode)
    assert crisis.state == "closed" and crisis.closing_note
    summary = crisis.summary
    assert summary["mentions"] >= 20 and summary["peak"]["volume"] >= 2
    # Busier than the day before (the summary compares with at most one day before).
    hours = summary["duration_minutes"] / 60
    before = summary["sentiment"]["before"]["mentions"] / min(hours, 24)
    assert summary["mentions"] / hours > before
    assert summary["responses"]["in_inbox"] > 0  # the demo inbox took the spike's mentions
    kinds = list(crisis.log.values_list("kind", flat=True))
    for kind in ("started", "notified", "task", "statement", "note", "closed"):
        assert kind in kinds
    times = list(crisis.log.values_list("at", flat=True))
    assert (
        times == sorted(times) and episode.opened_at <= times[0] <= times[-1] <= episode.closed_at
    )
    assert CrisisNotice.objects.filter(crisis=crisis).count() == 2
    playbook = Playbook.objects.get(workspace=workspace)
    assert any(c["direction"] for c in playbook.contacts)
    assert set(
        HoldingStatement.objects.filter(workspace=workspace).values_list("language", flat=True)
    ) == {"fr", "en"}
    assert dress_crisis(workspace, demo_user()) is None  # once


def test_a_spike_replayed_while_the_demo_runs_raises_an_alert_live(
    django_capture_on_commit_callbacks,
):
    workspace = run_demo(WEDNESDAY, django_capture_on_commit_callbacks)
    later = WEDNESDAY + dt.timedelta(minutes=30)
    with mock.patch("django.utils.timezone.now", lambda: later):
        stream.take_pending(workspace)
        stream.tick(workspace)
        before = set(Alert.objects.values_list("id", flat=True))
        stored = replay_spike(workspace, 90, now=later)
        assert stored == 90
        stream.take_pending(workspace)
    new = Alert.objects.exclude(id__in=before).filter(rule__name=DEMO_RULE)
    assert new.count() == 1
    assert new.get().episode.opened_at >= later - dt.timedelta(minutes=2)
