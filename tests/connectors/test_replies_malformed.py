"""Malformed network answers met while replying give typed errors or nothing, never a crash."""

from __future__ import annotations

import datetime as dt

from parvis.connectors.reddit.replies import matches, sent_from


def test_reddit_forged_created_utc_is_undated_not_an_overflow():
    since = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for forged in (2**64, -(2**64), 1e308, float("nan")):
        thing = {
            "data": {"name": "t1_x", "permalink": "/r/a/comments/b/c/x/", "created_utc": forged}
        }
        assert sent_from(thing).published_at is None
        thing["data"] |= {"parent_id": "t3_b", "body": "merci"}
        assert matches(thing, "t3_b", "merci", since)
