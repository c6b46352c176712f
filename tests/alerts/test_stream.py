"""The stream: mentions folded into per-minute series, the detector fed once per minute,
episodes opened and closed, keyword and influencer rules."""

from __future__ import annotations

import datetime as dt

import pytest

from parvis.alerts import stream
from parvis.alerts.detector import DetectorSettings, SpikeDetector
from parvis.alerts.models import Alert, AlertCursor, Episode, Receipt, Series
from parvis.alerts.services import do_save_rule
from tests.alerts.helpers import T0, add_mentions, brand_query

pytestmark = pytest.mark.django_db

M = dt.timedelta(minutes=1)
S = dt.timedelta(seconds=1)
RHYTHM = [2, 1, 3, 2, 2, 3, 1, 2]
# The product's detector learns for a day (each time of day once) before it scores; here for 30
# minutes with one profile for the whole day, so a test's history stays short
# (test_the_product_detector_fires_after_a_day_of_history uses the real settings).
SHORT = DetectorSettings(counts=True, warmup=30, warmup_seconds=0, day_bins=1, week_bins=1)


@pytest.fixture(autouse=True)
def short_warmup(monkeypatch):
    monkeypatch.setattr(stream, "SETTINGS", SHORT)


def steady(workspace, minutes: int, start=T0, query=None):
    for i in range(minutes):
        at = start + i * M
        add_mentions(workspace, at + 10 * S, RHYTHM[i % len(RHYTHM)], query=query)
        stream.take_chunk(workspace, now=at + 30 * S)


def series(workspace, metric="volume", query=None) -> Series:
    return Series.objects.get(workspace=workspace, metric=metric, query=query, resolution="minute")


def test_counts_are_folded_minute_by_minute_and_the_state_is_what_a_detector_would_have(
    workspace,
):
    steady(workspace, 40)
    s = series(workspace)
    # The open minute holds minute 39's mentions; minutes 0..38 went to the detector.
    assert s.bucket_start == T0 + 39 * M
    assert s.bucket_value == RHYTHM[39 % len(RHYTHM)]
    expected = SpikeDetector(SHORT)
    for i in range(39):
        expected.update(T0 + i * M, RHYTHM[i % len(RHYTHM)])
    assert s.state == expected.to_state()
    assert AlertCursor.objects.get(workspace=workspace).last_mention_id > 0
    # Each mention is counted once: folding again changes nothing.
    assert stream.take_chunk(workspace, now=T0 + 39 * M + 40 * S)[0].seen == 0
    assert series(workspace).state == expected.to_state()


def test_a_spike_opens_one_episode_with_one_alert_in_the_bell(workspace, owner):
    rule, _ = do_save_rule(
        workspace, owner, {"name": "Pic", "kind": "spike", "channels": ["app"], "roles": ["owner"]}
    )
    steady(workspace, 60)
    spike_at = T0 + 60 * M
    add_mentions(workspace, spike_at + 5 * S, 40)
    summary, _done = stream.take_chunk(workspace, now=spike_at + 20 * S)
    # Fired on the open minute already, not when it closes.
    assert len(summary.opened) == 1
    episode = Episode.objects.get(pk=summary.opened[0])
    assert (episode.kind, episode.opened_at, episode.closed_at) == ("volume", spike_at, None)
    assert episode.peak_value == 40
    alert = Alert.objects.get(episode=episode)
    assert alert.rule == rule and alert.state == "sent"
    assert Receipt.objects.filter(alert=alert, user=owner, read_at=None).count() == 1
    # More of the same spike: the same episode, no second alert.
    add_mentions(workspace, spike_at + 40 * S, 30)
    stream.take_chunk(workspace, now=spike_at + 50 * S)
    add_mentions(workspace, spike_at + M + 5 * S, 50)
    stream.take_chunk(workspace, now=spike_at + M + 10 * S)
    assert Episode.objects.filter(workspace=workspace, kind="volume").count() == 1
    assert Alert.objects.filter(rule=rule).count() == 1
    assert Episode.objects.get(pk=episode.pk).peak_value == 70
    # Back to normal: quiet minutes close it (the minute tick feeds them).
    for i in range(2, 2 + stream.CALM_MINUTES + 2):
        stream.tick(workspace, now=spike_at + i * M + S)
    episode.refresh_from_db()
    assert episode.closed_at is not None
    assert episode.closed_at > spike_at


def test_a_gap_is_fed_as_zeros_and_a_series_starts_from_nothing(workspace):
    add_mentions(workspace, T0, 3)
    stream.take_chunk(workspace, now=T0 + 10 * S)
    s = series(workspace)
    assert (s.bucket_start, s.bucket_value, s.state) == (T0, 3, {})
    add_mentions(workspace, T0 + 10 * M, 1)
    stream.take_chunk(workspace, now=T0 + 10 * M + S)
    s = series(workspace)
    assert s.state["n"] == 10  # minute 0 (3) and nine empty minutes
    assert (s.bucket_start, s.bucket_value) == (T0 + 10 * M, 1)
    assert s.minutes == 10


def test_late_mentions_count_now_or_not_at_all_and_future_ones_count_now(workspace):
    add_mentions(workspace, T0 + 20 * M, 1)
    stream.take_chunk(workspace, now=T0 + 20 * M + S)
    add_mentions(workspace, T0 + 15 * M, 2)  # 5 minutes late: into the open minute
    add_mentions(workspace, T0, 4)  # 20 minutes late: not for the detector
    add_mentions(workspace, dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC), 1)
    stream.take_chunk(workspace, now=T0 + 20 * M + 2 * S)
    s = series(workspace)
    assert (s.bucket_start, s.bucket_value) == (T0 + 20 * M, 4)


def test_a_backfill_teaches_the_detector_but_alerts_no_one(workspace, owner):
    do_save_rule(workspace, owner, {"name": "Pic", "kind": "spike", "channels": ["app"]})
    old = T0 - dt.timedelta(days=3)
    for i in range(60):
        add_mentions(workspace, old + i * M, 2)
    add_mentions(workspace, old + 60 * M, 50)
    add_mentions(workspace, old + 61 * M, 1)
    stream.take_chunk(workspace, now=T0)
    assert series(workspace).state["n"] == 61
    assert not Episode.objects.exists()


def test_a_series_starts_no_earlier_than_eight_days_back(workspace):
    add_mentions(workspace, T0 - dt.timedelta(days=30), 5)
    add_mentions(workspace, T0 - dt.timedelta(days=2), 1)
    stream.take_chunk(workspace, now=T0)
    assert series(workspace).bucket_start == T0 - dt.timedelta(days=2)
    stream.tick(workspace, now=T0)
    s = series(workspace)
    assert s.minutes == 2 * 24 * 60 and s.bucket_start == T0  # two days of minutes, then now
    assert s.state["n"] == s.minutes


def test_an_edited_query_starts_its_series_afresh_and_the_workspace_goes_on(workspace):
    query = brand_query(workspace)
    steady(workspace, 5, query=query)
    assert series(workspace, query=query).minutes == 4
    query.expression = "lumiere OR bougie"
    query.save(update_fields=["expression"])
    add_mentions(workspace, T0 + 5 * M, 1, query=query)
    stream.take_chunk(workspace, now=T0 + 5 * M + S)
    fresh = series(workspace, query=query)
    assert (fresh.minutes, fresh.state, fresh.bucket_start) == (0, {}, T0 + 5 * M)
    assert fresh.expression == "lumiere OR bougie"
    assert series(workspace).minutes == 5


def test_negative_and_reach_series(workspace):
    add_mentions(workspace, T0, 2, negative=True, reach=1000)
    add_mentions(workspace, T0, 1, reach=5)
    stream.take_chunk(workspace, now=T0 + S)
    assert series(workspace, "negative").bucket_value == 2
    assert series(workspace, "reach").bucket_value == 2005
    assert series(workspace, "volume").bucket_value == 3


def test_keyword_rules_take_words_negative_followers_and_network(workspace, owner):
    rule, _ = do_save_rule(
        workspace,
        owner,
        {
            "name": "Rappel",
            "kind": "keyword",
            "words": "rappel produit, Brûlure",
            "only_negative": True,
            "min_followers": 100,
            "network": "mastodon",
            "channels": ["app"],
            "member_ids": [owner.pk],
            "cooldown_minutes": 30,
        },
    )
    now = T0
    add_mentions(workspace, now, text="brulure", negative=True, followers=500)  # wrong network
    add_mentions(workspace, now, text="brulure", negative=False, followers=500, network="mastodon")
    add_mentions(workspace, now, text="brulure", negative=True, followers=5, network="mastodon")
    add_mentions(workspace, now, text="brulures", negative=True, followers=500, network="mastodon")
    stream.take_chunk(workspace, now=now)
    assert not Episode.objects.exists()
    add_mentions(
        workspace, now, text="Une BRÛLURE !", negative=True, followers=500, network="mastodon"
    )
    stream.take_chunk(workspace, now=now + S)
    episode = Episode.objects.get()
    assert (episode.kind, episode.rule, episode.mention_count) == ("keyword", rule, 1)
    assert Receipt.objects.filter(user=owner).count() == 1
    # A second one within the cool-down joins the episode; no second alert.
    add_mentions(
        workspace, now, text="rappel produit ?", negative=True, followers=500, network="mastodon"
    )
    stream.take_chunk(workspace, now=now + 10 * M)
    episode.refresh_from_db()
    assert episode.mention_count == 2 and Alert.objects.count() == 1
    # Quiet for the cool-down: the episode closes; the next one is a new episode.
    stream.tick(workspace, now=now + 41 * M)
    episode.refresh_from_db()
    assert episode.closed_at == now + 40 * M
    add_mentions(workspace, now, text="brûlure", negative=True, followers=500, network="mastodon")
    stream.take_chunk(workspace, now=now + 50 * M)
    assert Episode.objects.count() == 2 and Alert.objects.count() == 2


def test_influencer_rule_and_query_filter(workspace, owner):
    query = brand_query(workspace)
    do_save_rule(
        workspace,
        owner,
        {"name": "Influence", "kind": "influencer", "query_id": query.pk, "min_followers": 50_000},
    )
    add_mentions(workspace, T0, followers=90_000)  # not the query's
    add_mentions(workspace, T0, followers=40_000, query=query)
    stream.take_chunk(workspace, now=T0)
    assert not Episode.objects.exists()
    add_mentions(workspace, T0, followers=120_000, query=query)
    stream.take_chunk(workspace, now=T0)
    episode = Episode.objects.get()
    assert (episode.kind, episode.query, episode.peak_value) == ("influencer", query, 120_000)
    assert "120\u00a0000 abonnés" in Alert.objects.get().title  # grouped as French writes it


def test_another_workspace_is_left_alone(workspace, other_workspace, owner):
    do_save_rule(workspace, owner, {"name": "K", "kind": "keyword", "words": "lumière"})
    add_mentions(other_workspace, T0, 3)
    stream.take_chunk(workspace, now=T0)
    stream.take_chunk(other_workspace, now=T0)
    assert not Episode.objects.exists()
    assert series(other_workspace).bucket_value == 3
    assert not Series.objects.filter(workspace=workspace).exists()


def test_the_signal_hands_the_workspace_to_a_task_and_the_minute_task_catches_up(
    workspace, owner, monkeypatch
):
    from parvis.alerts import tasks
    from parvis.listening.models import Mention
    from parvis.listening.signals import mentions_stored

    queued = []
    monkeypatch.setattr(tasks, "stream_task", lambda workspace_id: queued.append(workspace_id))
    mentions_stored.send(sender=Mention, workspace=workspace, mention_ids=[1], source=None)
    assert queued == [workspace.pk]
    # The signal was lost: the minute task folds the mentions anyway.
    add_mentions(workspace, stream.minute_of(timezone_now()) - 2 * M, 3)
    assert not Series.objects.exists()
    tasks.alerts_minutely.call_local()
    s = series(workspace)
    # Folded (the catch-up), then the quiet minutes closed up to this one (the tick).
    assert s.minutes >= 2 and s.state["n"] == s.minutes
    assert (s.bucket_start, s.bucket_value) == (stream.minute_of(timezone_now()), 0)
    assert (
        AlertCursor.objects.get(workspace=workspace).last_mention_id
        == Mention.objects.latest("id").pk
    )


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def test_an_episode_whose_query_is_deleted_is_closed(workspace, owner):
    query = brand_query(workspace)
    steady(workspace, 60, query=query)
    add_mentions(workspace, T0 + 60 * M, 40, query=query)
    stream.take_chunk(workspace, now=T0 + 60 * M + S)
    episode = Episode.objects.get(query=query)
    assert episode.closed_at is None
    query.delete()
    stream.tick(workspace, now=T0 + 62 * M)
    episode.refresh_from_db()
    assert episode.closed_at == episode.last_event_at


def test_the_product_detector_fires_after_a_day_of_history(workspace, owner, monkeypatch):
    """The real settings: a day and a bit of ordinary history (imported at once, as a backfill
    is), then a spike now."""
    monkeypatch.setattr(stream, "SETTINGS", DetectorSettings(counts=True))
    do_save_rule(workspace, owner, {"name": "Pic", "channels": ["app"], "roles": ["owner"]})
    now = dt.datetime(2026, 12, 7, 15, 0, 20, tzinfo=dt.UTC)
    start = now.replace(second=0) - dt.timedelta(hours=26)
    for i in range(0, 26 * 60, 2):
        add_mentions(workspace, start + i * M, 1 + (i // 2) % 2)
    assert stream.take_pending(workspace, now=now).seen > 1000
    assert not Episode.objects.exists()  # the history alerts no one
    add_mentions(workspace, now, 40)
    summary = stream.take_pending(workspace, now=now + S)
    episode = Episode.objects.get(kind="volume")
    assert summary.opened == [episode.pk] and episode.opened_at == now.replace(second=0)
    assert Alert.objects.filter(episode=episode).count() == 1
