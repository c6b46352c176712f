"""The demo corpus: shape of every item, content mix, rhythm, the complaint spike,
determinism, and live ids that never collide."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from parvis.demo.corpus import MAX_LIVE, PARIS, backlog, live, main, write_jsonl

NOW = dt.datetime(2025, 11, 20, 17, 30, 12, 345678, tzinfo=dt.UTC)
START = NOW - dt.timedelta(days=30)
NETWORKS = {"bluesky", "mastodon", "reddit", "hackernews", "youtube", "rss"}
KINDS = {
    "praise",
    "complaint",
    "question",
    "mention",
    "competitor",
    "competitor_only",
    "press",
    "spam",
    "insult",
    "noise",
    "brand_reply",
    "brand_post",
    "campaign",
}
URLS = {
    "bluesky": r"https://bsky\.app/profile/[a-z0-9.-]+/post/[a-z2-7]{13}",
    "mastodon": r"https://[a-z0-9.-]+\.example/@\w+/\d+",
    "reddit": r"https://www\.reddit\.com/r/\w+/comments/[a-z0-9]+/\w+/([a-z0-9]+/)?",
    "hackernews": r"https://news\.ycombinator\.com/item\?id=\d+",
    "youtube": r"https://www\.youtube\.com/watch\?v=[\w-]{11}(&lc=[\w.-]+)?",
    "rss": r"https://www\.[a-z0-9.-]+\.example/\d{4}/\d{2}/[a-z0-9-]+/",
}
BRAND = re.compile(r"maison ?lumi[eè]re", re.IGNORECASE)


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return list(backlog(NOW))


def created(item: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(item["created_at"])


def key(item: dict) -> tuple[str, str]:
    return item["network"], item["external_id"]


def test_a_month_is_a_few_thousand_mentions(items):
    assert 1500 <= len(items) <= 3000


def test_every_item_has_the_normalized_shape(items):
    for item in items:
        assert item["network"] in NETWORKS
        assert isinstance(item["external_id"], str) and item["external_id"]
        assert isinstance(item["text"], str) and item["text"].strip()
        author = item["author"]
        assert isinstance(author["handle"], str) and author["handle"]
        assert isinstance(author["name"], str) and author["name"]
        assert isinstance(author["followers"], int) and author["followers"] >= 0
        assert author["url"].startswith("https://")
        assert item.get("lang") in (None, "fr", "en")
        if "metrics" in item:
            assert set(item["metrics"]) == {"likes", "reposts", "replies"}
            assert all(isinstance(v, int) and v >= 0 for v in item["metrics"].values())
        assert ("title" in item) == (item["network"] == "rss")
        assert item["_kind"] in KINDS
        assert item["_lang"] in ("fr", "en")
        assert item["_sentiment"] in ("positive", "negative", "neutral")
        assert set(item["_brands"]) <= {"maisonlumiere", "cireetsens"}
        # The public fields are plain JSON.
        assert json.loads(json.dumps(item)) == item


def test_dates_are_aware_utc_in_the_window_and_in_order(items):
    moments = [created(item) for item in items]
    for moment in moments:
        assert moment.utcoffset() == dt.timedelta(0)
        assert START <= moment < NOW
    assert moments == sorted(moments)


def test_external_ids_are_unique(items):
    assert len({key(item) for item in items}) == len(items)
    assert len({item["url"] for item in items}) == len(items)


def test_replies_point_to_an_earlier_item_of_the_same_network(items):
    seen: set[tuple[str, str]] = set()
    replies = 0
    for item in items:
        if "parent_id" in item:
            assert (item["network"], item["parent_id"]) in seen
            replies += 1
        seen.add(key(item))
    assert replies > 300


def test_urls_are_shaped_like_each_network(items):
    for item in items:
        assert re.fullmatch(URLS[item["network"]], item["url"]), item["url"]
        if item["network"] == "bluesky":
            assert item["external_id"].startswith("at://did:plc:")
            assert item["external_id"].endswith(item["url"].rsplit("/", 1)[1])
        if item["network"] == "reddit":
            assert item["external_id"][:3] in ("t1_", "t3_")
            assert item["author"]["handle"].startswith("u/")
        if item["network"] == "mastodon":
            assert re.fullmatch(r"@\w+@[a-z0-9.-]+\.example", item["author"]["handle"])


def test_reddit_comments_live_under_their_submission(items):
    by_id = {key(item): item for item in items}
    for item in items:
        if item["network"] == "reddit" and "parent_id" in item:
            root = item
            while "parent_id" in root:
                root = by_id["reddit", root["parent_id"]]
            assert item["url"].startswith(root["url"])


def test_about_sixty_percent_french(items):
    share = sum(item["_lang"] == "fr" for item in items) / len(items)
    assert 0.5 <= share <= 0.7
    for item in items:
        if "lang" in item:
            assert item["lang"] == item["_lang"]
        else:  # as with the real APIs
            assert item["network"] in ("reddit", "hackernews")


def test_every_kind_is_there(items):
    counts = Counter(item["_kind"] for item in items)
    assert set(counts) == KINDS
    for kind in ("praise", "complaint", "question", "spam", "noise", "brand_reply"):
        assert counts[kind] >= 50, kind


def test_the_giveaway_text_is_posted_by_many_accounts(items):
    by_text = defaultdict(set)
    for item in items:
        if item.get("_campaign") == "giveaway" and "parent_id" not in item:
            by_text[item["text"]].add(key(item))
    biggest = max(by_text.values(), key=len)
    assert len(biggest) >= 50
    authors = {i["author"]["handle"] for i in items if key(i) in biggest}
    assert len(authors) >= 40


def test_the_brand_answers_in_threads(items):
    replies = [item for item in items if item["_kind"] == "brand_reply"]
    handles = Counter(item["author"]["handle"] for item in replies)
    assert handles["maisonlumiere.bsky.social"] >= 30
    assert all("parent_id" in item for item in replies)
    assert all(
        item["text"].rstrip().split("— ")[-1] in ("Inès", "Paul", "Mathilde") for item in replies
    )


def test_press_articles_are_long_rss_items(items):
    press = [item for item in items if item["_kind"] == "press"]
    assert len(press) >= 8
    for item in press:
        assert item["network"] == "rss"
        assert item["title"] and len(item["text"]) > 250
        assert "metrics" not in item


def test_influencers_post_several_times_and_most_authors_are_small(items):
    posts = Counter(
        item["author"]["handle"]
        for item in items
        if 20_000 <= item["author"]["followers"] <= 200_000 and item["network"] != "rss"
    )
    assert sum(count >= 3 for count in posts.values()) >= 4
    followers = {(i["network"], i["author"]["handle"]): i["author"]["followers"] for i in items}
    small = sum(50 <= f <= 2000 for f in followers.values())
    assert small / len(followers) > 0.6


def test_engagement_follows_audience(items):
    def likes(low: int, high: int) -> list[int]:
        return [
            item["metrics"]["likes"]
            for item in items
            if low <= item["author"]["followers"] < high
            and "metrics" in item
            and item["network"] != "reddit"  # Reddit votes come from the subreddit
        ]

    assert statistics.median(likes(20_000, 10**6)) > 10 * max(1, statistics.median(likes(0, 2000)))
    children = Counter((i["network"], i["parent_id"]) for i in items if "parent_id" in i)
    for item in items:
        if "metrics" in item:
            assert item["metrics"]["replies"] >= children[key(item)]


def test_noise_does_not_name_the_brand_and_competitor_items_stay_apart(items):
    for item in items:
        text = f"{item.get('title', '')} {item['text']}"
        if item["_kind"] == "noise":
            assert not BRAND.search(text), text
            assert item["_brands"] == []
        if item["_kind"] == "competitor_only":
            assert not BRAND.search(text), text
            assert item["_brands"] == ["cireetsens"]
    noise = " ".join(i["text"].lower() for i in items if i["_kind"] == "noise")
    assert "lumière" in noise or "lumiere" in noise


def test_insults_range_from_mild_to_two_hateful(items):
    severities = Counter(i.get("_severity") for i in items if i["_kind"] == "insult")
    assert severities["mild"] > 0 and severities["insulting"] > 0
    assert severities["hateful"] == 2
    assert {i["_lang"] for i in items if i.get("_severity") == "hateful"} == {"fr", "en"}


def test_complaints_spike_nine_days_ago(items):
    # Days as the brand lives them, in Lyon.
    local = [created(i).astimezone(PARIS).date() for i in items if i["_kind"] == "complaint"]
    daily = Counter(local)
    today = NOW.astimezone(PARIS).date()
    days = [today - dt.timedelta(days=n) for n in range(1, 30)]  # whole days
    spike = today - dt.timedelta(days=9)
    assert daily[spike] == max(daily[day] for day in days)
    assert daily[spike] >= 3 * statistics.median(daily[day] for day in days)


def test_weekdays_and_evenings_are_busier(items):
    # Everyday chatter only: the giveaway and the spike may fall on a weekend.
    everyday = [
        item
        for item in items
        if "parent_id" not in item and item["_kind"] not in ("campaign", "complaint", "press")
    ]
    daily: Counter[dt.date] = Counter()
    evening = morning = 0
    for item in everyday:
        local = created(item).astimezone(PARIS)
        daily[local.date()] += 1
        if local.weekday() < 5:
            evening += 18 <= local.hour < 23
            morning += 6 <= local.hour < 11
    days = sorted(daily)[1:-1]  # whole days only
    weekdays = statistics.median(daily[d] for d in days if d.weekday() < 5)
    weekends = statistics.median(daily[d] for d in days if d.weekday() >= 5)
    assert weekdays > 1.2 * weekends
    assert evening > 1.5 * morning


def test_same_seed_same_corpus_other_seed_other_corpus(items):
    assert list(backlog(NOW)) == items
    assert list(backlog(NOW, seed=8)) != items


def test_the_backlog_is_fast():
    start = time.perf_counter()
    list(backlog(NOW - dt.timedelta(hours=5), seed=3))
    assert time.perf_counter() - start < 1.0


def test_a_shorter_backlog_stays_in_its_window():
    week = list(backlog(NOW, days=7))
    assert 300 < len(week) < 1200
    assert all(NOW - dt.timedelta(days=7) <= created(i) < NOW for i in week)


def test_now_must_be_aware():
    with pytest.raises(ValueError):
        backlog(NOW.replace(tzinfo=None))
    with pytest.raises(ValueError):
        live(NOW.replace(tzinfo=None), 7, 3)


def test_the_importer_accepts_every_item(items):
    normalize = pytest.importorskip("parvis.listening.normalize")
    for item in items + live(NOW, 7, 20):
        normalize.validate(item)


# ---------------------------------------------------------------------------- live


def test_live_items_are_fresh_and_well_formed():
    batch = live(NOW, 7, 12)
    assert len(batch) == 12
    moments = [created(item) for item in batch]
    assert moments == sorted(moments)
    for item, moment in zip(batch, moments, strict=True):
        assert NOW - dt.timedelta(minutes=1) <= moment <= NOW
        assert item["network"] in ("bluesky", "mastodon", "reddit", "youtube")
        assert re.fullmatch(URLS[item["network"]], item["url"]), item["url"]
        assert "parent_id" not in item
        assert item["_kind"] in KINDS


def test_live_is_deterministic_for_a_seed_and_instant():
    assert live(NOW, 7, 5) == live(NOW, 7, 5)
    assert live(NOW, 7, 5) != live(NOW + dt.timedelta(seconds=20), 7, 5)


def test_live_ids_never_collide(items):
    seen = {key(item) for item in items}
    total = len(seen)
    # A demo cadence, then calls a microsecond and a millisecond apart, and calls at
    # instants inside the backlog's window.
    instants = [NOW + dt.timedelta(seconds=20 * n) for n in range(150)]
    instants += [NOW + dt.timedelta(microseconds=n) for n in range(1, 40)]
    instants += [NOW + dt.timedelta(milliseconds=n) for n in range(1, 40)]
    instants += [NOW - dt.timedelta(hours=n, microseconds=n) for n in range(1, 40)]
    for instant in instants:
        for item in live(instant, 7, MAX_LIVE):
            seen.add(key(item))
            total += 1
    assert len(seen) == total


def test_live_count_is_bounded():
    assert live(NOW, 7, 0) == []
    with pytest.raises(ValueError):
        live(NOW, 7, MAX_LIVE + 1)


# --------------------------------------------------------------------------- output


def test_write_jsonl_to_a_path_and_a_stream(tmp_path: Path):
    batch = live(NOW, 7, 6)
    path = tmp_path / "demo.jsonl"
    assert write_jsonl(path, batch) == 6
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == batch
    stream = io.StringIO()
    assert write_jsonl(stream, iter(batch)) == 6
    assert "\\u" not in stream.getvalue()  # UTF-8, not escapes


def test_main_writes_the_backlog_as_jsonl(capfd):
    assert main(["--days", "2", "--now", NOW.isoformat()]) == 0
    lines = capfd.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == list(backlog(NOW, days=2))


def test_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "parvis.demo.corpus", "--days", "1", "--seed", "3"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    lines = done.stdout.decode("utf-8").splitlines()
    assert lines and all(json.loads(line)["network"] in NETWORKS for line in lines)


def test_corpus_texts_are_package_data_that_a_wheel_ships():
    """The templates are a data file: the package-data globs of pyproject.toml (what
    setuptools puts in the wheel) must cover it, and the module reads it from the package."""
    import glob
    import tomllib
    from importlib import resources
    from pathlib import Path

    root = Path(__file__).parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["*"]
    package = root / "parvis" / "demo"
    shipped = {f for p in patterns for f in glob.glob(p, root_dir=package, recursive=True)}
    assert "data/corpus_texts.json" in shipped
    assert (resources.files("parvis.demo") / "data" / "corpus_texts.json").is_file()
