"""The rules engine, condition by condition, and rule order."""

from __future__ import annotations

import datetime as dt

import pytest

from parvis.moderation import engine
from parvis.moderation.engine import Item, RuleError, RuleSpec, Verdict

NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)


def check(config: dict, item: Item, context: engine.Context | None = None) -> Verdict:
    clean = engine.CONDITIONS[config["kind"]].validate(config)
    return engine.CONDITIONS[clean["kind"]](clean).check(item, context or engine.Context())


def test_score_thresholds_and_the_review_band():
    config = {"kind": "score", "name": "insult", "min": 0.8, "review_min": 0.5}
    assert check(config, Item("x", scores={"insult": 0.9})) is Verdict.YES
    assert check(config, Item("x", scores={"insult": 0.6})) is Verdict.REVIEW
    assert check(config, Item("x", scores={"insult": 0.2})) is Verdict.NO
    assert check(config, Item("x")) is Verdict.NO
    with pytest.raises(RuleError):
        engine.Score.validate({"name": "insult", "min": 0.5, "review_min": 0.6})
    with pytest.raises(RuleError):
        engine.Score.validate({"name": "rudeness", "min": 0.5})


def test_words_fold_case_and_accents_and_match_whole_words():
    config = {"kind": "words", "words": ["arnaque", "colis bloqué"]}
    assert check(config, Item("C'est une ARNÂQUE !")) is Verdict.YES
    assert check(config, Item("Votre colis   bloque en douane")) is Verdict.YES
    assert check(config, Item("les arnaqueurs")) is Verdict.NO  # another word
    avoid = {"kind": "words", "words": [], "avoid_list": True}
    context = engine.Context(words_to_avoid=("low cost",))
    assert check(avoid, Item("Du Low-Cost ? non, du low cost"), context) is Verdict.YES
    with pytest.raises(RuleError):
        engine.Words.validate({"words": []})


@pytest.mark.parametrize(
    ("what", "text", "expected"),
    [
        ("link", "promo sur bit.ly/xyz", True),
        ("link", "https://exemple.fr/page", True),
        ("link", "Bonjour. Merci", False),
        ("email", "écrivez à jean.dupont@maison.fr", True),
        ("email", "@maisonlumiere bonjour", False),
        ("phone", "appelez le 06 12 34 56 78", True),
        ("phone", "+33 6 12 34 56 78", True),
        ("phone", "commande 2026, 3 bougies", False),
        ("only_emoji", "🔥🔥 😍", True),
        ("only_emoji", "super 🔥", False),
    ],
)
def test_contains(what, text, expected):
    assert (check({"kind": "contains", "what": what}, Item(text)) is Verdict.YES) is expected


def test_author_conditions():
    veteran = Item(
        "x",
        author_followers=5000,
        author_first_seen=NOW - dt.timedelta(days=400),
        author_posts=40,
        author_lists=frozenset({"VIP"}),
        at=NOW,
    )
    newcomer = Item(
        "x",
        author_followers=3,
        author_first_seen=NOW - dt.timedelta(days=1),
        author_posts=1,
        at=NOW,
    )
    assert check({"kind": "author", "what": "new"}, newcomer) is Verdict.YES
    assert check({"kind": "author", "what": "new"}, veteran) is Verdict.NO
    assert (
        check({"kind": "author", "what": "followers_below", "value": 10}, newcomer) is Verdict.YES
    )
    assert check({"kind": "author", "what": "on_list", "list": "VIP"}, veteran) is Verdict.YES
    assert (
        check({"kind": "author", "what": "on_list", "list": "VIP", "not": True}, veteran)
        is Verdict.NO
    )


def test_network_type_language_account_and_query():
    item = Item(
        "x", network="bluesky", kind="private", lang="fr", account_id=4, query_ids=frozenset({9})
    )
    assert check({"kind": "network", "in": ["bluesky", "reddit"]}, item) is Verdict.YES
    assert check({"kind": "item_type", "in": ["comment"]}, item) is Verdict.NO
    assert check({"kind": "lang", "in": ["fr"]}, item) is Verdict.YES
    assert check({"kind": "account", "in": ["4"]}, item) is Verdict.YES
    assert check({"kind": "query", "id": 9}, item) is Verdict.YES
    with pytest.raises(RuleError):
        engine.ItemType.validate({"in": ["story"]})


def rule(name, conditions, actions, reason="spam", **kw):
    return RuleSpec(
        name, engine.validate_conditions(conditions), engine.validate_actions(actions), reason, **kw
    )


def test_first_matching_rule_wins_unless_it_continues():
    tag = rule(
        "tag links",
        [{"kind": "contains", "what": "link"}],
        [{"kind": "tag", "name": "lien"}],
        continue_after=True,
    )
    hide = rule("spam", [{"kind": "score", "name": "spam", "min": 0.9}], [{"kind": "hide"}])
    later = rule("never", [{"kind": "contains", "what": "link"}], [{"kind": "delete"}])
    decision = engine.evaluate([tag, hide, later], Item("http://x.co promo", scores={"spam": 0.95}))
    assert [o.rule.name for o in decision.outcomes] == ["tag links", "spam"]
    assert decision.summary == "hide"
    assert engine.evaluate([hide], Item("bonjour")).summary == "keep"


def test_an_uncertain_score_sends_to_review_instead_of_acting():
    hide = rule(
        "insults",
        [{"kind": "score", "name": "insult", "min": 0.8, "review_min": 0.5}],
        [{"kind": "hide"}],
        reason="insult",
    )
    decision = engine.evaluate([hide], Item("t", scores={"insult": 0.6}, why=("nul",)))
    assert decision.summary == "review" and decision.outcomes[0].words == ["nul"]


def test_invalid_actions_are_refused():
    with pytest.raises(RuleError):
        engine.validate_actions([{"kind": "hide"}, {"kind": "delete"}])
    with pytest.raises(RuleError):
        engine.validate_actions([{"kind": "explode"}])
    with pytest.raises(RuleError):
        engine.validate_conditions([])


def test_mastodon_handles_are_not_addresses_and_apostrophes_fold():
    email = {"kind": "contains", "what": "email"}
    assert check(email, Item("merci @lea@mastodon.social !")) is Verdict.NO
    assert check(email, Item("écrivez-moi : lea@mastodon.social")) is Verdict.YES
    words = {"kind": "words", "words": ["j'en ai marre"]}
    assert check(words, Item("J\u2019en ai MARRE")) is Verdict.YES
    link = {"kind": "contains", "what": "link"}
    assert check(link, Item("offre sur promo-bougies.store")) is Verdict.YES
    assert check(link, Item("ok.merci beaucoup")) is Verdict.NO


def test_a_word_of_a_megabyte_is_refused():
    """A rule's words are phrases: one of 1 MB would be stored and matched on every comment."""
    with pytest.raises(RuleError, match="characters at most"):
        engine.validate_conditions([{"kind": "words", "words": ["x" * 1_000_000]}])
    long_enough = "mot " * 50
    assert engine.validate_conditions([{"kind": "words", "words": [long_enough]}])
