"""The inbox's reply length check counts as the network does (parvis/connectors/counting.py)."""

from __future__ import annotations

from parvis.inbox import editorial

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"


def codes(text: str, network: str) -> list[str]:
    return [w.code for w in editorial.check(text, None, network)]


def test_x_replies_weigh_cjk_twice():
    # 140 ideographs weigh 280, 141 weigh 282 (twitter-text v3).
    assert codes("日" * 140, "x") == []
    assert codes("日" * 141, "x") == ["length"]


def test_mastodon_replies_count_links_as_23():
    # 400 letters + space + a 200-character link counted 23: 424 of 500.
    assert codes("a" * 400 + " https://example.com/" + "b" * 180, "mastodon") == []


def test_bluesky_replies_over_3000_bytes_are_refused():
    # 121 families: 121 graphemes but 3,025 UTF-8 bytes, which Bluesky refuses even forced.
    found = editorial.check(FAMILY * 121, None, "bluesky")
    assert [w.code for w in found] == ["too_many_bytes"]
    assert editorial.blocking(found)


def test_comment_limits_stay_the_comments():
    assert codes("a" * 1250, "linkedin") == []
    assert codes("a" * 1251, "linkedin") == ["length"]
    assert codes("a" * 10_000, "youtube") == []
