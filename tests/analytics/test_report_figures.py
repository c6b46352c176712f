"""The client report's figures on hand-made data (tests/analytics/report_world.py)."""

from __future__ import annotations

import pytest

from parvis.analytics import report
from tests.analytics import report_world as w

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(workspace, owner):
    w.build(workspace, owner)
    return report.gather(workspace, w.SINCE, w.UNTIL, language="en", now=w.NOW)


def test_listening_figures(data):
    assert data.mentions == w.MENTIONS + w.COMPETITOR
    counts = data.sentiment()
    assert (counts["positive"], counts["neutral"], counts["negative"]) == (
        w.POSITIVE,
        w.NEUTRAL + 0,
        w.NEGATIVE,
    )
    assert counts["unknown"] == w.COMPETITOR
    voice = {s.name: s.count for s in data.listening.share_of_voice}
    assert voice == {"Maison Lumière": w.MENTIONS, "Cire & Sens": w.COMPETITOR}
    assert ("#bougies", w.MENTIONS) in data.listening.top_hashtags


def test_audience(data):
    assert data.audience.start == w.FOLLOWERS_START
    assert data.audience.end == w.FOLLOWERS_END
    assert data.audience.gained == w.FOLLOWERS_END - w.FOLLOWERS_START
    assert data.audience.daily[0] == (w.SINCE, w.FOLLOWERS_START)
    assert data.audience.daily[-1] == (w.UNTIL, w.FOLLOWERS_END)
    assert len(data.audience.daily) == 30


def test_publications(data):
    found = data.publications
    assert (found.posts, found.likes, found.reposts, found.replies, found.views) == (
        w.POSTS,
        w.LIKES,
        w.REPOSTS,
        w.REPLIES,
        w.VIEWS,
    )
    assert found.viewed == 1
    assert found.top[0].text.startswith("Nouvelle bougie")


def test_community_and_moderation(data):
    found = data.community
    assert (found.received, found.answered, found.breached) == (w.RECEIVED, w.ANSWERED, w.BREACHED)
    assert found.median_first_response_minutes == pytest.approx(w.MEDIAN_MINUTES)
    assert found.response_rate == pytest.approx(75.0)
    assert found.replies_sent == w.ANSWERED
    mod = data.moderation
    assert (mod.hidden, mod.deleted) == (w.HIDDEN, w.DELETED)  # the failed hide left out
    assert mod.by_reason == (("Insult", 2), ("Spam or advertising", 1))


def test_crises_and_objectives(data):
    assert len(data.crises.crises) == 1
    crisis = data.crises.crises[0]
    assert (crisis.mentions, crisis.peak, crisis.severity) == (57, 42, "Crisis")
    assert data.crises.alerts_by_severity == (("Crisis", 1),)
    (kpi,) = data.kpis
    assert kpi.current.value == pytest.approx(
        100 * w.POSITIVE / (w.POSITIVE + w.NEUTRAL + w.NEGATIVE)
    )
    assert str(kpi.status) == "behind"


def test_median_of_an_even_count(workspace, owner):
    """Two answered conversations: the median is the mean of both delays."""
    w.build(workspace, owner)
    from parvis.inbox.models import Conversation

    Conversation.objects.filter(workspace=workspace, thread_key="t1").update(first_response_at=None)
    found = report.gather(workspace, w.SINCE, w.UNTIL, now=w.NOW).community
    assert found.answered == 2
    assert found.median_first_response_minutes == pytest.approx(30.0)  # (10 + 50) / 2


@pytest.mark.parametrize(
    ("since", "until"),
    [("2026-11-30", "2026-11-01"), ("1900-01-01", "1900-01-02"), ("2020-01-01", "2026-01-01")],
)
def test_bad_periods_are_refused_in_words(workspace, since, until):
    import datetime as dt

    with pytest.raises(report.PeriodError):
        report.gather(workspace, dt.date.fromisoformat(since), dt.date.fromisoformat(until))
