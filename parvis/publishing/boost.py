"""Sponsored boost suggestions (« enveloppe budgétaire pour mettre en avant des publications
performantes »): which recent posts to boost with a budget, and why. No ad API is called.

Pure Python, no Django and no models: posts with their metrics come in as dataclasses, the
suggestions go out as dataclasses whose reasons are translatable (`Reason.text(gettext)`).

The rule (docs/publishing.md, « Sponsored boost suggestions »):

- A post is a candidate when it is published, at most `max_age` old, not already boosted,
  and has a reach figure (people reached, else impressions).
- Its score is the lower bound of the Wilson interval (95 %) of its engagement rate,
  engagements / people reached, after adding `PRIOR_REACH` (100) people engaged at the
  network's average rate (the pooled rate of the candidates of that network): a Bayesian
  prior that a handful of views cannot outweigh. Engagements are capped at the reach (a
  person who likes and reposts is one engaged person at most). On Bluesky posts averaging
  8 %, 2 likes out of 3 views (67 %) scores 5.4 % while 400 out of 5,000 (8 %) scores 7.3 %.
- A post clearly under its network's average (the upper bound of the same interval is
  under it) is not suggested: boosting it would pay to show more people a post its own
  audience liked less than the others. Only "clearly": with two posts on a network, the one
  measured on 5,000 people is not left out because 3 views lifted the average a hair.
- The best `max_posts` candidates whose lower bound beats `min_score` share the budget in
  proportion to their score, in whole cents, at least `min_amount` each (fewer posts when the
  budget is too small for that), the cents left by rounding going to the best posts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from parvis.publishing.reasons import Reason, gettext_noop

__all__ = [
    "Boost",
    "PostMetrics",
    "Skipped",
    "Suggestions",
    "parse_budget",
    "suggest",
    "wilson_interval",
    "wilson_lower_bound",
]

Z_95 = 1.959963984540054
MAX_COUNT = 10**12
MAX_BUDGET_CENTS = 10**11  # a billion euros: beyond, a typo
CENT = Decimal("0.01")
# The network's average rate counts as this many people reached more (see the module docs).
PRIOR_REACH = 100


@dataclass(frozen=True)
class PostMetrics:
    post_id: str
    network: str
    published_at: datetime
    engagements: int  # likes + reposts + replies (+ clicks, saves where the network counts them)
    reach: int | None = None  # people reached
    impressions: int | None = None  # times shown, when the reach is not known
    already_boosted: bool = False
    label: str = ""  # what the page shows: the start of the text


@dataclass(frozen=True)
class Boost:
    post: PostMetrics
    amount: Decimal  # EUR, in whole cents
    rate: float
    score: float  # Wilson lower bound of the rate
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Skipped:
    post: PostMetrics
    reason: Reason


@dataclass(frozen=True)
class Suggestions:
    budget: Decimal
    boosts: tuple[Boost, ...]  # best first
    skipped: tuple[Skipped, ...]  # in the order given, then the good ones left out
    unspent: Decimal  # only when no post is worth it or the budget is below min_amount
    notes: tuple[Reason, ...]


# No count noun next to a number that can be 1: these are plain gettext messages, without
# plural forms.
TEXTS = {
    "rate": gettext_noop(
        "Engagements: %(engagements)s, people reached: %(reach)s: an engagement rate of "
        "%(rate).1f%%."
    ),
    "rate_impressions": gettext_noop(
        "Engagements: %(engagements)s, impressions: %(reach)s (the reach is not known): an "
        "engagement rate of %(rate).1f%%."
    ),
    "score": gettext_noop(
        "Score %(lower).1f%%: the rate it has at least, with 95%% confidence, once weighed "
        "with %(prior)s more people at the average rate of the %(network)s posts."
    ),
    "above_network": gettext_noop(
        "Even at its score, %(ratio).1f times the average rate of the %(network)s posts "
        "considered (%(average).1f%%)."
    ),
    "below_network": gettext_noop(
        "Its score stays under the average rate of the %(network)s posts considered "
        "(%(average).1f%%): it ranks well, but is not clearly above the others."
    ),
    "small_sample": gettext_noop(
        "Few people reached so far (%(reach)s): the rate is uncertain, which lowers its rank."
    ),
    "age": gettext_noop("Published on %(date)s, recent enough to boost."),
    "share": gettext_noop(
        "Suggested: %(amount)s EUR, %(percent)s%% of the budget, in proportion to its score."
    ),
    "too_old": gettext_noop("Published on %(date)s, before %(since)s: too old to boost."),
    "boosted": gettext_noop("Already boosted."),
    "no_reach": gettext_noop("No reach or impressions figure: its rate cannot be measured."),
    "future": gettext_noop("Not published yet."),
    "bad_figures": gettext_noop("Its figures are not plausible (negative or too large)."),
    "below_average": gettext_noop(
        "Engagement rate %(rate).1f%%, clearly under the average of the %(network)s posts "
        "considered (%(average).1f%%)."
    ),
    "low_score": gettext_noop("Score %(lower).2f%%: too low to be worth a boost."),
    "not_in_top": gettext_noop(
        "Good, but not among the best, who share the budget (%(count)s at most)."
    ),
    "budget_too_small": gettext_noop(
        "The budget is too small to boost a post: at least %(min_amount)s EUR per post."
    ),
    "nothing": gettext_noop("No recent post is worth boosting now."),
}


def _reason(code: str, **params: object) -> Reason:
    return Reason(code, TEXTS[code], params)


def wilson_interval(successes: float, trials: float, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of successes / trials ((0, 1) when trials is 0; successes
    capped at trials)."""
    if trials <= 0:
        return 0.0, 1.0
    k = min(max(successes, 0), trials)
    p = k / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    low = 0.0 if k <= 0 else max(0.0, (centre - spread) / (1 + z2 / trials))
    high = 1.0 if k >= trials else min(1.0, (centre + spread) / (1 + z2 / trials))
    return low, high


def wilson_lower_bound(successes: float, trials: float, z: float = Z_95) -> float:
    """The lower bound of the Wilson score interval (0 when trials is 0)."""
    return wilson_interval(successes, trials, z)[0]


def parse_budget(value: object) -> Decimal:
    """A budget in EUR (a Decimal, int or text like "150" or "149.90"), rounded down to the
    cent; ValueError when it is not a finite amount between 0 and a billion."""
    if isinstance(value, bool):
        value = None  # True is not 1 EUR
    try:
        amount = Decimal(str(value).strip().replace(",", ".")) if value is not None else None
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise ValueError("the budget is not an amount")
    if amount < 0 or amount * 100 > MAX_BUDGET_CENTS:
        raise ValueError("the budget must be between 0 and 1,000,000,000 EUR")
    cents = amount.quantize(CENT, rounding="ROUND_DOWN")
    if cents * 100 > MAX_BUDGET_CENTS:
        raise ValueError("the budget must be between 0 and 1,000,000,000 EUR")
    return cents


def _plausible(post: PostMetrics) -> bool:
    figures = (post.engagements, post.reach, post.impressions)
    return all(v is None or (type(v) is int and 0 <= v <= MAX_COUNT) for v in figures)


def _split(budget_cents: int, scores: list[float], min_cents: int) -> list[int]:
    """Whole cents in proportion to scores, each at least min_cents, summing to the budget
    (largest remainders; ties to the better score, which comes first)."""
    n = len(scores)
    spare = budget_cents - n * min_cents
    total = sum(scores)
    shares = [spare * s / total for s in scores] if total > 0 else [spare / n] * n
    floors = [math.floor(x) for x in shares]
    left = spare - sum(floors)
    order = sorted(range(n), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [min_cents + f for f in floors]


def suggest(
    posts: Iterable[PostMetrics],
    budget: object,
    now: datetime | None = None,
    max_age: timedelta = timedelta(days=14),
    max_posts: int = 3,
    min_amount: object = "5",
    min_score: float = 0.0,
) -> Suggestions:
    """Which posts to boost with `budget` EUR, how much each, and why (module docs)."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now has no time zone")
    budget_cents = int(parse_budget(budget) * 100)
    min_cents = max(1, int(parse_budget(min_amount) * 100))
    if type(max_posts) is not int or not 1 <= max_posts <= 100:
        raise ValueError("max_posts must be between 1 and 100")

    measured: list[tuple[PostMetrics, int, int, bool]] = []
    skipped: list[Skipped] = []
    for post in posts:
        published = post.published_at
        if published.tzinfo is None or published.utcoffset() is None:
            raise ValueError(f"post {post.post_id[:80]!r}: a date without a time zone")
        if not _plausible(post):
            skipped.append(Skipped(post, _reason("bad_figures")))
            continue
        if published > now:
            skipped.append(Skipped(post, _reason("future")))
            continue
        if post.already_boosted:
            skipped.append(Skipped(post, _reason("boosted")))
            continue
        age = now - published
        if age > max_age:
            skipped.append(
                Skipped(
                    post,
                    _reason(
                        "too_old",
                        date=published.date().isoformat(),
                        since=(now - max_age).date().isoformat(),
                    ),
                )
            )
            continue
        by_reach = bool(post.reach)
        exposure = post.reach if by_reach else post.impressions
        if not exposure:
            skipped.append(Skipped(post, _reason("no_reach")))
            continue
        engaged = min(post.engagements, exposure)
        measured.append((post, engaged, exposure, by_reach))

    network_rate: dict[str, float] = {}
    for network in {m[0].network for m in measured}:
        same = [m for m in measured if m[0].network == network]
        network_rate[network] = sum(m[1] for m in same) / sum(m[2] for m in same)
    candidates: list[tuple[float, float, PostMetrics, int, bool]] = []
    for post, engaged, exposure, by_reach in measured:
        prior = network_rate[post.network]
        low, high = wilson_interval(engaged + prior * PRIOR_REACH, exposure + PRIOR_REACH)
        if high < prior:
            # Paying to show more people a post its own audience liked less than the others.
            skipped.append(
                Skipped(
                    post,
                    _reason(
                        "below_average",
                        rate=100 * engaged / exposure,
                        network=post.network,
                        average=100 * prior,
                    ),
                )
            )
            continue
        score = low
        if score <= min_score:
            skipped.append(Skipped(post, _reason("low_score", lower=100 * score)))
            continue
        candidates.append((score, engaged / exposure, post, exposure, by_reach))

    # Best first; equal scores by the larger sample, then by id, so the order never depends
    # on the order the posts came in.
    candidates.sort(key=lambda c: (-c[0], -c[3], c[2].post_id))
    count = min(max_posts, len(candidates), budget_cents // min_cents)
    chosen, rest = candidates[:count], candidates[count:]
    notes: list[Reason] = []
    if not candidates:
        notes.append(_reason("nothing"))
    elif count == 0:
        notes.append(_reason("budget_too_small", min_amount=Decimal(min_cents) / 100))
        rest = candidates
    for c in rest:
        skipped.append(Skipped(c[2], _reason("not_in_top", count=max_posts)))

    amounts = _split(budget_cents, [c[0] for c in chosen], min_cents) if chosen else []
    boosts = []
    for (score, rate, post, exposure, by_reach), cents in zip(chosen, amounts, strict=True):
        reasons = [
            _reason(
                "rate" if by_reach else "rate_impressions",
                engagements=post.engagements,
                reach=exposure,
                rate=100 * rate,
            ),
            _reason("score", lower=100 * score, prior=PRIOR_REACH, network=post.network),
        ]
        average = network_rate[post.network]
        if average > 0 and score > average:
            reasons.append(
                _reason(
                    "above_network",
                    ratio=score / average,
                    network=post.network,
                    average=100 * average,
                )
            )
        else:
            reasons.append(_reason("below_network", network=post.network, average=100 * average))
        if exposure < 100:
            reasons.append(_reason("small_sample", reach=exposure))
        reasons.append(_reason("age", date=post.published_at.date().isoformat()))
        amount = Decimal(cents) / 100
        reasons.append(
            _reason(
                "share",
                amount=amount,
                percent=round(100 * cents / budget_cents) if budget_cents else 0,
            )
        )
        boosts.append(Boost(post, amount, rate, score, tuple(reasons)))
    spent = sum(amounts)
    return Suggestions(
        budget=Decimal(budget_cents) / 100,
        boosts=tuple(boosts),
        skipped=tuple(skipped),
        unspent=Decimal(budget_cents - spent) / 100,
        notes=tuple(notes),
    )
