"""Each objective's KPI on hand-made data with known answers (parvis/analytics/kpis.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from parvis.analytics import kpis
from parvis.analytics.kpis import Metric, Status
from parvis.analytics.models import AccountSnapshot
from parvis.connectors.services import do_connect_account
from parvis.listening import extensions
from parvis.listening.extensions import AnswerStats
from parvis.listening.models import Author, Mention, MentionMatch, MonitoredQuery
from parvis.publishing.models import Post, Variant
from parvis.publishing.models import Status as PostStatus
from parvis.workspaces.models import Objective
from parvis.workspaces.strategy import ITEM_KINDS, do_save_item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The reasons are asserted in English (French is the catalogue's default language)."""
    with translation.override("en"):
        yield


# Noon in Paris, the 20th day of a 30-day November objective (the workspace's default zone).
NOW = dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC)
START = dt.date(2026, 11, 1)
END = dt.date(2026, 11, 30)
_counter = iter(range(1, 10**6))


def objective(workspace, kind, target, unit="", start=START, end=END, network=""):
    return Objective.objects.create(
        workspace=workspace,
        kind=kind,
        title=f"{kind} {target}",
        kpi="kpi",
        target_value=Decimal(target),
        unit=unit,
        period_start=start,
        period_end=end,
        network=network,
    )


def mentions(workspace, at, sentiments, query=None):
    for sentiment in sentiments:
        k = next(_counter)
        author = Author.objects.create(
            workspace=workspace, network="bluesky", handle=f"a{k}.test", first_seen_at=at,
            last_seen_at=at,
        )  # fmt: skip
        mention = Mention.objects.create(
            workspace=workspace, network="bluesky", external_id=f"m{k}", author=author,
            text="Maison Lumière", published_at=at, ingested_at=at, sentiment=sentiment,
        )  # fmt: skip
        if query is not None:
            MentionMatch.objects.create(
                workspace=workspace, mention=mention, query=query, published_at=at
            )


def account(workspace, handle="@lumiere@piaille.example", network="mastodon"):
    return do_connect_account(workspace, None, network=network, handle=handle, credentials={})


def snapshot(acc, day, followers):
    AccountSnapshot.objects.create(
        workspace_id=acc.workspace_id,
        account=acc,
        day=day,
        at=dt.datetime.combine(day, dt.time(12), dt.UTC),
        followers=followers,
    )


def test_no_data_says_why(workspace):
    objective(workspace, "image_change", 70, "%")
    objective(workspace, "audience_growth", 12000, "abonnés", network="instagram")
    objective(workspace, "traffic", 300, "clics")
    objective(workspace, "awareness", 40, "%")
    image, audience, traffic, voice = kpis.objective_kpis(workspace, NOW)
    assert [k.status for k in (image, audience, traffic, voice)] == [Status.NO_DATA] * 4
    assert "analysed sentiment" in str(image.reason)
    assert "Instagram" in str(audience.reason)
    assert "not collected" in str(traffic.reason)
    assert "competitor query" in str(voice.reason)


def test_positive_share_behind_target_with_its_trend(workspace):
    objective(workspace, "image_change", 70, "%")
    inside = dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC)
    mentions(workspace, inside, ["positive", "negative", "neutral", ""])  # 1 of 3 analysed
    # The previous window is the 19 days and 12 hours before 1 November: 1 of 2 positive.
    mentions(workspace, dt.datetime(2026, 10, 20, tzinfo=dt.UTC), ["positive", "negative"])
    mentions(workspace, dt.datetime(2026, 11, 25, tzinfo=dt.UTC), ["positive"] * 5)  # future
    (kpi,) = kpis.objective_kpis(workspace, NOW)
    assert kpi.metric is Metric.POSITIVE_SHARE
    assert kpi.current.value == pytest.approx(100 / 3)
    assert kpi.previous and kpi.previous.value == pytest.approx(50)
    assert kpi.status is Status.BEHIND
    assert kpi.trend == "down" and not kpi.trend_is_good


def test_a_period_with_zero_mentions_is_no_data_not_a_division_by_zero(workspace):
    objective(workspace, "image_change", 70, "%")
    objective(workspace, "awareness", 40, "%")
    MonitoredQuery.objects.create(workspace=workspace, name="Rival", kind="competitor",
                                  expression="rival")  # fmt: skip
    image, voice = kpis.objective_kpis(workspace, NOW)
    assert image.status is Status.NO_DATA and image.current.value is None
    assert voice.status is Status.NO_DATA and "brand or its competitors" in str(voice.reason)


def test_share_of_voice_on_track(workspace):
    objective(workspace, "awareness", 40, "%")
    brand = MonitoredQuery.objects.create(workspace=workspace, name="Marque", kind="brand",
                                          expression="lumiere")  # fmt: skip
    rival = MonitoredQuery.objects.create(workspace=workspace, name="Rival", kind="competitor",
                                          expression="rival")  # fmt: skip
    at = dt.datetime(2026, 11, 5, tzinfo=dt.UTC)
    mentions(workspace, at, ["neutral"] * 3, query=brand)
    mentions(workspace, at, ["neutral"] * 2, query=rival)
    (kpi,) = kpis.objective_kpis(workspace, NOW)
    assert kpi.current.value == pytest.approx(60)
    assert kpi.status is Status.ON_TRACK


def test_mentions_count_on_pace_or_behind(workspace):
    # 19.5 days of 30 passed: 330 mentions so far project to ~508 ≥ 500; 320 to ~492.
    objective(workspace, "awareness", 500, "")
    at = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)
    mentions(workspace, at, ["neutral"] * 320)
    (kpi,) = kpis.objective_kpis(workspace, NOW)
    assert kpi.metric is Metric.MENTIONS and kpi.current.value == 320
    assert kpi.status is Status.BEHIND
    mentions(workspace, at, ["neutral"] * 10)
    (kpi,) = kpis.objective_kpis(workspace, NOW)
    assert kpi.status is Status.ON_TRACK


def test_followers_met_on_track_and_behind(workspace):
    acc = account(workspace)
    snapshot(acc, dt.date(2026, 10, 31), 10_000)  # the count at the start (last before)
    snapshot(acc, dt.date(2026, 11, 20), 10_300)
    target = objective(workspace, "audience_growth", 12000, "abonnés")
    (kpi,) = kpis.objective_kpis(workspace, NOW)
    # +300 in 65 % of the period: +461 by its end, 10 461 < 12 000.
    assert kpi.current.value == 10_300 and kpi.current.start_value == 10_000
    assert kpi.status is Status.BEHIND
    target.target_value = Decimal(10_400)
    target.save(update_fields=["target_value"])
    assert kpis.objective_kpis(workspace, NOW)[0].status is Status.ON_TRACK
    target.target_value = Decimal(10_200)  # already met
    target.save(update_fields=["target_value"])
    assert kpis.objective_kpis(workspace, NOW)[0].status is Status.MET
    # A target below the start: followers to gain (300 gained of 400 by 65 %: on pace).
    target.target_value = Decimal(400)
    target.save(update_fields=["target_value"])
    assert kpis.objective_kpis(workspace, NOW)[0].status is Status.ON_TRACK


def test_followers_of_another_network_or_one_reading(workspace):
    acc = account(workspace)
    objective(workspace, "audience_growth", 12000, "abonnés")
    assert "collected" in str(kpis.objective_kpis(workspace, NOW)[0].reason)
    snapshot(acc, dt.date(2026, 11, 20), 10_300)
    (kpi,) = kpis.objective_kpis(workspace, NOW)
    assert kpi.status is Status.NO_DATA and "Two days" in str(kpi.reason)


def test_first_response_and_response_rate(workspace, monkeypatch):
    objective(workspace, "customer_care", 4, "heures")
    objective(workspace, "customer_care", 90, "%")
    mentions(workspace, dt.datetime(2026, 11, 5, tzinfo=dt.UTC), ["neutral"] * 4)
    asked = []

    def provider(ws, ids):
        asked.append(len(ids))
        return AnswerStats(in_inbox=4, answered=3, response_minutes=(30.0, 150.0, 600.0))

    monkeypatch.setattr(extensions, "ANSWER_PROVIDERS", [provider])
    median, rate = kpis.objective_kpis(workspace, NOW)
    assert asked[0] == 4
    assert median.metric is Metric.FIRST_RESPONSE and median.current.value == pytest.approx(2.5)
    assert median.status is Status.ON_TRACK
    assert rate.current.value == pytest.approx(75) and rate.status is Status.BEHIND


def test_engagement_rate_from_published_posts(workspace, owner):
    objective(workspace, "engagement", 5, "%")
    acc = account(workspace)
    post = Post.objects.create(workspace=workspace, author=owner, text="Nouvelle bougie")
    Variant.objects.create(
        workspace=workspace, post=post, account=acc, status=PostStatus.PUBLISHED,
        published_at=dt.datetime(2026, 11, 4, tzinfo=dt.UTC), likes=30, reposts=5, replies=4,
        quotes=1, views=1000, external_id="x1",
    )  # fmt: skip
    (kpi,) = kpis.objective_kpis(workspace, NOW)
    assert kpi.current.value == pytest.approx(4.0) and kpi.status is Status.BEHIND


def test_bad_periods_and_targets_do_not_break(workspace, owner):
    objective(
        workspace, "image_change", 70, "%", start=dt.date(9999, 1, 1), end=dt.date(9999, 12, 31)
    )
    objective(workspace, "image_change", 70, "%", start=dt.date(1, 1, 1), end=dt.date(9999, 12, 31))
    objective(workspace, "audience_growth", "999999999999.99", "abonnés")
    acc = account(workspace)
    snapshot(acc, dt.date(2026, 11, 1), 10)
    snapshot(acc, dt.date(2026, 11, 2), 20)
    huge, later, wide = kpis.objective_kpis(workspace, NOW)  # by the end of their period
    assert later.status is Status.NO_DATA and "9999" in str(later.reason)
    assert wide.window and wide.window.start.year == 1990 and wide.status is Status.NO_DATA
    assert huge.status is Status.BEHIND
    # A target past 64 bits never reaches the table: the strategy's form refuses it.
    with pytest.raises(ValidationError):
        do_save_item(workspace, owner, ITEM_KINDS["objective"], {
            "kind": "engagement", "title": "Trop", "kpi": "x", "target_value": 2**64,
            "period_start": "2026-11-01", "period_end": "2026-11-30",
        })  # fmt: skip


def test_another_workspaces_data_is_never_counted(workspace, other_workspace):
    objective(workspace, "image_change", 70, "%")
    mentions(other_workspace, dt.datetime(2026, 11, 5, tzinfo=dt.UTC), ["positive"] * 3)
    acc = account(other_workspace)
    snapshot(acc, dt.date(2026, 11, 1), 5)
    objective(workspace, "audience_growth", 10, "")
    image, audience = kpis.objective_kpis(workspace, NOW)
    assert image.status is Status.NO_DATA and audience.status is Status.NO_DATA
