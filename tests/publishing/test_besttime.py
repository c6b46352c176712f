"""Best time to post: local cells across daylight saving time, shrinkage of thin cells, the
next best slot (gap, DST gap and repeated hour), how much data it stands on."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from parvis.publishing.besttime import (
    ENOUGH,
    LIFT_CAP,
    NEIGHBOUR_WEIGHT,
    PRIOR_POSTS,
    PostStats,
    _local_hours,
    confidence,
    heat_map,
    next_best_slot,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def local(y, m, d, h, minute=0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=PARIS)


def test_posts_at_nine_in_paris_stay_in_the_nine_cell_across_the_dst_week():
    # Every day at 9:05 Paris time from 16 March to 12 April 2026: the clocks go forward on
    # Sunday 29 March, so the UTC hour changes from 8 to 7 while the local hour stays 9.
    posts = [
        PostStats(local(2026, 3, 16, 9, 5) + timedelta(days=d), likes=10, reach=1000)
        for d in range(28)
    ]
    utc_hours = {p.published_at.astimezone(UTC).hour for p in posts}
    assert utc_hours == {7, 8}
    heat = heat_map(posts, "Europe/Paris", now=NOW)
    for day in range(7):
        assert heat.cell(day, 9).posts == 4
        assert heat.cell(day, 8).posts == heat.cell(day, 10).posts == 4 * NEIGHBOUR_WEIGHT
        assert heat.cell(day, 7).posts == 0
    assert heat.posts == 28 and heat.weeks == 4 and heat.basis == "reach"


def test_the_same_moments_in_utc_land_elsewhere_in_new_york():
    posts = [PostStats(local(2026, 6, 1, 9) + timedelta(days=d), likes=1) for d in range(7)]
    heat = heat_map(posts, "America/New_York", now=NOW)
    assert all(heat.cell(day, 3).posts == 1 for day in range(7))


def test_one_lucky_post_does_not_beat_a_steady_slot():
    posts = []
    # 12 Thursdays at 18:00 with twice the usual engagement rate.
    for week in range(12):
        base = local(2026, 9, 7, 10) + timedelta(weeks=week)
        posts += [PostStats(base + timedelta(days=d), likes=20, reach=1000) for d in (0, 1, 2, 4)]
        posts.append(PostStats(base + timedelta(days=3, hours=8), likes=40, reach=1000))
    # One Tuesday post at 6:00 that went viral.
    posts.append(PostStats(local(2026, 10, 6, 6), likes=900, reach=1000))
    heat = heat_map(posts, "Europe/Paris", now=NOW)
    tuesday = heat.cell(1, 6)
    assert tuesday.mean_lift == LIFT_CAP  # capped
    assert tuesday.posts == 1
    # Shrunk: (1 x LIFT_CAP + PRIOR_POSTS x 1) / (1 + PRIOR_POSTS).
    assert tuesday.score == pytest.approx((LIFT_CAP + PRIOR_POSTS) / (1 + PRIOR_POSTS))
    best = heat.best(1)[0]
    assert (best.weekday, best.hour) == (3, 18)
    assert best.score > tuesday.score
    # Without shrinkage the lucky post would have won.
    assert tuesday.mean_lift > best.mean_lift
    assert heat.confidence == "medium"


def test_order_of_posts_does_not_matter():
    rng = random.Random(4)
    posts = [
        PostStats(NOW - timedelta(hours=rng.randrange(2000)), likes=rng.randrange(50), reach=900)
        for _ in range(80)
    ]
    first = heat_map(posts, "Europe/Paris", now=NOW)
    rng.shuffle(posts)
    assert heat_map(posts, "Europe/Paris", now=NOW) == first


def test_basis_falls_back_to_followers_then_engagement():
    base = local(2026, 11, 2, 9)
    by_followers = [PostStats(base + timedelta(days=d), likes=5, followers=500) for d in range(4)]
    assert heat_map(by_followers, "Europe/Paris", now=NOW).basis == "followers"
    raw = [PostStats(base + timedelta(days=d), likes=5) for d in range(4)]
    assert heat_map(raw, "Europe/Paris", now=NOW).basis == "engagement"
    # Reach known for half: reach is the base, the other half is left out.
    mixed = by_followers[:2] + [
        PostStats(base + timedelta(days=5 + d), likes=5, reach=100) for d in range(2)
    ]
    heat = heat_map(mixed, "Europe/Paris", now=NOW)
    assert heat.basis == "reach" and heat.posts == 2 and heat.left_out == 2


def test_audience_activity_alone_and_mixed():
    evening = [local(2026, 11, 4, 20, m) + timedelta(weeks=w) for w in range(4) for m in range(30)]
    scattered = [NOW - timedelta(hours=7 * k) for k in range(100)]
    heat = heat_map([], "Europe/Paris", audience=evening + scattered, now=NOW)
    best = heat.best(1)[0]
    assert (best.weekday, best.hour) == (2, 20)
    assert best.mentions >= 120 and heat.mentions == 220
    assert heat.confidence == "not_enough"  # no post of its own
    # Average of the index over the week is 1.
    flat = [c.score for row in heat.cells for c in row]
    assert sum(flat) / len(flat) == pytest.approx(1.0)


def test_confidence_labels_and_their_text():
    assert confidence(ENOUGH[0] - 1, 52) == "not_enough"
    assert confidence(500, ENOUGH[1] - 1) == "not_enough"
    assert confidence(20, 4) == "low"
    assert confidence(50, 8) == "medium"
    assert confidence(150, 12) == "high"
    few = [PostStats(NOW - timedelta(days=d), likes=3) for d in range(5)]
    heat = heat_map(few, "Europe/Paris", now=NOW)
    text = heat.summary().text()
    assert heat.confidence == "not_enough"
    # Monday 7 December and the four days before it: two weeks, Monday to Sunday.
    assert text.startswith("Not enough data (posts: 5, weeks with posts: 2;")
    french = heat.summary().text(lambda s: s.replace("Not enough data", "Pas assez de données"))
    assert french.startswith("Pas assez de données")


def test_broken_and_future_posts_are_left_out():
    posts = [
        PostStats(NOW - timedelta(days=1), likes=5, reach=100),
        PostStats(NOW + timedelta(days=1), likes=5, reach=100),  # not yet
        PostStats(datetime(9999, 12, 31, tzinfo=UTC), likes=5, reach=100),
        PostStats(datetime(1, 1, 1, tzinfo=UTC), likes=5, reach=100),
        PostStats(NOW - timedelta(days=2), likes=-4, reach=100),
        PostStats(NOW - timedelta(days=2), likes=2**64, reach=100),
        PostStats(NOW - timedelta(days=2), likes=5, reach=0),
    ]
    heat = heat_map(posts, "America/New_York", now=NOW)
    assert heat.posts == 1 and heat.left_out == 6


def test_bad_input_is_a_value_error():
    with pytest.raises(ValueError, match="time zone"):
        heat_map([], "Mars/Olympus")
    with pytest.raises(ValueError, match="time zone"):
        heat_map([], "../../etc/passwd")
    with pytest.raises(ValueError, match="time zone"):
        heat_map([PostStats(datetime(2026, 1, 1), likes=1)], "UTC", now=NOW)
    heat = heat_map([], "UTC", now=NOW)
    with pytest.raises(ValueError):
        next_best_slot(heat, datetime(9999, 12, 31, 23, tzinfo=UTC))
    with pytest.raises(ValueError):
        next_best_slot(heat, NOW, horizon=timedelta(days=10_000))


# --- next best slot ---------------------------------------------------------------------------


def steady_heat(weekday: int, hour: int) -> object:
    """A map whose best cell is (weekday, hour): 30 posts there at twice the rate of 30
    others spread over the week."""
    posts = []
    start = local(2026, 6, 1, 0)  # a Monday
    for week in range(30):
        at = start + timedelta(weeks=week, days=weekday, hours=hour, minutes=10)
        posts.append(PostStats(at, likes=40, reach=1000))
        posts.append(PostStats(at + timedelta(days=1, hours=5), likes=20, reach=1000))
    return heat_map(posts, "Europe/Paris", now=NOW)


def test_next_best_slot_is_the_best_cell_within_the_week():
    heat = steady_heat(3, 18)  # Thursday 18:00
    after = local(2026, 12, 7, 9, 30)  # a Monday
    slot = next_best_slot(heat, after)
    assert slot is not None
    assert slot.at == local(2026, 12, 10, 18)
    assert (slot.weekday, slot.hour) == (3, 18)


def test_next_best_slot_keeps_its_distance_from_scheduled_posts():
    heat = steady_heat(3, 18)
    after = local(2026, 12, 7, 9, 30)
    scheduled = [local(2026, 12, 10, 17, 15)]
    slot = next_best_slot(heat, after, scheduled, min_gap=timedelta(hours=2))
    assert slot is not None
    assert all(abs(slot.at - s) >= timedelta(hours=2) for s in scheduled)
    assert slot.at != local(2026, 12, 10, 18)
    # Without the gap it is the best cell again.
    assert next_best_slot(heat, after, scheduled, min_gap=timedelta(0)).at == local(
        2026, 12, 10, 18
    )


def test_no_slot_when_everything_is_taken():
    heat = steady_heat(3, 18)
    after = local(2026, 12, 7, 9, 30)
    scheduled = [after + timedelta(hours=h) for h in range(0, 30)]
    assert next_best_slot(heat, after, scheduled, horizon=timedelta(hours=24)) is None


def test_slot_is_strictly_after_the_moment():
    heat = steady_heat(3, 18)
    slot = next_best_slot(heat, local(2026, 12, 10, 18), horizon=timedelta(hours=1))
    assert slot is not None and slot.at == local(2026, 12, 10, 19)


def test_local_hours_skip_the_missing_hour_and_keep_the_repeated_one():
    spring = _local_hours(PARIS, local(2026, 3, 28, 23), local(2026, 3, 29, 23))
    assert len(spring) == 23  # 00:00 .. 23:00 on a 23-hour day, without 02:00
    assert 2 not in {m.hour for m in spring if m.day == 29}
    autumn = _local_hours(PARIS, local(2026, 10, 24, 23), local(2026, 10, 25, 23))
    assert len(autumn) == 25
    twos = [m for m in autumn if m.hour == 2]
    assert len(twos) == 2
    assert twos[1].astimezone(UTC) - twos[0].astimezone(UTC) == timedelta(hours=1)
    assert [m.astimezone(UTC) for m in autumn] == sorted(m.astimezone(UTC) for m in autumn)


def test_best_cell_on_the_night_the_clocks_go_forward():
    heat = steady_heat(6, 2)  # Sunday 02:00, which does not exist on 29 March 2026
    after = local(2026, 3, 28, 12)
    slot = next_best_slot(heat, after, horizon=timedelta(days=1))
    assert slot is not None
    assert slot.at.hour != 2 or slot.at.day != 29
    assert slot.at.astimezone(UTC).astimezone(PARIS) == slot.at
    # On the night they go back, 02:00 happens twice: the first is taken, and with a gap of
    # an hour the second is still free.
    first = local(2026, 10, 25, 2)
    slot = next_best_slot(
        heat,
        local(2026, 10, 24, 12),
        [first],
        min_gap=timedelta(hours=1),
        horizon=timedelta(days=1),
    )
    assert slot is not None and slot.at.hour == 2 and slot.at.fold == 1
    assert slot.at.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
