"""How long a post may be and what it may carry, network by network (issue #13).

`count(text, network, limits)` measures a text the way the network does and says what to
change; `check_media(network, media, limits)` checks the attachments; `check(...)` does both
for one post. The inbox (replies) and publishing (posts) both use them, so they live in the
connectors layer and know nothing of either app.

How each network counts (the `unit` of a Count):

=========  ==========  ================================================================
network    limit       what counts
=========  ==========  ================================================================
bluesky    300         grapheme clusters (UAX #29, as the Bluesky app counts them), and
                       at most 3,000 UTF-8 bytes (the lexicon's maxLength), unit graphemes
mastodon   500         code points, as the web composer counts; the instance's own limit
                       (PublishLimits.max_characters) replaces 500; every http(s) URL
                       counts `characters_per_url` (23); a remote mention @user@domain
                       counts as @user. The server itself counts grapheme clusters, which
                       are never more than code points, so a text within the count here
                       is within the server's. A bare domain (example.com, no scheme) is
                       not a link on Mastodon and counts as written. Unit characters.
x          280         twitter-text v3: the text NFC-normalised; code points in
                       0-4351, 8192-8205, 8208-8223, 8242-8247 weigh 1, all others 2; an
                       emoji sequence (ZWJ family, flag, keycap, skin tone) weighs 2
                       whatever its length; every URL, with or without a scheme, weighs
                       23; U+FFFE, U+FEFF, U+FFFF are refused. Unit weighted. Emoji are
                       recognised by the grammar of UTS #51 (any well-formed ZWJ sequence)
                       where twitter-text lists the sequences of its Unicode version: a
                       ZWJ sequence newer than its list weighs 2 here, its parts there.
threads    500         code points, but an emoji counts its UTF-8 bytes (Threads API
                       documentation), unit weighted
linkedin   3,000       UTF-16 code units (an emoji or a "bold" letter counts 2), the
instagram  2,200       stricter count that scheduling tools (Buffer) apply to these
                       networks; at most 30 hashtags on Instagram
facebook   63,206
tiktok     2,200       (caption of a video)
youtube    5,000       no API publishes a community post: the video description's limit
reddit     40,000      code points (a self post's body)
=========  ==========  ================================================================

Media (check_media; MEDIA_RULES): Bluesky 4 images of 1,000,000 bytes (JPEG, PNG, WebP,
GIF) or 1 video of 100 MB; Mastodon the instance's limits, by default 4 attachments, images
16 MB, videos 99 MB, a video alone; X 4 images of 5 MB, or 1 animated GIF of 15 MB, or 1
video of 512 MB; Instagram a carousel of 10, images in JPEG only (8 MB), at least one;
Threads 10, images and videos mixed; LinkedIn 20 images or 1 video; TikTok a video or up to
35 photos, at least one. A missing alt text is a warning ("alt_missing").

Grapheme clusters and emoji properties come from the `regex` package (its \\X follows the
current Unicode release) rather than from UAX #29 tables of our own, which would have to
ship Unicode's property data here and follow each release.

An unknown network: the PublishLimits its connector gives are applied (code points); with
none, nothing is limited and the Count carries the warning "unknown_network" (limit 0 means
"no known limit"). A third-party connector therefore only has to implement publish_limits().

Problems are either blocking (the network would refuse the post) or warnings (alt text
missing, unknown rules), see `Problem.blocking`. Texts are Python strings; spans are indices
into them (code points); `utf8_span` converts a span for Bluesky facets.
"""

from __future__ import annotations

import bisect
import json
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

import regex
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from parvis.connectors.base import MediaFile, PublishLimits
from parvis.core.networks import network_label

__all__ = [
    "Count",
    "MediaRule",
    "Problem",
    "Span",
    "TextRule",
    "check",
    "check_media",
    "count",
    "find_emoji",
    "find_hashtags",
    "find_mentions",
    "find_urls",
    "grapheme_count",
    "utf8_span",
]


@dataclass(frozen=True)
class Problem:
    """What is wrong with a post for one network, in words that say what to change."""

    code: str
    message: str
    # False for warnings the community manager may publish past (alt text missing).
    blocking: bool = True


@dataclass(frozen=True)
class Count:
    network: str
    used: int
    limit: int  # 0: no known limit (unknown network without PublishLimits)
    unit: str  # "graphemes" | "characters" | "weighted"
    remaining: int  # limit - used, negative when over; 0 when there is no known limit
    hashtags: int
    hashtag_limit: int | None
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether the network would take the text (warnings do not count)."""
        return not any(p.blocking for p in self.problems)


class Span(NamedTuple):
    """A piece of a text: text[start:end] == text (indices in code points)."""

    start: int
    end: int
    text: str


# --- the rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class TextRule:
    limit: int
    unit: str  # what Count.unit says
    # How to measure: graphemes | code_points | utf16 | x | threads
    measure: str
    url_length: int | None = None  # URLs count this much (None: as written)
    hashtag_limit: int | None = None
    max_bytes: int | None = None  # UTF-8 bytes, on top of the limit


TEXT_RULES: dict[str, TextRule] = {
    "bluesky": TextRule(300, "graphemes", "graphemes", max_bytes=3000),
    "mastodon": TextRule(500, "characters", "code_points", url_length=23),
    "x": TextRule(280, "weighted", "x", url_length=23),
    "threads": TextRule(500, "weighted", "threads"),
    "linkedin": TextRule(3000, "characters", "utf16"),
    "instagram": TextRule(2200, "characters", "utf16", hashtag_limit=30),
    "facebook": TextRule(63_206, "characters", "utf16"),
    "tiktok": TextRule(2200, "characters", "utf16"),
    "youtube": TextRule(5000, "characters", "utf16"),
    "reddit": TextRule(40_000, "characters", "code_points"),
}

# Other names the networks go by.
ALIASES = {"twitter": "x"}

KB = 1024
MB = 1024 * 1024

IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
MP4_MOV = frozenset({"video/mp4", "video/quicktime"})


@dataclass(frozen=True)
class MediaRule:
    max_items: int
    image_types: frozenset[str]
    video_types: frozenset[str]
    image_size: int | None  # bytes; None: no documented cap
    video_size: int | None
    max_videos: int = 1
    mix: bool = False  # images and videos in the same post
    required: bool = False  # a post needs at least one image or video
    max_images: int | None = None  # when fewer images than items are allowed
    # X: an animated GIF goes alone, with its own size cap.
    gif_alone: bool = False
    gif_size: int | None = None
    alt_max: int | None = None  # characters of alt text
    check_types: bool = True  # False: any image or video type (unknown network)


MEDIA_RULES: dict[str, MediaRule] = {
    # An embed is either up to 4 images or one video: MP4 only, 100,000,000 bytes
    # (app.bsky.embed.video in the lexicon; what the Bluesky connector uploads).
    "bluesky": MediaRule(
        4,
        IMAGES,
        frozenset({"video/mp4"}),
        image_size=1_000_000,
        video_size=100_000_000,
    ),
    # Mastodon's defaults (v4.2+): 16 MB images, 99 MB videos, a video goes alone; the
    # instance's `configuration` (PublishLimits) replaces them.
    "mastodon": MediaRule(
        4,
        frozenset(IMAGES | {"image/heic", "image/heif", "image/avif"}),
        frozenset(MP4_MOV | {"video/webm", "video/ogg"}),
        image_size=16 * MB,
        video_size=99 * MB,
        alt_max=1500,
    ),
    "x": MediaRule(
        4,
        IMAGES,
        MP4_MOV,
        image_size=5 * MB,
        video_size=512 * MB,
        gif_alone=True,
        gif_size=15 * MB,
        alt_max=1000,
    ),
    # A carousel of up to 10 images and videos; images in JPEG only.
    "instagram": MediaRule(
        10,
        frozenset({"image/jpeg"}),
        MP4_MOV,
        image_size=8 * MB,
        video_size=300 * MB,
        max_videos=10,
        mix=True,
        required=True,
    ),
    "threads": MediaRule(
        10,
        frozenset({"image/jpeg", "image/png"}),
        MP4_MOV,
        image_size=8 * MB,
        video_size=1024 * MB,
        max_videos=10,
        mix=True,
    ),
    # Up to 20 images, or one video; LinkedIn documents no byte cap for images.
    "linkedin": MediaRule(
        20,
        frozenset({"image/jpeg", "image/png", "image/gif"}),
        frozenset({"video/mp4"}),
        image_size=None,
        video_size=500 * MB,
    ),
    "facebook": MediaRule(10, IMAGES, MP4_MOV, image_size=10 * MB, video_size=10 * 1024 * MB),
    # A video, or a photo post of up to 35 images.
    "tiktok": MediaRule(
        35,
        frozenset({"image/jpeg", "image/webp"}),
        frozenset(MP4_MOV | {"video/webm"}),
        image_size=20 * MB,
        video_size=4 * 1024 * MB,
        required=True,
    ),
    # A community post: up to 5 images, no video.
    "youtube": MediaRule(5, IMAGES, frozenset(), image_size=16 * MB, video_size=None),
    # A gallery of up to 20 images, or one video.
    "reddit": MediaRule(
        20,
        frozenset({"image/jpeg", "image/png", "image/gif"}),
        MP4_MOV,
        image_size=20 * MB,
        video_size=1024 * MB,
    ),
}


def _key(network: str) -> str:
    key = (network or "").strip().lower()
    return ALIASES.get(key, key)


def _n(value: int) -> str:
    """A number as the reader writes it (3 000 in French, 3,000 in English)."""
    return number_format(value, force_grouping=True)


def _name(network: str) -> str:
    return network_label(network) if network else _("this network")


# --- finding things in a text ------------------------------------------------------------

_GRAPHEME = regex.compile(r"\X")


def grapheme_count(text: str) -> int:
    """User-perceived characters (extended grapheme clusters, UAX #29): « é » typed as
    e + U+0301, a flag, a family emoji each count 1."""
    return sum(1 for _m in _GRAPHEME.finditer(text))


# One emoji as a reader sees it (UTS #51): a modifier sequence (👍🏽), a text-default
# character asked as emoji with U+FE0F (❤️, ©️), an emoji by default (😀), each optionally
# joined to the next by U+200D (👨‍👩‍👧‍👦, 🏳️‍🌈). © and ® without U+FE0F are text, as in
# twitter-text; a character followed by U+FE0E asks to be text.
_EMOJI_ELEMENT = (
    r"(?:\p{Emoji_Modifier_Base}\p{Emoji_Modifier}"
    r"|(?![#*0-9])\p{Emoji}\uFE0F"
    r"|(?![\u00A9\u00AE])\p{Extended_Pictographic}(?!\uFE0E)"
    r"|\p{Emoji_Presentation}(?!\uFE0E))"
)
_EMOJI = regex.compile(
    r"[\U0001F1E6-\U0001F1FF]{2}"  # a flag: two regional indicators
    r"|[#*0-9]\uFE0F?\u20E3"  # a keycap, with or without U+FE0F
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"  # a subdivision flag (tags)
    rf"|{_EMOJI_ELEMENT}(?:\u200D{_EMOJI_ELEMENT})*"
)


def find_emoji(text: str) -> list[Span]:
    """Each emoji sequence of the text, whole (a ZWJ family is one span)."""
    return [Span(m.start(), m.end(), m.group()) for m in _EMOJI.finditer(text)]


@cache
def _tlds() -> frozenset[str]:
    data = json.loads((Path(__file__).parent / "counting_tlds.json").read_text("utf-8"))
    return frozenset(t.casefold() for t in [*data["country"], *data["generic"]])


# Latin letters with accents and Cyrillic, which twitter-text allows in paths and bare domains.
_LATIN = (
    r"\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u00FF\u0100-\u024F\u0253\u0254\u0256\u0257\u0259"
    r"\u025B\u0263\u0268\u026F\u0272\u0289\u028B\u02BB\u0300-\u036F\u1E00-\u1EFF"
)
_CYRILLIC = r"\u0400-\u04FF"
# A domain's characters, as twitter-text has them: anything but spaces, ASCII punctuation
# (save - and _), bidi controls and the three invalid characters.
_DOMAIN_CHAR = r"[^\s!-,./:-@\[-\^`{-~\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]"
# A URL is not glued to a word, a handle or a cashtag (ASCII only: « 見てhttps://… » links).
_SCHEMED = regex.compile(
    rf"(?<![A-Za-z0-9@\uFF20$#\uFF03])(https?://)({_DOMAIN_CHAR}+(?:\.{_DOMAIN_CHAR}+)+)",
    regex.IGNORECASE,
)
# Without a scheme, only ASCII or Latin names (the top-level domain may be internationalised:
# twitter.みんな), not after - _ . / either (a path, a file name).
_BARE = regex.compile(
    rf"(?<![A-Za-z0-9@\uFF20$#\uFF03\-_./])"
    rf"((?:[a-z0-9{_LATIN}-]+\.)+[\p{{L}}\p{{M}}\p{{Nd}}_-]+)",
    regex.IGNORECASE,
)
# t.co links: a slug of 40 letters and digits at most, nothing else in the path.
_TCO = regex.compile(r"https?://t\.co/([a-z0-9]+)", regex.IGNORECASE)
_TCO_SLUG = 40
_PATH_CHAR = regex.compile(rf"[a-z0-9{_LATIN}{_CYRILLIC}!*';:=+,.$/%#\[\]\-\u2013_~@|&]", regex.I)
_PATH_END = regex.compile(rf"[a-z0-9{_LATIN}{_CYRILLIC}=_#/+\-]", regex.I)
_QUERY = regex.compile(r"\?[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*", regex.I)
_QUERY_END = regex.compile(r"[a-z0-9\-_&=#/]", regex.I)
_PORT = regex.compile(r":[0-9]+")
_MAX_URL = 4096


def _label_ok(label: str, *, subdomain: bool) -> bool:
    """A DNS label as twitter-text takes it: no - or _ at either end, _ only in subdomains,
    punycode in ASCII, and 63 bytes at most once in the form DNS carries."""
    if not label or label[0] in "-_" or label[-1] in "-_":
        return False
    if "_" in label and not subdomain:
        return False
    if label.isascii():
        return len(label) <= 63
    if label.lower().startswith("xn--"):
        return False
    return len("xn--" + label.encode("punycode").decode("ascii")) <= 63


def _is_tld(name: str) -> bool:
    lowered = name.lower()
    if lowered.startswith("xn--"):
        return len(lowered) > 4 and bool(_PUNYCODE_TLD.fullmatch(lowered))
    return name.casefold() in _tlds()


_PUNYCODE_TLD = regex.compile(r"xn--[0-9a-z-]+")


def _ends_domain(char: str) -> bool:
    """Whether a top-level domain may end before this character (twitter-text's lookahead:
    not an ASCII letter or digit, @, + or -)."""
    return not char or not (char.isascii() and (char.isalnum() or char in "@+-"))


def _host_end(text: str, start: int, host: str) -> int | None:
    """End of the longest domain at the start of `host` that ends with a known top-level
    domain, or None. The top-level domain may be the start of a label when what follows it
    cannot continue one (« example.comだよ » links example.com)."""
    if len(host) > _MAX_URL:
        return None
    labels = host.split(".")
    starts = []  # where each label starts in the text
    position = start
    for label in labels:
        starts.append(position)
        position += len(label) + 1
    for k in range(len(labels), 1, -1):
        last = labels[k - 1]
        for cut in range(len(last), 0, -1):
            end = starts[k - 1] + cut
            if not _ends_domain(text[end : end + 1]) or not _is_tld(last[:cut]):
                continue
            names = labels[: k - 1]
            if all(_label_ok(name, subdomain=i < len(names) - 1) for i, name in enumerate(names)):
                return end
            return None
    return None


def _path_end(text: str, pos: int) -> int:
    """End of the path starting at text[pos] == "/": path characters and balanced
    parentheses (one level nested, as in Wikipedia's links), less the punctuation that
    ends a sentence."""
    tokens: list[tuple[int, int, bool]] = []  # (start, end, may end a URL)
    i = pos
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "(":
            close = _balanced(text, i)
            if close is None:
                break
            tokens.append((i, close, True))
            i = close
        elif _PATH_CHAR.match(ch):
            tokens.append((i, i + 1, bool(_PATH_END.match(ch))))
            i += 1
        else:
            break
    while tokens and not tokens[-1][2]:
        tokens.pop()
    return tokens[-1][1] if tokens else pos


def _balanced(text: str, pos: int) -> int | None:
    """End (after ")") of the parenthesised group opening at pos, or None."""
    depth = 0
    i = pos
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
            if depth > 2:
                return None
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1 if i > pos + 1 else None
        elif not _PATH_CHAR.match(ch):
            return None
        i += 1
    return None


def _url_rest(text: str, end: int, *, path: bool = True) -> int:
    """Port, path and query after a host ending at `end`."""
    if path:
        if m := _PORT.match(text, end):
            end = m.end()
        if text.startswith("/", end):
            end = _path_end(text, end)
    if m := _QUERY.match(text, end):
        query = m.group()
        while len(query) > 1 and not _QUERY_END.match(query[-1]):
            query = query[:-1]
        if len(query) > 1:
            end += len(query)
    return end


def find_urls(text: str, *, require_scheme: bool = False) -> list[Span]:
    """The links of a text as twitter-text finds them: http(s) URLs, and with
    `require_scheme=False` bare domains (example.com/page) too; the domain must end with a
    known top-level domain; a sentence's closing punctuation (« . , ! ? ) ») stays out.
    Mastodon links only URLs with a scheme (require_scheme=True)."""
    spans: list[Span] = []
    for m in _SCHEMED.finditer(text):
        end = _host_end(text, m.start(2), m.group(2))
        if end is None:
            continue
        end = _url_rest(text, end)
        if tco := _TCO.match(text, m.start()):
            if len(tco.group(1)) > _TCO_SLUG:
                continue
            end = _url_rest(text, tco.end(), path=False)
        if end - m.start() <= _MAX_URL:
            spans.append(Span(m.start(), end, text[m.start() : end]))
    if not require_scheme and "." in text:
        position = 0
        while m := _BARE.search(text, position):
            start = m.start(1)
            end = _host_end(text, start, m.group(1))
            if end is None:
                position = m.end()
                continue
            # What follows a top-level domain cut out of a label may start another link.
            position = end
            end = _url_rest(text, end)
            position = max(position, end)
            if end - start + len("https://") <= _MAX_URL:
                spans.append(Span(start, end, text[start:end]))
    return _disjoint(spans)


def _disjoint(spans: Iterable[Span]) -> list[Span]:
    """The spans in order, the earlier one kept where two overlap."""
    kept: list[Span] = []
    for span in sorted(spans):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


class _Spans:
    """Sorted, disjoint spans, asked whether a range overlaps one of them (in log time:
    a hostile text may hold many thousands of both)."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans
        self.starts = [s.start for s in spans]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start) - 1
        if i >= 0 and self.spans[i].end > start:
            return True
        return i + 1 < len(self.spans) and self.spans[i + 1].start < end


_WORD = r"\p{L}\p{M}\p{Nd}_"
# Mastodon's grammar (Account::MENTION_RE): @user, or @user@domain for another server.
_MENTION = regex.compile(
    rf"(?<![=/{_WORD}])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@([{_WORD}]+(?:[.-]+[{_WORD}]+)*))?",
    regex.IGNORECASE,
)


# A handle glued to another @, to « :// » or to an accented letter is no mention (the
# twitter-text end_mention_match rule that Mastodon keeps).
_MENTION_END = regex.compile(rf"[@\uFF20{_LATIN}]|://")


def _mentions(text: str) -> list[regex.Match[str]]:
    return [m for m in _MENTION.finditer(text) if not _MENTION_END.match(text, m.end())]


def find_mentions(text: str) -> list[Span]:
    """@handles (@alice, @alice.bsky.social, @alice@mastodon.social); not e-mail addresses
    nor the @ inside a URL path."""
    return [Span(m.start(), m.end(), m.group()) for m in _mentions(text)]


def _remote_mentions(text: str) -> list[tuple[Span, str]]:
    """Mentions with a domain, each with what Mastodon counts of it (@user)."""
    return [
        (Span(m.start(), m.end(), m.group()), "@" + m.group(1))
        for m in _mentions(text)
        if m.group(2)
    ]


# Letters, marks, digits and the joiners, dots and dashes that some scripts write inside
# words (Hebrew maqaf and geresh, Catalan middle dot, Japanese wave dash, ZWNJ in Persian…).
_HASHTAG_CHAR = (
    rf"[{_WORD}\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0"
    r"\u30fb\u3003\u0f0b\u0f0c\u00b7]"
)
# After a variation selector (✌️#tag) a hashtag may start; after a letter or & it may not.
_HASHTAG = regex.compile(
    rf"(?:(?<=[\uFE0E\uFE0F])|(?<!{_HASHTAG_CHAR}|&))[#\uFF03](?![\uFE0F\u20E3])"
    rf"({_HASHTAG_CHAR}+)"
)


def find_hashtags(text: str) -> list[Span]:
    """Hashtags as the networks link them: # followed by letters, digits, marks and _,
    with at least one letter (#2024 is not one, #Été and #JO2024 are), not inside a word
    or a URL, not the keycap #️⃣, and not glued to another # or to « :// »."""
    urls = _Spans(find_urls(text))
    spans = []
    for m in _HASHTAG.finditer(text):
        if not any(unicodedata.category(c)[0] in "LM" for c in m.group(1)):
            continue
        rest = text[m.end() : m.end() + 3]
        if rest[:1] in ("#", "\uff03") or rest == "://":
            continue
        if urls.overlaps(m.start(), m.end()):
            continue
        spans.append(Span(m.start(), m.end(), m.group()))
    return spans


def utf8_span(text: str, span: Span) -> tuple[int, int]:
    """The span as UTF-8 byte offsets (Bluesky facets)."""
    start = len(text[: span.start].encode("utf-8", "surrogatepass"))
    return start, start + len(span.text.encode("utf-8", "surrogatepass"))


# --- measuring --------------------------------------------------------------------------

# twitter-text v3: weights at scale 100 (1 = 100); code points outside these ranges weigh 200.
X_SCALE = 100
X_DEFAULT_WEIGHT = 200
X_RANGES = ((0, 4351, 100), (8192, 8205, 100), (8208, 8223, 100), (8242, 8247, 100))
X_INVALID = frozenset("\ufffe\ufeff\uffff")


def _x_weight(c: str) -> int:
    cp = ord(c)
    for start, end, weight in X_RANGES:
        if start <= cp <= end:
            return weight
    return X_DEFAULT_WEIGHT


def _non_overlapping(spans: Iterable[tuple[Span, int]]) -> dict[int, tuple[Span, int]]:
    """Spans by their start, the earlier one winning where two overlap (as
    twitter-text's remove_overlapping_entities)."""
    kept: dict[int, tuple[Span, int]] = {}
    last_end = -1
    for span, weight in sorted(spans, key=lambda s: s[0].start):
        if span.start >= last_end:
            kept[span.start] = (span, weight)
            last_end = span.end
    return kept


def _walk(text: str, entities: dict[int, tuple[Span, int]], weigh: Callable[[str], int]) -> int:
    total = 0
    i = 0
    n = len(text)
    while i < n:
        if i in entities:
            span, weight = entities[i]
            total += weight
            i = span.end
        else:
            total += weigh(text[i])
            i += 1
    return total


def _measure(text: str, rule: TextRule, url_length: int) -> int:
    if rule.measure == "graphemes":
        return grapheme_count(text)
    if rule.measure == "utf16":
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    if rule.measure == "code_points" and rule.url_length is None:
        return len(text)
    if rule.measure == "code_points":  # Mastodon: links and remote mentions shortened
        entities = [(s, url_length) for s in find_urls(text, require_scheme=True)]
        entities += [(s, len(short)) for s, short in _remote_mentions(text)]
        return _walk(text, _non_overlapping(entities), lambda _c: 1)
    if rule.measure == "x":
        url_spans = find_urls(text)
        urls = _Spans(url_spans)
        entities = [(s, url_length * X_SCALE) for s in url_spans]
        entities += [
            (s, X_DEFAULT_WEIGHT) for s in find_emoji(text) if not urls.overlaps(s.start, s.end)
        ]
        return _walk(text, _non_overlapping(entities), _x_weight) // X_SCALE
    if rule.measure == "threads":
        entities = [(s, len(s.text.encode("utf-8"))) for s in find_emoji(text)]
        return _walk(text, _non_overlapping(entities), lambda _c: 1)
    raise ValueError(f"unknown measure {rule.measure!r}")


_SURROGATE = regex.compile(r"[\ud800-\udfff]")


def count(text: str, network: str, limits: PublishLimits | None = None) -> Count:
    """How long `text` is for `network`, in the network's own unit, and what to change.

    `limits` (the account's PublishLimits, e.g. a Mastodon instance's configuration)
    replace the network's default limit and URL length. An empty text is a blocking
    "empty" problem here: `check()` lifts it for a post that has media."""
    key = _key(network)
    name = _name(key)
    problems: list[Problem] = []
    rule = TEXT_RULES.get(key)
    if rule is None:
        rule = TextRule(0, "characters", "code_points")
        if not (limits and limits.max_characters):
            problems.append(
                Problem(
                    "unknown_network",
                    _(
                        "Parvis does not know how %(network)s counts a post: check its "
                        "length on the network."
                    )
                    % {"network": name},
                    blocking=False,
                )
            )
    limit = limits.max_characters if limits and limits.max_characters else rule.limit
    url_length = rule.url_length or 0
    if rule.url_length is not None and limits and limits.characters_per_url:
        url_length = limits.characters_per_url

    if m := _SURROGATE.search(text):
        # A lone surrogate (from bad JSON) cannot be sent in UTF-8 at all.
        problems.append(_invalid_character(name, m.group()))
        text = _SURROGATE.sub("\ufffd", text)
    if rule.measure == "x":
        # twitter-text counts the NFC form: « é » typed as e + U+0301 counts 1.
        text = unicodedata.normalize("NFC", text)
        if bad := next((c for c in text if c in X_INVALID), None):
            problems.append(_invalid_character(name, bad))

    used = _measure(text, rule, url_length)
    hashtags = len(find_hashtags(text))

    if not text.strip():
        problems.append(
            Problem(
                "empty", _("The text is empty: write something, or attach an image or a video.")
            )
        )
    if limit and used > limit:
        problems.append(
            Problem(
                "too_long",
                _(
                    "%(network)s takes %(limit)s characters at most and this text counts "
                    "%(used)s: remove %(over)s."
                )
                % {"network": name, "limit": _n(limit), "used": _n(used), "over": _n(used - limit)},
            )
        )
    if rule.max_bytes is not None:
        size = len(text.encode("utf-8"))
        if size > rule.max_bytes:
            problems.append(
                Problem(
                    "too_many_bytes",
                    _(
                        "%(network)s also takes %(limit)s bytes at most and this text weighs "
                        "%(used)s (an emoji or a non-Latin letter takes several): shorten it."
                    )
                    % {"network": name, "limit": _n(rule.max_bytes), "used": _n(size)},
                )
            )
    if rule.hashtag_limit is not None and hashtags > rule.hashtag_limit:
        problems.append(
            Problem(
                "too_many_hashtags",
                _(
                    "%(network)s takes %(limit)s hashtags at most and this text has "
                    "%(count)s: remove %(over)s."
                )
                % {
                    "network": name,
                    "limit": _n(rule.hashtag_limit),
                    "count": _n(hashtags),
                    "over": _n(hashtags - rule.hashtag_limit),
                },
            )
        )
    return Count(
        network=key,
        used=used,
        limit=limit,
        unit=rule.unit,
        remaining=limit - used if limit else 0,
        hashtags=hashtags,
        hashtag_limit=rule.hashtag_limit,
        problems=tuple(problems),
    )


def _invalid_character(name: str, char: str) -> Problem:
    return Problem(
        "invalid_character",
        _("The text holds a character %(network)s refuses (U+%(code)s): remove it.")
        % {"network": name, "code": f"{ord(char):04X}"},
    )


# --- media ------------------------------------------------------------------------------


def _kind(mime: str) -> str:
    mime = mime.lower()
    if mime == "image/gif":
        return "gif"
    if mime.startswith("image/"):
        return "image"
    if mime.startswith(("video/", "audio/")):
        return "video"
    return "other"


def _rule_for(key: str, limits: PublishLimits | None) -> MediaRule | None:
    rule = MEDIA_RULES.get(key)
    if limits is None:
        return rule
    # An unknown network: only what its connector's limits say is checked.
    base = rule or MediaRule(
        10**6, frozenset(), frozenset(), None, None, max_videos=10**6, mix=True, check_types=False
    )
    types = frozenset(t.lower() for t in limits.media_types)
    return MediaRule(
        max_items=limits.max_media or base.max_items,
        image_types=frozenset(t for t in types if t.startswith("image/")) or base.image_types,
        video_types=frozenset(t for t in types if t.startswith(("video/", "audio/")))
        or base.video_types,
        image_size=limits.image_size_limit or base.image_size,
        video_size=limits.video_size_limit or base.video_size,
        max_videos=base.max_videos,
        mix=base.mix,
        required=base.required,
        max_images=base.max_images,
        gif_alone=base.gif_alone,
        gif_size=base.gif_size,
        alt_max=base.alt_max,
        check_types=base.check_types or bool(types),
    )


def check_media(
    network: str, media: Sequence[MediaFile], limits: PublishLimits | None = None
) -> list[Problem]:
    """What the network would refuse in these attachments (count, format, size, images
    and video together), and the warnings (alt text missing)."""
    key = _key(network)
    name = _name(key)
    rule = _rule_for(key, limits)
    problems: list[Problem] = []
    if rule is None:
        if media:
            problems.append(
                Problem(
                    "unknown_network",
                    _(
                        "Parvis does not know which images and videos %(network)s takes: "
                        "check them on the network."
                    )
                    % {"network": name},
                    blocking=False,
                )
            )
        return problems + _alt_problems(media, None)
    if not media:
        if rule.required:
            problems.append(
                Problem(
                    "media_required",
                    _("%(network)s publishes no text alone: attach an image or a video.")
                    % {"network": name},
                )
            )
        return problems

    kinds = [_kind(m.mime_type) for m in media]
    if len(media) > rule.max_items:
        problems.append(
            Problem(
                "too_many_media",
                _(
                    "%(network)s takes %(limit)s images or videos at most in a post and this "
                    "one has %(count)s: remove %(over)s."
                )
                % {
                    "network": name,
                    "limit": _n(rule.max_items),
                    "count": _n(len(media)),
                    "over": _n(len(media) - rule.max_items),
                },
            )
        )
    videos = kinds.count("video")
    gifs = kinds.count("gif") if rule.gif_alone else 0
    stills = len(kinds) - videos - gifs
    if videos > rule.max_videos:
        problems.append(
            Problem(
                "too_many_videos",
                (
                    _("%(network)s takes one video per post at most: keep one.")
                    if rule.max_videos == 1
                    else _("%(network)s takes %(limit)s videos at most in a post: remove %(over)s.")
                )
                % {
                    "network": name,
                    "limit": _n(rule.max_videos),
                    "over": _n(videos - rule.max_videos),
                },
            )
        )
    if not rule.mix and videos and (stills or gifs):
        problems.append(
            Problem(
                "media_mixed",
                _(
                    "%(network)s does not take images and a video in the same post: keep "
                    "either the images or the video."
                )
                % {"network": name},
            )
        )
    if gifs and (len(media) > 1):
        problems.append(
            Problem(
                "media_mixed",
                _("%(network)s takes an animated GIF alone in a post: remove the other files.")
                % {"network": name},
            )
        )

    for item, kind in zip(media, kinds, strict=True):
        problems.extend(_file_problems(item, kind, rule, name))
    problems.extend(_alt_problems(media, rule))
    return problems


def _file_problems(item: MediaFile, kind: str, rule: MediaRule, name: str) -> list[Problem]:
    filename = Path(item.path).name or item.path
    mime = item.mime_type.lower()
    if kind in ("image", "gif"):
        allowed, cap = rule.image_types, rule.image_size
        if kind == "gif" and rule.gif_size:
            cap = rule.gif_size
    elif kind == "video":
        allowed, cap = rule.video_types, rule.video_size
    else:
        allowed, cap = frozenset(), None
    if rule.check_types and mime not in allowed:
        accepted = ", ".join(sorted(t.split("/", 1)[1].upper() for t in allowed))
        return [
            Problem(
                "media_type",
                (
                    _("%(network)s does not take « %(file)s » (%(type)s): use %(accepted)s.")
                    if accepted
                    else _("%(network)s takes no file like « %(file)s » (%(type)s): remove it.")
                )
                % {"network": name, "file": filename, "type": mime, "accepted": accepted},
            )
        ]
    if cap is not None and item.size > cap:
        return [
            Problem(
                "media_too_large",
                _(
                    "« %(file)s » weighs %(size)s and %(network)s takes %(limit)s at most: "
                    "make it smaller."
                )
                % {
                    "file": filename,
                    "size": _size(item.size, cap),
                    "network": name,
                    "limit": _size(cap, cap),
                },
            )
        ]
    return []


def _size(size: int, cap: int) -> str:
    """A size in megabytes, binary or decimal as the network states its cap (Mastodon:
    16 MB = 16 MiB; Bluesky: 1 MB = 1,000,000 bytes), so that both read alike; in bytes
    when a file is just over the cap and megabytes would not show the difference."""
    unit = MB if cap % MB == 0 else 1_000_000
    value = size / unit
    if size != cap and round(value, 1) == round(cap / unit, 1):
        return _("%(size)s bytes") % {"size": number_format(size, 0, force_grouping=True)}
    decimals = 0 if value == int(value) else 1
    return _("%(size)s MB") % {"size": number_format(value, decimal_pos=decimals)}


def _alt_problems(media: Sequence[MediaFile], rule: MediaRule | None) -> list[Problem]:
    problems = []
    for item in media:
        filename = Path(item.path).name or item.path
        alt = item.alt_text.strip()
        if not alt:
            problems.append(
                Problem(
                    "alt_missing",
                    _(
                        "« %(file)s » has no description (alt text): describe it for people "
                        "who cannot see it."
                    )
                    % {"file": filename},
                    blocking=False,
                )
            )
        elif rule is not None and rule.alt_max is not None and len(alt) > rule.alt_max:
            problems.append(
                Problem(
                    "alt_too_long",
                    _(
                        "The description of « %(file)s » counts %(used)s characters and the "
                        "network takes %(limit)s: shorten it."
                    )
                    % {"file": filename, "used": _n(len(alt)), "limit": _n(rule.alt_max)},
                )
            )
    return problems


def check(
    text: str,
    network: str,
    media: Sequence[MediaFile] = (),
    limits: PublishLimits | None = None,
) -> list[Problem]:
    """Everything `count` and `check_media` find for one post; an empty text is fine when
    the post has an image or a video."""
    problems = list(count(text, network, limits).problems)
    if media:
        problems = [p for p in problems if p.code != "empty"]
    seen = {p.code for p in problems}
    for p in check_media(network, media, limits):
        if not (p.code == "unknown_network" and p.code in seen):
            problems.append(p)
    return problems
