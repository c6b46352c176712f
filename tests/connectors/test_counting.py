"""Each network's counting rules and media limits (parvis/connectors/counting.py).

Every expected value is worked out by hand from the rule it tests (the comment says how),
never read back from the code: code points, UTF-16 units and UTF-8 bytes of each sample are
spelt out below.
"""

from __future__ import annotations

import pytest

from parvis.connectors.base import MediaFile, PublishLimits
from parvis.connectors.counting import (
    check,
    check_media,
    count,
    find_emoji,
    find_hashtags,
    find_mentions,
    find_urls,
    grapheme_count,
    utf8_span,
)

# U+1F468 ZWJ U+1F469 ZWJ U+1F467 ZWJ U+1F466: 7 code points, 11 UTF-16 units
# (4 surrogate pairs + 3 joiners), 25 UTF-8 bytes (4 x 4 + 3 x 3), one grapheme.
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
# Regional indicators F + R, B + E: 2 code points, 8 UTF-8 bytes each flag.
FLAG_FR = "\U0001f1eb\U0001f1f7"
FLAG_BE = "\U0001f1e7\U0001f1ea"
# Thumbs up + medium skin tone: 2 code points, 8 UTF-8 bytes.
THUMB_MEDIUM = "\U0001f44d\U0001f3fd"
# 1 + VS16 + combining enclosing keycap: 3 code points.
KEYCAP_ONE = "1\ufe0f\u20e3"
KEYCAP_HASH = "#\ufe0f\u20e3"
E_NFD = "e\u0301"  # « é » typed as e + combining acute: 2 code points
E_NFC = "\u00e9"
# 한 as conjoining jamo (choseong H, jungseong A, jongseong N) and precomposed (U+D55C).
HAN_NFD = "\u1112\u1161\u11ab"
HAN_NFC = "\ud55c"
GRIN = "\U0001f600"  # one code point, 2 UTF-16 units, 4 UTF-8 bytes

MiB = 1024 * 1024


def codes(problems) -> list[str]:
    return [p.code for p in problems]


# --- Bluesky: grapheme clusters -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FAMILY, 1),  # a ZWJ sequence is one cluster (GB11)
        (FLAG_FR + FLAG_BE, 2),  # regional indicators pair up (GB12/13)
        (FLAG_FR + "\U0001f1e7", 2),  # a third, unpaired indicator stands alone
        (THUMB_MEDIUM, 1),  # a skin tone extends its base (GB9)
        (KEYCAP_ONE, 1),  # VS16 and the keycap mark extend the digit
        (E_NFD, 1),  # a combining accent extends its letter
        (E_NFC, 1),
        (HAN_NFD, 1),  # L V T jamo form one syllable (GB6-GB8)
        (HAN_NFC, 1),
        ("Été 2024", 8),
        ("", 0),
    ],
)
def test_bluesky_counts_grapheme_clusters(text, expected):
    assert grapheme_count(text) == expected
    counted = count(text, "bluesky")
    assert (counted.used, counted.unit, counted.limit) == (expected, "graphemes", 300)


def test_bluesky_exactly_at_the_limit_and_one_over():
    at = count("a" * 300, "bluesky")
    assert at.ok and at.remaining == 0 and at.problems == ()
    over = count("a" * 301, "bluesky")
    assert not over.ok and over.remaining == -1
    assert codes(over.problems) == ["too_long"]
    # The message says what to change: the count, the limit, how much to remove.
    assert "301" in over.problems[0].message and "300" in over.problems[0].message


def test_bluesky_decomposed_accents_count_once():
    # 300 x (e + U+0301) = 600 code points but 300 graphemes: still within the limit.
    assert count(E_NFD * 300, "bluesky").ok
    assert codes(count(E_NFD * 301, "bluesky").problems) == ["too_long"]


def test_bluesky_caps_the_bytes_too():
    # 120 families = 120 graphemes and 120 x 25 = 3,000 bytes: exactly the lexicon's cap.
    assert count(FAMILY * 120, "bluesky").ok
    # 121 families: 121 graphemes (under 300) but 3,025 bytes.
    over = count(FAMILY * 121, "bluesky")
    assert over.used == 121 and codes(over.problems) == ["too_many_bytes"]


def test_bluesky_counts_links_as_written():
    # No shortening on Bluesky: 20 characters of https://example.com/ + 290 letters.
    counted = count("https://example.com/" + "a" * 290, "bluesky")
    assert counted.used == 310 and codes(counted.problems) == ["too_long"]


# --- Mastodon: code points, links 23, remote mentions as @user -------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi @bob@example.com", 7),  # « hi » + space (3) + « @bob » (4)
        ("hi @bob", 7),  # a local mention counts as written
        ("@Gargron@mastodon.social!", 9),  # « @Gargron » (8) + « ! »
        ("mail arnt@example.org", 21),  # an e-mail address is not a mention
        ("hi @bob@example.com@x", 21),  # glued to another @: no mention, counted as written
        ("Voir https://example.com/page.", 29),  # « Voir » + space (5) + 23 + final « . »
        ("https://example.com/" + "a" * 500, 23),  # one link, whatever its length
        ("Voir example.com", 16),  # no scheme: not a link on Mastodon, counted as written
        ("ftp://example.com", 17),  # only http(s) links are shortened
        ("hi @bob@example.com https://example.com", 31),  # 3 + 4 + 1 + 23
        (E_NFD, 2),  # code points, as the composer counts (no normalisation)
        (FAMILY, 7),  # 4 emoji + 3 joiners
        (HAN_NFD, 3),
    ],
)
def test_mastodon_counts(text, expected):
    counted = count(text, "mastodon")
    assert (counted.used, counted.unit, counted.limit) == (expected, "characters", 500)


def test_mastodon_limit_and_link_length_come_from_the_instance():
    assert count("a" * 500, "mastodon").ok
    assert codes(count("a" * 501, "mastodon").problems) == ["too_long"]
    limits = PublishLimits(max_characters=5000, characters_per_url=30)
    big = count("a" * 4000, "mastodon", limits)
    assert big.ok and big.limit == 5000 and big.remaining == 1000
    # « x » + space (2) + the instance's 30 for the link.
    assert count("x https://example.com", "mastodon", limits).used == 32


# --- X: twitter-text v3 weights -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (E_NFD, 1),  # NFC first: U+00E9 (< 4352) weighs 1; unnormalised it would be 2
        ("Été", 3),
        ("日本語", 6),  # CJK ideographs are above 4351: 2 each
        (HAN_NFC, 2),
        (HAN_NFD, 2),  # NFC recomposes U+D55C (2); the three jamo would weigh 6
        ("한국어", 6),
        (FAMILY, 2),  # an emoji sequence weighs 2 whatever its length
        (FLAG_FR, 2),
        (THUMB_MEDIUM, 2),
        (KEYCAP_ONE, 2),
        ("1\u20e3", 2),  # a keycap without VS16 is an emoji too (twitter-text conformance)
        (KEYCAP_HASH, 2),
        ("\u00a9", 1),  # © without VS16 is text, and U+00A9 is below 4352
        ("\u00a9\ufe0f", 2),  # ©️ asked as emoji
        ("\u2026", 2),  # … is U+2026 = 8230: in no light range
        ("\u2014", 1),  # — is U+2014 = 8212: in 8208-8223
        ("\u2019", 1),  # right single quote, U+2019 = 8217
        ("\u2009", 1),  # thin space U+2009 = 8201: in 8192-8205
        ("\u00ab\u00bb", 2),  # « » are Latin-1
        ("https://example.com/" + "a" * 200, 23),  # a URL weighs 23 however long
        ("example.com", 23),  # without scheme too, when the TLD is known
        ("see example.com.", 28),  # 4 + 23 + the final dot
        ("(https://en.wikipedia.org/wiki/Paris_(France)).", 26),  # ( + 23 + ) + .
        ("https://example.com/search?q=paris!", 24),  # the « ! » ends the sentence
        ("a.com b.com", 47),  # 23 + 1 + 23
        ("見てhttps://example.com", 27),  # 2 + 2 + 23: a URL may follow CJK directly
        ("http://foo.invalidtld", 21),  # unknown TLD: not a URL, 21 characters
        ("a" * 64 + ".com", 68),  # a 64-letter label is no domain: 68 characters
        ("a" * 63 + ".com", 23),  # 63 letters is the most a label may hold
        ("user@example.com", 16),  # an e-mail address is not a link
        ("https://example.comだよ", 27),  # the link stops before だよ: 23 + 2 + 2
        ("http://twitter_underscore.com", 29),  # _ in the domain name: no link, 7 + 18 + 4
        ("https://my_blog.example.com", 23),  # _ inside a subdomain is fine
        ("https://t.co/" + "a" * 41, 54),  # a t.co slug has 40 characters at most: 13 + 41
        ("", 0),
    ],
)
def test_x_weights(text, expected):
    counted = count(text, "x")
    assert (counted.used, counted.unit, counted.limit) == (expected, "weighted", 280)


def test_x_exactly_at_the_limit_and_one_over():
    assert count("a" * 280, "x").remaining == 0
    assert codes(count("a" * 281, "x").problems) == ["too_long"]
    assert count("a" * 278 + "日", "x").ok  # 278 + 2 = 280
    assert count("a" * 279 + "日", "x").remaining == -1  # 279 + 2 = 281
    assert count("日" * 140, "x").ok  # 140 x 2 = 280
    over = count("日" * 141, "x")
    assert over.used == 282 and not over.ok
    # 256 + space + 23 for the link = 280.
    assert count("a" * 256 + " https://example.com/" + "b" * 100, "x").used == 280


def test_x_refuses_its_invalid_characters():
    counted = count("ABC\ufffe", "x")
    assert counted.used == 5  # 3 + U+FFFE weighing 2
    assert codes(counted.problems) == ["invalid_character"]


def test_twitter_is_x():
    counted = count("a", "Twitter")
    assert counted.network == "x" and counted.unit == "weighted"


# --- Threads, LinkedIn, Instagram, Facebook -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GRIN, 4),  # an emoji counts its UTF-8 bytes
        (FAMILY, 25),
        (THUMB_MEDIUM, 8),
        (E_NFC, 1),
        ("a" * 496 + GRIN, 500),
    ],
)
def test_threads_counts_emoji_in_bytes(text, expected):
    counted = count(text, "threads")
    assert counted.used == expected and counted.limit == 500
    assert counted.ok


def test_threads_one_over():
    assert codes(count("a" * 497 + GRIN, "threads").problems) == ["too_long"]
    assert codes(count("a" * 501, "threads").problems) == ["too_long"]


@pytest.mark.parametrize(
    ("network", "limit", "unit_text"),
    [
        ("instagram", 2200, GRIN),  # 2 UTF-16 units
        ("linkedin", 3000, "\U0001d401"),  # mathematical bold B: 2 UTF-16 units
        ("facebook", 63_206, GRIN),
    ],
)
def test_utf16_networks_at_the_limit_and_one_over(network, limit, unit_text):
    assert count("a" * limit, network).ok
    assert codes(count("a" * (limit + 1), network).problems) == ["too_long"]
    assert count(unit_text * (limit // 2), network).used == limit
    assert count(unit_text * (limit // 2) + "a", network).remaining == -1


def test_instagram_takes_30_hashtags():
    thirty = " ".join(f"#tag{i}" for i in range(30))
    counted = count(thirty, "instagram")
    assert (counted.hashtags, counted.hashtag_limit) == (30, 30) and counted.ok
    over = count(thirty + " #Été", "instagram")
    assert over.hashtags == 31 and codes(over.problems) == ["too_many_hashtags"]
    # Other networks count hashtags but set no cap.
    assert count(thirty + " #Été", "x").hashtag_limit is None


def test_hashtags_in_other_scripts_and_after_an_emoji():
    # A variation selector before # does not glue the hashtag to a word; ZWNJ (Persian)
    # and the Catalan middle dot are part of words.
    text = (
        "a \u270c\ufe0f#paix #il\u00b7lusi\u00f3 #\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    )
    assert [s.text for s in find_hashtags(text)] == [
        "#paix",
        "#il\u00b7lusi\u00f3",
        "#\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    ]


def test_hashtags_with_accents_and_lookalikes():
    text = (
        "#Été #e\u0301te #2024 #JO2024 café#x https://example.com/#ancre "
        + KEYCAP_HASH
        + " #a#b \uff03全角"
    )
    # #Été, #été typed with a combining accent, #JO2024 and the fullwidth \uff03全角; not #2024
    # (no letter), not café#x (inside a word), not the URL's fragment, not the keycap,
    # not #a#b (glued).
    assert [s.text for s in find_hashtags(text)] == ["#Été", "#e\u0301te", "#JO2024", "\uff03全角"]
    assert find_hashtags("#Été")[0][:2] == (0, 4)


# --- unknown networks, bad input ----------------------------------------------------------


def test_unknown_network_counts_without_a_limit_and_warns():
    counted = count("bonjour", "mastodonte")
    assert (counted.used, counted.limit, counted.remaining) == (7, 0, 0)
    assert codes(counted.problems) == ["unknown_network"]
    assert counted.ok  # a warning only
    # Its connector's limits apply when it gives them.
    limited = count("bonjour", "mastodonte", PublishLimits(max_characters=5))
    assert codes(limited.problems) == ["too_long"] and limited.remaining == -2


@pytest.mark.parametrize("network", ["bluesky", "mastodon", "x", "threads", "instagram"])
def test_empty_text_is_blocking_unless_the_post_has_media(network):
    assert "empty" in codes(count("", network).problems)
    assert "empty" in codes(count("  \n ", network).problems)
    picture = MediaFile("/data/a.jpg", "image/jpeg", alt_text="A lamp", size=1000)
    assert "empty" not in codes(check("", network, [picture]))


def test_a_lone_surrogate_is_refused_not_crashed_on():
    for network in ("bluesky", "mastodon", "x", "threads", "linkedin"):
        counted = count("a\ud800b", network)
        assert "invalid_character" in codes(counted.problems)


# --- the helpers --------------------------------------------------------------------------


def test_find_urls_keeps_sentence_punctuation_out():
    text = "Lire https://example.com/a, puis example.org! et (https://example.net)."
    assert [s.text for s in find_urls(text)] == [
        "https://example.com/a",
        "example.org",
        "https://example.net",
    ]
    assert [s.text for s in find_urls(text, require_scheme=True)] == [
        "https://example.com/a",
        "https://example.net",
    ]


def test_find_mentions_and_utf8_spans():
    text = "é @alice.bsky.social, @bob@example.com et arnt@example.org"
    mentions = find_mentions(text)
    assert [m.text for m in mentions] == ["@alice.bsky.social", "@bob@example.com"]
    # « é » is 2 bytes and the space 1: the handle starts at byte 3, 18 bytes long.
    assert utf8_span(text, mentions[0]) == (3, 21)


def test_find_emoji_takes_whole_sequences():
    spans = find_emoji("a" + FAMILY + "b" + FLAG_FR + THUMB_MEDIUM)
    assert [s.text for s in spans] == [FAMILY, FLAG_FR, THUMB_MEDIUM]
    assert spans[0][:2] == (1, 8)  # after « a », 7 code points


# --- media ----------------------------------------------------------------------------------


def image(name="a.jpg", mime="image/jpeg", size=100_000, alt="A lamp on a table"):
    return MediaFile(f"/data/media/{name}", mime, alt_text=alt, size=size)


def video(name="v.mp4", mime="video/mp4", size=10 * MiB, alt="A lamp being lit"):
    return MediaFile(f"/data/media/{name}", mime, alt_text=alt, size=size)


def blocking_codes(problems):
    return [p.code for p in problems if p.blocking]


def test_bluesky_media():
    assert check_media("bluesky", [image()] * 4) == []
    assert blocking_codes(check_media("bluesky", [image()] * 5)) == ["too_many_media"]
    assert check_media("bluesky", [image(size=1_000_000)]) == []  # exactly 1,000,000 bytes
    too_big = check_media("bluesky", [image(size=1_000_001)])
    assert blocking_codes(too_big) == ["media_too_large"]
    assert "a.jpg" in too_big[0].message
    assert blocking_codes(check_media("bluesky", [image(), video()])) == ["media_mixed"]
    assert "too_many_videos" in blocking_codes(check_media("bluesky", [video(), video()]))
    assert blocking_codes(check_media("bluesky", [image(mime="image/heic")])) == ["media_type"]
    for mime in ("image/png", "image/webp", "image/gif"):
        assert check_media("bluesky", [image(mime=mime)]) == []
    # Video: what app.bsky.embed.video takes and the connector uploads, MP4 up to
    # 100,000,000 bytes (not MiB); a .mov or .webm is refused here, not by the network later.
    assert check_media("bluesky", [video(size=100_000_000)]) == []
    assert blocking_codes(check_media("bluesky", [video(size=100_000_001)])) == ["media_too_large"]
    for mime in ("video/quicktime", "video/webm"):
        assert blocking_codes(check_media("bluesky", [video(mime=mime)])) == ["media_type"]


def test_missing_alt_text_is_a_warning():
    problems = check_media("bluesky", [image(alt="  ")])
    assert codes(problems) == ["alt_missing"]
    assert problems[0].blocking is False


def test_mastodon_media_defaults_and_instance_limits():
    assert check_media("mastodon", [image(size=16 * MiB)]) == []
    assert blocking_codes(check_media("mastodon", [image(size=16 * MiB + 1)])) == [
        "media_too_large"
    ]
    assert check_media("mastodon", [video(size=99 * MiB)]) == []
    assert blocking_codes(check_media("mastodon", [video(size=99 * MiB + 1)])) == [
        "media_too_large"
    ]
    assert blocking_codes(check_media("mastodon", [image()] * 5)) == ["too_many_media"]
    limits = PublishLimits(max_media=6, image_size_limit=10 * MiB, media_types=("image/jpeg",))
    assert check_media("mastodon", [image()] * 6, limits) == []
    assert blocking_codes(check_media("mastodon", [image(size=11 * MiB)], limits)) == [
        "media_too_large"
    ]
    assert blocking_codes(check_media("mastodon", [image(mime="image/png")], limits)) == [
        "media_type"
    ]
    long_alt = check_media("mastodon", [image(alt="x" * 1501)])
    assert blocking_codes(long_alt) == ["alt_too_long"]


def test_x_media():
    assert check_media("x", [image()] * 4) == []
    assert blocking_codes(check_media("x", [image()] * 5)) == ["too_many_media"]
    assert blocking_codes(check_media("x", [image(size=5 * MiB + 1)])) == ["media_too_large"]
    gif = image("a.gif", "image/gif", size=15 * MiB)
    assert check_media("x", [gif]) == []  # an animated GIF may weigh 15 MB
    assert blocking_codes(check_media("x", [gif, image()])) == ["media_mixed"]
    assert check_media("x", [video(size=512 * MiB)]) == []
    assert blocking_codes(check_media("x", [video(), image()])) == ["media_mixed"]


def test_instagram_media():
    assert blocking_codes(check_media("instagram", [])) == ["media_required"]
    assert blocking_codes(check_media("instagram", [image(mime="image/png")])) == ["media_type"]
    # A carousel mixes images and videos, up to 10.
    assert check_media("instagram", [image()] * 6 + [video()] * 4) == []
    assert blocking_codes(check_media("instagram", [image()] * 11)) == ["too_many_media"]
    assert blocking_codes(check_media("instagram", [image(size=8 * MiB + 1)])) == [
        "media_too_large"
    ]
    assert codes(check("", "instagram")) == ["empty", "media_required"]


def test_threads_and_linkedin_media():
    assert check_media("threads", [image()] * 5 + [video()] * 5) == []
    assert blocking_codes(check_media("threads", [image()] * 11)) == ["too_many_media"]
    assert blocking_codes(check_media("linkedin", [image(), video()])) == ["media_mixed"]


def test_unknown_network_media():
    assert codes(check_media("mastodonte", [image()])) == ["unknown_network"]
    limits = PublishLimits(max_media=1)
    assert blocking_codes(check_media("mastodonte", [image(), image()], limits)) == [
        "too_many_media"
    ]
