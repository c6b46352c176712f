"""Boost suggestions: a tiny sample never ranks first, old and boosted posts are skipped with
their reason, the budget is split exactly, hostile figures and budgets are refused."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from parvis.publishing.boost import (
    PRIOR_REACH,
    PostMetrics,
    parse_budget,
    suggest,
    wilson_lower_bound,
)

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def post(pid: str, engagements: int, reach: int | None, days: float = 2, **kw) -> PostMetrics:
    return PostMetrics(
        post_id=pid,
        network=kw.pop("network", "bluesky"),
        published_at=NOW - timedelta(days=days),
        engagements=engagements,
        reach=reach,
        **kw,
    )


def wilson_by_hand(k: float, n: float, z: float = 1.959963984540054) -> float:
    p = k / n
    return (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (
        1 + z * z / n
    )


def test_wilson_lower_bound_known_values():
    # 2 successes out of 3: the 95 % Wilson interval is 20.8 % .. 93.9 %.
    assert wilson_lower_bound(2, 3) == pytest.approx(0.2077, abs=1e-4)
    assert wilson_lower_bound(400, 5000) == pytest.approx(wilson_by_hand(400, 5000))
    assert wilson_lower_bound(0, 0) == 0.0
    assert wilson_lower_bound(0, 50) == 0.0
    assert wilson_lower_bound(50, 50) < 1.0
    assert wilson_lower_bound(80, 50) == wilson_lower_bound(50, 50)  # capped


def test_three_views_and_two_likes_do_not_win():
    posts = [
        post("tiny", 2, 3),
        post("solid", 400, 5000),
        post("average", 300, 5000),
        post("meh", 100, 4000),
    ]
    result = suggest(posts, 100, now=NOW)
    ranked = [b.post.post_id for b in result.boosts]
    assert ranked[0] == "solid"
    assert ranked.index("tiny") > 0
    tiny = next(b for b in result.boosts if b.post.post_id == "tiny")
    assert tiny.rate == pytest.approx(2 / 3)
    assert "small_sample" in [r.code for r in tiny.reasons]
    # The score is Wilson's lower bound once the network's average is weighed in.
    pooled = (2 + 400 + 300 + 100) / (3 + 5000 + 5000 + 4000)
    assert tiny.score == pytest.approx(wilson_by_hand(2 + pooled * PRIOR_REACH, 3 + PRIOR_REACH))


def test_the_big_post_is_not_left_out_because_a_tiny_one_lifts_the_average():
    result = suggest([post("tiny", 2, 3), post("big", 400, 5000)], 100, now=NOW)
    assert [b.post.post_id for b in result.boosts] == ["big", "tiny"]


def test_a_small_but_real_standout_still_wins():
    posts = [post("standout", 60, 200), post("big", 400, 5000), post("other", 380, 5000)]
    result = suggest(posts, 100, now=NOW)
    assert result.boosts[0].post.post_id == "standout"
    codes = [r.code for r in result.boosts[0].reasons]
    assert "above_network" in codes


def test_skips_with_reasons():
    posts = [
        post("old", 400, 1000, days=20),
        post("boosted", 400, 1000, already_boosted=True),
        post("blind", 400, None),
        post("future", 10, 100, days=-1),
        post("negative", -3, 100),
        post("huge", 2**64, 100),
        post("zero", 0, 10_000),
        post("ok", 50, 1000),
    ]
    result = suggest(posts, 50, now=NOW)
    assert [b.post.post_id for b in result.boosts] == ["ok"]
    reasons = {s.post.post_id: s.reason.code for s in result.skipped}
    assert reasons == {
        "old": "too_old",
        "boosted": "boosted",
        "blind": "no_reach",
        "future": "future",
        "negative": "bad_figures",
        "huge": "bad_figures",
        "zero": "below_average",
    }
    old = next(s for s in result.skipped if s.post.post_id == "old")
    assert old.reason.text() == "Published on 2026-11-17, before 2026-11-23: too old to boost."


def test_impressions_when_the_reach_is_unknown():
    result = suggest([post("p", 40, None, impressions=800)], 20, now=NOW)
    assert result.boosts[0].reasons[0].code == "rate_impressions"


def test_budget_is_split_exactly_in_proportion_and_with_a_minimum():
    posts = [post(f"good{i}", 200 + 40 * i, 2000) for i in range(5)]
    posts += [post(f"weak{i}", 20, 2000) for i in range(3)]
    result = suggest(posts, "100.01", now=NOW, max_posts=3, min_amount="5")
    assert [b.post.post_id for b in result.boosts] == ["good4", "good3", "good2"]
    amounts = [b.amount for b in result.boosts]
    assert sum(amounts) == Decimal("100.01") and result.unspent == 0
    assert all(a >= 5 and a == a.quantize(Decimal("0.01")) for a in amounts)
    assert amounts == sorted(amounts, reverse=True)  # the best gets the most
    # In proportion to the scores, to the cent.
    scores = [b.score for b in result.boosts]
    spare = 10001 - 3 * 500
    for boost, score in zip(result.boosts, scores, strict=True):
        assert abs(float(boost.amount) * 100 - 500 - spare * score / sum(scores)) < 1
    codes = sorted(s.reason.code for s in result.skipped)
    assert codes == ["below_average"] * 3 + ["not_in_top"] * 2


def test_small_budget_boosts_fewer_posts_or_none():
    posts = [post(f"p{i}", 100, 2000) for i in range(5)]
    result = suggest(posts, 12, now=NOW, min_amount=5)
    assert [b.post.post_id for b in result.boosts] == ["p0", "p1"]  # ties: by id
    assert sum(b.amount for b in result.boosts) == 12
    nothing = suggest(posts, "4.99", now=NOW, min_amount=5)
    assert nothing.boosts == () and nothing.unspent == Decimal("4.99")
    assert [n.code for n in nothing.notes] == ["budget_too_small"]
    empty = suggest([], 100, now=NOW)
    assert empty.boosts == () and [n.code for n in empty.notes] == ["nothing"]


def test_same_answer_whatever_the_order():
    rng = random.Random(7)
    posts = [post(f"p{i}", rng.randrange(0, 300), rng.randrange(1, 6000)) for i in range(30)]
    first = suggest(posts, 250, now=NOW)
    rng.shuffle(posts)
    again = suggest(posts, 250, now=NOW)
    assert [(b.post.post_id, b.amount) for b in again.boosts] == [
        (b.post.post_id, b.amount) for b in first.boosts
    ]


def test_reasons_are_translatable():
    result = suggest([post("p", 80, 1000)], 30, now=NOW)
    boost = result.boosts[0]
    english = [r.text() for r in boost.reasons]
    assert english[0] == "Engagements: 80, people reached: 1000: an engagement rate of 8.0%."
    assert english[-1] == "Suggested: 30 EUR, 100% of the budget, in proportion to its score."
    catalogue = {
        boost.reasons[0].template: "Interactions : %(engagements)s, personnes touchées : "
        "%(reach)s : un taux d'engagement de %(rate).1f %%."
    }
    french = boost.reasons[0].text(lambda s: catalogue.get(s, s))
    assert french == "Interactions : 80, personnes touchées : 1000 : un taux d'engagement de 8.0 %."


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("150", Decimal("150.00")),
        ("12,50", Decimal("12.50")),
        (7, Decimal("7.00")),
        (Decimal("9.999"), Decimal("9.99")),
        (0.1, Decimal("0.10")),
    ],
)
def test_budget_parsing(given, expected):
    assert parse_budget(given) == expected


@pytest.mark.parametrize(
    "given", ["NaN", "inf", "-5", "1e400", 2**64, True, "abc", "", None, "1" * 5000]
)
def test_budget_parsing_refuses_nonsense(given):
    with pytest.raises(ValueError):
        parse_budget(given)


def test_naive_dates_and_bad_limits_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        suggest([PostMetrics("p", "x", datetime(2026, 12, 1), 3, 10)], 10, now=NOW)
    with pytest.raises(ValueError):
        suggest([], 10, now=NOW, max_posts=0)
