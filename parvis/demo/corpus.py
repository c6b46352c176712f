"""A made-up corpus of mentions about Maison Lumière, replayed by the offline demo.

The demo has no network access, so the listening explorer is fed from this generator: a
backlog of about a month (`backlog`) and a trickle of fresh mentions (`live`). Everything
is invented: the authors, texts, sites and ids. It is stdlib only and imports nothing
from Django, so it also runs as a script:

    python -m parvis.demo.corpus > demo.jsonl

Items follow the normalized mention shape the importer reads (network, external_id, url,
author, text, created_at, lang, parent_id, metrics, title). They also carry private
fields, prefixed with "_", which the importer ignores and the tests use as ground truth:

    _kind       praise | complaint | question | mention | competitor (compares both
                brands) | competitor_only | press | spam | insult | noise ("lumière" in
                another sense) | brand_reply | brand_post | campaign (copy-paste giveaway)
    _lang       fr | en: the true language, also where the network reports none
                (Reddit and Hacker News items have no "lang", as with the real APIs)
    _sentiment  positive | negative | neutral, towards the first brand of _brands
    _brands     what the item is about: "maisonlumiere", "cireetsens"; empty for noise.
                A thread reply is about the brand even when it does not name it.
    _severity   insults only: mild | insulting | hateful
    _campaign   set when the same text is posted by several accounts
"""

# Demo data: random here is for variety, never for security.
# ruff: noqa: S311

from __future__ import annotations

import argparse
import base64
import datetime as dt
import functools
import hashlib
import json
import math
import os
import random
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import IO, Any

UTC = dt.UTC
try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    PARIS: dt.tzinfo = ZoneInfo("Europe/Paris")
except (ImportError, ZoneInfoNotFoundError):  # a system without tzdata: close enough
    PARIS = dt.timezone(dt.timedelta(hours=1))

BRAND = "maisonlumiere"
COMPETITOR = "cireetsens"
LIVE_NETWORKS = ("bluesky", "mastodon", "reddit", "youtube")
MAX_LIVE = 32  # live ids reserve 5 bits for the position in the batch

# Roots (non-replies) per day before the weekday factor; replies, the giveaway and the
# complaint spike come on top, which lands the 30-day backlog around 2,000-2,500 items.
ROOTS_PER_DAY = 38
DAY_FACTORS = (1.0, 1.07, 1.12, 1.1, 0.93, 0.6, 0.7)  # Monday..Sunday
# Activity by local (Paris) hour: lunch and evening peaks on weekdays, later and flatter
# at weekends.
WEEKDAY_HOURS = (
    0.35, 0.18, 0.08, 0.05, 0.05, 0.1, 0.35, 0.75, 1.0, 0.95, 0.9, 1.0,
    1.45, 1.35, 0.9, 0.85, 0.95, 1.25, 1.8, 2.35, 2.7, 2.55, 1.85, 0.95,
)  # fmt: skip
WEEKEND_HOURS = (
    0.55, 0.35, 0.2, 0.1, 0.07, 0.07, 0.12, 0.3, 0.6, 0.95, 1.25, 1.35,
    1.3, 1.15, 1.05, 1.05, 1.1, 1.2, 1.35, 1.5, 1.55, 1.4, 1.05, 0.75,
)  # fmt: skip

ROOT_KINDS = {
    "praise": 22,
    "complaint": 9,
    "question": 13,
    "mention": 10,
    "competitor": 6,
    "competitor_only": 6,
    "spam": 8,
    "insult": 2,
    "noise": 9,
}
LIVE_KINDS = {**ROOT_KINDS, "spam": 10, "noise": 12}
FRENCH_SHARE = {"spam": 0.35, "noise": 0.55}  # other kinds: 0.58
NETWORK_WEIGHTS = {
    "fr": {"bluesky": 42, "mastodon": 22, "reddit": 14, "youtube": 18},
    "en": {"bluesky": 35, "mastodon": 10, "reddit": 30, "youtube": 22},
    "spam": {"bluesky": 45, "mastodon": 8, "reddit": 7, "youtube": 40},
}

# Who replies to whom, and how often. The brand's community team answers on Bluesky,
# Mastodon and YouTube (not on Reddit, where brands rarely speak).
BRAND_ANSWERS = {"question": 0.6, "complaint": 0.5, "praise": 0.15}
BRAND_NETWORKS = ("bluesky", "mastodon", "youtube")
SIGNATURES = ("Inès", "Paul", "Mathilde")


# --------------------------------------------------------------------------- the world


@dataclass(frozen=True, slots=True)
class Author:
    network: str
    handle: str
    name: str
    followers: int
    url: str
    lang: str
    first: str = ""
    role: str = "user"  # user | influencer | brand | competitor | bot | press
    key: str = ""  # Bluesky DID, Mastodon/Reddit/HN user name, site domain for rss
    instance: str = ""  # Mastodon only

    def public(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "name": self.name,
            "followers": self.followers,
            "url": self.url,
        }

    @property
    def mention(self) -> str:
        """How another user @-mentions this author in a post."""
        if self.network == "bluesky":
            return "@" + self.handle
        return self.handle


@dataclass(frozen=True, slots=True)
class Video:
    vid: str
    channel: Author
    lang: str
    title: str
    body: str = ""
    kind: str = "mention"
    sentiment: str = "neutral"
    brands: tuple[str, ...] = (BRAND,)
    days_ago: float | None = None  # None: published before any backlog window


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_FR = _words(
    "Camille Léa Manon Chloé Inès Sarah Julie Emma Louise Clara Zoé Lucie Anaïs Margaux "
    "Pauline Élodie Mathilde Nina Jade Alice Hugo Lucas Thomas Nicolas Julien Maxime Antoine "
    "Romain Karim Yanis Mehdi Sofiane Aurélie Sandrine Nathalie Isabelle Fatima Amina Océane "
    "Estelle Gaëlle Hélène Bastien Théo Salomé Agathe Victor Claire Morgane Laurence Sophie "
    "Céline Marion"
)
LAST_FR = _words(
    "Martin Bernard Dubois Moreau Laurent Simon Michel Lefebvre Leroy Roux David Bertrand "
    "Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Faure André "
    "Mercier Blanc Guérin Boyer Garnier Chevalier Benali Haddad Nguyen Ferreira Perrin "
    "Marchand Barbier Brun Collet Vidal"
)
FIRST_EN = _words(
    "Emily Hannah Olivia Jess Sophie Megan Chloe Grace Amy Lauren Rachel Katie Ben Tom Jack "
    "Ryan Daniel Chris Sam Alex Priya Aisha Maya Nora Ellie Zoe Jordan Taylor Morgan Riley "
    "Marcus Diego Lena Harriet Owen Freya Isaac Mei"
)
LAST_EN = _words(
    "Smith Johnson Brown Taylor Walker Wright Hughes Clarke Patel Khan Murphy O'Brien Kelly "
    "Nguyen Garcia Miller Davis Wilson Evans Cooper Reed Bennett Foster Hayes Lindqvist "
    "Okafor"
)
HANDLE_WORDS = {
    "fr": _words(
        "lyon cosy plume matcha jardin deco lecture velo cuisine chat tricot bulle soleil"
    ),
    "en": _words("cozy reads plants tea home crafts knits coffee vinyl garden rainy candles hygge"),
}
REDDIT_ADJ = _words(
    "Confident Brave Quiet Lazy Sudden Fluffy Rare Ancient Curious Gentle Salty Cheerful"
)
REDDIT_NOUN = _words(
    "Mango Otter Pancake Lantern Walrus Fern Biscuit Comet Pebble Badger Quenelle Croissant"
)
INSTANCES = {
    "fr": (
        "piaille.example",
        "mastodon-fr.example",
        "toot.lyon.example",
        "mamot.example",
        "social.colibris.example",
    ),
    "en": ("mastodon.example", "mstdn.example", "craft.social.example", "toot.community.example"),
}
SUBREDDITS = {
    "fr": ("Lyon", "Lyon", "france", "AskFrance", "bougies", "decorationinterieure"),
    "en": (
        "candles",
        "candles",
        "HomeDecorating",
        "BuyItForLife",
        "giftideas",
        "CozyPlaces",
        "Frugal",
    ),
}
# Pool sizes per network and language: most posts come from a long tail of small accounts.
POOL_SIZES = {
    ("bluesky", "fr"): 260,
    ("bluesky", "en"): 170,
    ("mastodon", "fr"): 140,
    ("mastodon", "en"): 60,
    ("reddit", "fr"): 90,
    ("reddit", "en"): 140,
    ("youtube", "fr"): 110,
    ("youtube", "en"): 100,
    ("hackernews", "en"): 16,
}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _slugify(text: str, sep: str = "-", limit: int = 60) -> str:
    words = re.findall(r"[a-z0-9]+", _ascii(text).lower())
    return sep.join(words)[:limit].strip(sep)


def _loguniform(rng: random.Random, low: float, high: float) -> int:
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _followers(rng: random.Random) -> int:
    # The brief's shape: most accounts between 50 and 2,000, a few mid-sized, a few tiny.
    roll = rng.random()
    if roll < 0.85:
        return _loguniform(rng, 50, 2000)
    if roll < 0.96:
        return _loguniform(rng, 2000, 12000)
    return _loguniform(rng, 3, 50)


def _did(seed_text: str) -> str:
    digest = hashlib.blake2b(seed_text.encode(), digest_size=15).digest()
    return "did:plc:" + base64.b32encode(digest).decode().lower()[:24]


def _make_author(network: str, lang: str, rng: random.Random, index: int) -> Author:
    firsts, lasts = (FIRST_FR, LAST_FR) if lang == "fr" else (FIRST_EN, LAST_EN)
    first, last = rng.choice(firsts), rng.choice(lasts)
    f, la = _slugify(first, ""), _slugify(last, "")
    word = rng.choice(HANDLE_WORDS[lang])
    followers = _followers(rng)
    decoration = rng.choice(("", "", "", " 🌿", " ✨", " 🕯️", " 📚", " ☕"))
    if network == "bluesky":
        local = rng.choice((f + la, f"{f}-{la}", f"{f}{word}", f"{f}{rng.randint(2, 99)}"))
        handle = f"{local}.bsky.social" if rng.random() < 0.93 else f"{f}{la}.example"
        name = rng.choice((f"{first} {last}", first + decoration, f"{first} {last[0]}."))
        return Author(
            network,
            handle,
            name,
            followers,
            f"https://bsky.app/profile/{handle}",
            lang,
            first,
            key=_did(f"{handle}/{index}"),
        )
    if network == "mastodon":
        user = rng.choice((f, f"{f}_{la[:3]}", f"{f}{rng.randint(1, 99)}", f"{word}_{f}"))
        instance = rng.choice(INSTANCES[lang])
        return Author(
            network,
            f"@{user}@{instance}",
            first + decoration,
            max(5, followers // 2),
            f"https://{instance}/@{user}",
            lang,
            first,
            key=user,
            instance=instance,
        )
    if network == "reddit":
        user = rng.choice(
            (
                f"{rng.choice(REDDIT_ADJ)}-{rng.choice(REDDIT_NOUN)}-{rng.randint(1000, 9999)}",
                f"{_ascii(first)}_{word}",
                f"{word}{rng.choice(REDDIT_NOUN).lower()}{rng.randint(1, 99)}",
                f"throwaway_{rng.randint(1000, 99999)}",
            )
        )
        return Author(
            network,
            f"u/{user}",
            user,
            max(1, followers // 3),
            f"https://www.reddit.com/user/{user}/",
            lang,
            first,
            key=user,
        )
    if network == "youtube":
        if rng.random() < 0.3:  # YouTube's auto-generated handles
            user = "user-" + "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10)
            )
            name = user
        else:
            user = f"{f}{la}{rng.randint(1, 9999)}"
            name = rng.choice((f"{first} {last}", f"{first} {last[0]}.", first + decoration))
        return Author(
            network,
            f"@{user}",
            name,
            followers,
            f"https://www.youtube.com/@{user}",
            lang,
            first,
            key=user,
        )
    # Hacker News has karma, not followers.
    user = rng.choice((f"{f[0]}{la}", f"throwaway{rng.randint(1000, 9999)}", f"{word}{f}"))
    return Author(
        network,
        user,
        user,
        0,
        f"https://news.ycombinator.com/user?id={user}",
        lang,
        first,
        key=user,
    )


BOT_STEMS = _words("lumi-gift promo-deals cryptoqueen followboost giveaway-fr bigwins moonshot")


def _bot(network: str, rng: random.Random) -> Author:
    n = rng.randint(100, 9999)
    stem = rng.choice(BOT_STEMS)
    followers = rng.randint(0, 40)
    if network == "bluesky":
        handle = f"{stem}{n}.bsky.social"
        return Author(
            network,
            handle,
            stem.replace("-", " ").title(),
            followers,
            f"https://bsky.app/profile/{handle}",
            "en",
            role="bot",
            key=_did(handle),
        )
    if network == "mastodon":
        instance, user = "mastodon.example", f"{stem.replace('-', '_')}{n}"
        return Author(
            network,
            f"@{user}@{instance}",
            stem,
            followers,
            f"https://{instance}/@{user}",
            "en",
            role="bot",
            key=user,
            instance=instance,
        )
    if network == "reddit":
        user = f"{stem.replace('-', '_').title()}{n}"
        return Author(
            network,
            f"u/{user}",
            user,
            followers,
            f"https://www.reddit.com/user/{user}/",
            "en",
            role="bot",
            key=user,
        )
    user = f"{stem.title()}-{n}"
    return Author(
        network,
        f"@{user}",
        user.replace("-", " "),
        followers,
        f"https://www.youtube.com/@{user}",
        "en",
        role="bot",
        key=user,
    )


def _fixed(
    network: str, handle: str, name: str, followers: int, lang: str, role: str, first: str = ""
) -> Author:
    if network == "bluesky":
        return Author(
            network,
            handle,
            name,
            followers,
            f"https://bsky.app/profile/{handle}",
            lang,
            first,
            role,
            _did(handle),
        )
    if network == "mastodon":
        user, instance = handle.lstrip("@").split("@")
        return Author(
            network,
            handle,
            name,
            followers,
            f"https://{instance}/@{user}",
            lang,
            first,
            role,
            user,
            instance,
        )
    return Author(
        network,
        handle,
        name,
        followers,
        f"https://www.youtube.com/{handle}",
        lang,
        first,
        role,
        handle.lstrip("@"),
    )


BRAND_ACCOUNTS = {
    "bluesky": _fixed(
        "bluesky", "maisonlumiere.bsky.social", "Maison Lumière 🕯️", 6840, "fr", "brand"
    ),
    "mastodon": _fixed(
        "mastodon", "@maisonlumiere@piaille.example", "Maison Lumière", 2130, "fr", "brand"
    ),
    "youtube": _fixed("youtube", "@MaisonLumiereLyon", "Maison Lumière", 3920, "fr", "brand"),
}
COMPETITOR_ACCOUNT = _fixed(
    "bluesky", "cireetsens.bsky.social", "Cire & Sens", 11200, "fr", "competitor"
)
# A handful of accounts with a real audience, who post several times in the month.
INFLUENCERS = {
    "juliette": _fixed(
        "bluesky",
        "juliettebeaute.bsky.social",
        "Juliette | beauté & maison",
        198400,
        "fr",
        "influencer",
        "Juliette",
    ),
    "clara": _fixed(
        "bluesky",
        "claradecore.bsky.social",
        "Clara | déco & slow living",
        84200,
        "fr",
        "influencer",
        "Clara",
    ),
    "thomas": _fixed(
        "bluesky",
        "thomas-lyonnais.bsky.social",
        "Thomas — bons plans Lyon",
        27300,
        "fr",
        "influencer",
        "Thomas",
    ),
    "hannah": _fixed(
        "bluesky",
        "hannahcosyhome.bsky.social",
        "Hannah 🕯️ Cosy Home",
        41500,
        "en",
        "influencer",
        "Hannah",
    ),
    "manon": _fixed(
        "mastodon",
        "@manon_zerodechet@piaille.example",
        "Manon 🌱 zéro déchet",
        23800,
        "fr",
        "influencer",
        "Manon",
    ),
    "lea": _fixed("youtube", "@LeaCozyHome", "Léa Cozy Home", 156000, "fr", "influencer", "Léa"),
    "nerd": _fixed(
        "youtube", "@TheCandleNerd", "The Candle Nerd", 121000, "en", "influencer", "Sam"
    ),
}


def _token_id(token: str, size: int) -> str:
    digest = hashlib.blake2b(token.encode(), digest_size=24).digest()
    return base64.urlsafe_b64encode(digest).decode()[:size]


def _yt_comment_id(token: str) -> str:
    # Shaped like YouTube's: "Ug" + one of x/w/z + 20 opaque chars + "4AaABAg".
    body = _token_id(token, 21)
    return f"Ug{'xwz'[ord(body[0]) % 3]}{body[1:]}4AaABAg"


def _videos() -> tuple[Video, ...]:
    brand, lea, nerd = BRAND_ACCOUNTS["youtube"], INFLUENCERS["lea"], INFLUENCERS["nerd"]
    hauler = _fixed("youtube", "@EmilyFindsThings", "Emily Finds Things", 8400, "en", "user")
    return (
        Video(
            _token_id("video:atelier", 11), brand, "fr", "Visite de l'atelier Maison Lumière à Lyon"
        ),
        Video(
            _token_id("video:haul", 11),
            hauler,
            "en",
            "Huge French candle haul (Maison Lumière, Cire & Sens + more)",
            brands=(BRAND, COMPETITOR),
        ),
        Video(
            _token_id("video:lea", 11),
            lea,
            "fr",
            "Mes 5 bougies préférées de l'automne 🍂 (ft. Maison Lumière)",
            "Pas sponsorisé ! Toutes achetées avec mes sous. La Figue & Cèdre de Maison "
            "Lumière est en première position, je vous explique pourquoi. Code promo ? "
            "Aucun, désolée 😅\n\n00:00 Intro\n01:12 Maison Lumière — Figue & Cèdre\n"
            "05:40 La bougie budget\n09:02 Mon chouchou de l'hiver",
            "praise",
            "positive",
            days_ago=14.3,
        ),
        Video(
            _token_id("video:nerd", 11),
            nerd,
            "en",
            "Maison Lumière vs Cire & Sens — an honest 40-hour burn test",
            "Two French candle makers, same price range, same room, 40 hours of burning. "
            "Spoiler: the winner depends on the batch... and yes, I talk about the "
            "Fig & Cedar drama. Not sponsored.",
            "competitor",
            "neutral",
            (BRAND, COMPETITOR),
            days_ago=5.6,
        ),
        Video(
            _token_id("video:atelier2", 11),
            brand,
            "fr",
            "Dans l'atelier : comment on coule une bougie à la main",
            "Mathilde vous montre chaque étape, de la cire de colza au polissage du pot. "
            "Abonnez-vous pour les prochaines coulisses ✨",
            "brand_post",
            "neutral",
            days_ago=24.5,
        ),
    )


@dataclass(frozen=True, slots=True)
class World:
    """Authors and videos: depend on the seed only, so live() and backlog() share them."""

    pools: dict[tuple[str, str], tuple[Author, ...]]
    weights: dict[tuple[str, str], tuple[float, ...]]
    bots: dict[str, tuple[Author, ...]]
    videos: tuple[Video, ...]

    def author(self, network: str, lang: str, rng: random.Random) -> Author:
        key = (network, lang)
        return rng.choices(self.pools[key], cum_weights=self.weights[key])[0]

    def bot(self, network: str, rng: random.Random) -> Author:
        return rng.choice(self.bots[network])


@functools.lru_cache(maxsize=8)
def _world(seed: int) -> World:
    rng = random.Random(f"authors:{seed}")
    pools, weights = {}, {}
    for (network, lang), size in POOL_SIZES.items():
        authors = tuple(_make_author(network, lang, rng, i) for i in range(size))
        pools[network, lang] = authors
        # Zipf-like: a few regulars post a lot, most accounts once or twice.
        cumulative, total = [], 0.0
        for rank in range(size):
            total += 1 / (rank + 6) ** 0.75
            cumulative.append(total)
        weights[network, lang] = tuple(cumulative)
    bots = {n: tuple(_bot(n, rng) for _ in range(25)) for n in LIVE_NETWORKS}
    return World(pools, weights, bots, _videos())


# --------------------------------------------------------------------------------- text

# The texts are data: about 1,300 lines of templates and word lists in
# data/corpus_texts.json, shipped as package data. Pools are (tag, template) pairs; the tag
# is a topic for questions and complaints (the brand's answer depends on it), the sentiment
# for comparisons, empty otherwise. Slots in braces are filled by _Slots.
Pool = tuple[tuple[str, str], ...]


def _tuples(value: Any) -> Any:
    """JSON lists as tuples, as the generator's tables are (immutable, hashable)."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def _by_kind_and_lang(nested: dict[str, dict[str, Any]]) -> dict[tuple[str, str], Any]:
    return {(kind, lang): v for kind, by_lang in nested.items() for lang, v in by_lang.items()}


def _load_texts() -> dict[str, Any]:
    source = resources.files(__package__ or "parvis.demo") / "data" / "corpus_texts.json"
    return _tuples(json.loads(source.read_text(encoding="utf-8")))


_TEXTS = _load_texts()
SCENTS: tuple[tuple[str, str], ...] = _TEXTS["scents"]
PRODUCTS: dict[str, tuple[str, ...]] = _TEXTS["products"]
SLOT_CHOICES: dict[str, dict[str, tuple[str, ...]]] = _TEXTS["slot_choices"]
BRAND_NAMES: dict[str, tuple[str, ...]] = _TEXTS["brand_names"]
COMPETITOR_NAMES: dict[str, tuple[str, ...]] = _TEXTS["competitor_names"]
HASHTAGS: dict[str, tuple[str, ...]] = _TEXTS["hashtags"]
POOLS: dict[tuple[str, str], Pool] = _by_kind_and_lang(_TEXTS["pools"])
REDDIT_TITLES: dict[tuple[str, str], tuple[str, ...]] = _by_kind_and_lang(_TEXTS["reddit_titles"])
BRAND_REPLIES: dict[str, dict[str, tuple[str, ...]]] = _TEXTS["brand_replies"]
GIVEAWAY_COPY: dict[str, str] = _TEXTS["giveaway_copy"]
GIVEAWAY_REPLIES: dict[str, tuple[str, ...]] = _TEXTS["giveaway_replies"]
CRISIS_COPY: str = _TEXTS["crisis_copy"]
# Hateful replies, kept to two on purpose: violent threats against the staff, the kind a
# moderation queue must catch. No protected group is targeted.
HATEFUL: dict[str, str] = _TEXTS["hateful"]


class _Slots(dict[str, str]):
    """Fills template slots lazily: a slot used twice in a template gets the same value."""

    def __init__(
        self,
        rng: random.Random,
        network: str,
        lang: str,
        world: World,
        sig: str = "",
        first: str = "",
    ) -> None:
        super().__init__()
        self.rng, self.network, self.lang, self.world = rng, network, lang, world
        self["sig"] = sig
        self["first"] = f" {first}" if first else ""

    def __missing__(self, key: str) -> str:
        value = self._make(key)
        self[key] = value
        return value

    def _make(self, key: str) -> str:
        rng, lang = self.rng, self.lang
        if key == "brand":
            return rng.choice(BRAND_NAMES.get(self.network, BRAND_NAMES["other"]))
        if key == "at":
            # The brand as an addressee: an @-mention where the network has them, else
            # often nothing at all (the post still sits in a thread or under a title).
            if self.network in ("bluesky", "mastodon"):
                handle = BRAND_ACCOUNTS[self.network].mention
                return handle if rng.random() < 0.75 else "#MaisonLumiere"
            return rng.choice(("", "Maison Lumière"))
        if key == "brand_plain":
            return "Maison Lumière"
        if key == "comp":
            return rng.choice(COMPETITOR_NAMES.get(self.network, COMPETITOR_NAMES["other"]))
        if key == "scent":
            fr, en = rng.choice(SCENTS)
            return en if lang == "en" and rng.random() < 0.7 else fr
        if key == "product":
            return rng.choice(PRODUCTS[lang])
        if key == "days":
            return str(rng.randint(8, 21))
        if key == "order":
            return f"#ML{rng.randint(10000, 99999)}"
        if key in ("friend", "friend2"):
            return self.world.author(self.network, lang, rng).mention
        return rng.choice(SLOT_CHOICES[key][lang])


_BRAND_RE = re.compile(r"maison ?lumi[eè]re", re.IGNORECASE)
_ACCENTS = str.maketrans("àâäéèêëîïôöùûüçÀÂÉÈÊÎÔÙÛÇ", "aaaeeeeiioouuucAAEEEIOUUC")


def _roughen(text: str, lang: str, rng: random.Random) -> str:
    """Typing like people do: dropped accents and capitals, a typo, no final period."""
    if lang == "fr" and rng.random() < 0.14:
        text = text.translate(_ACCENTS)
    if rng.random() < 0.15 and text[:1].isupper():
        text = text[0].lower() + text[1:]
    if rng.random() < 0.07:
        words = text.split(" ")
        plain = [i for i, w in enumerate(words) if w.isalpha() and len(w) > 4]
        if plain:
            i = rng.choice(plain)
            j = rng.randrange(1, len(words[i]) - 2)
            w = words[i]
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            text = " ".join(words)
    if rng.random() < 0.12 and text.endswith("."):
        text = text[:-1]
    if lang == "fr" and rng.random() < 0.04:
        text = text.replace("ça ", "sa ", 1)
    return text


def _hashtags(text: str, kind: str, lang: str, network: str, rng: random.Random) -> str:
    if network not in ("bluesky", "mastodon") or kind in ("noise", "insult", "spam"):
        return text
    chance = {"praise": 0.35, "mention": 0.3}.get(kind, 0.12)
    if network == "mastodon":  # hashtags are how Mastodon posts get found
        chance += 0.2
    if rng.random() >= chance:
        return text
    own = "#MaisonLumiere" in text or kind == "competitor_only" or rng.random() < 0.4
    tags = [] if own else ["#MaisonLumiere"]
    tags += rng.sample(HASHTAGS[lang], rng.randint(0, 2))
    return f"{text} {' '.join(tags)}" if tags else text


def _tidy(text: str) -> str:
    """Spaces left by empty slots."""
    return re.sub(r" {2,}", " ", text).replace(" ,", ",").strip()


def _pick(pool_key: tuple[str, str], rng: random.Random, topic: str = "") -> tuple[str, str]:
    pool = POOLS[pool_key]
    if topic:
        matching = [entry for entry in pool if entry[0] == topic]
        pool = tuple(matching) or pool
    return rng.choice(pool)


# ---------------------------------------------------------------------------- the posts


@dataclass(eq=False, slots=True)
class _Post:
    at: int  # microseconds since the epoch, unique in a backlog
    network: str
    author: Author
    text: str
    lang: str
    kind: str
    sentiment: str = "neutral"
    brands: tuple[str, ...] = (BRAND,)
    parent: _Post | None = None
    topic: str = ""
    story: bool = False  # a Reddit submission, a YouTube video, an HN story
    title: str | None = None  # rss only
    url: str = ""  # preset for rss
    sub: str = ""  # Reddit
    slug: str = ""  # Reddit
    video: Video | None = None  # YouTube comments: the video they sit under
    severity: str = ""
    campaign: str = ""
    sig: str = ""  # the team member who signed a brand reply
    spike: bool = False
    viral: float = 1.0
    children: int = 0
    external_id: str = ""
    private: bool = False  # a private message to the brand (demo inbox)

    @property
    def root(self) -> _Post:
        post = self
        while post.parent is not None:
            post = post.parent
        return post


SENTIMENT = {
    "praise": "positive",
    "complaint": "negative",
    "insult": "negative",
    "campaign": "positive",
    "spam": "neutral",
    "noise": "neutral",
}
ENGAGEMENT = {
    "praise": 0.02,
    "complaint": 0.025,
    "question": 0.008,
    "mention": 0.012,
    "competitor": 0.015,
    "competitor_only": 0.012,
    "spam": 0.0005,
    "insult": 0.004,
    "noise": 0.012,
    "brand_reply": 0.006,
    "brand_post": 0.02,
    "campaign": 0.002,
}


def _micros(moment: dt.datetime) -> int:
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _moment(micros: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=micros)


def _as_utc(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small rates of one hour.
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _lang_for(kind: str, rng: random.Random) -> str:
    return "fr" if rng.random() < FRENCH_SHARE.get(kind, 0.58) else "en"


def _network_for(kind: str, lang: str, rng: random.Random) -> str:
    return _weighted(rng, NETWORK_WEIGHTS["spam" if kind == "spam" else lang])


class _Writer:
    """Writes one post of a kind, for a given network, language and author."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng

    def author(self, kind: str, network: str, lang: str) -> Author:
        if kind == "spam":
            return self.world.bot(network, self.rng)
        return self.world.author(network, lang, self.rng)

    def root(
        self,
        at: int,
        kind: str,
        lang: str,
        network: str,
        *,
        spike: bool = False,
        author: Author | None = None,
    ) -> _Post:
        rng = self.rng
        author = author or self.author(kind, network, lang)
        pool_kind = "spike" if spike else kind
        tag, template = _pick((pool_kind, lang), rng)
        slots = _Slots(rng, network, lang, self.world)
        text = _tidy(template.format_map(slots))
        if kind == "insult":  # a root insult names its target
            text = f"{slots['brand']} {text[0].lower()}{text[1:]}"
        if kind == "spam" and not _BRAND_RE.search(text) and network != "youtube":
            # Spam reaches a brand's feed by hijacking its hashtag or @-mentioning it.
            if network in ("bluesky", "mastodon") and rng.random() < 0.5:
                text = f"{BRAND_ACCOUNTS[network].mention} {text}"
            else:
                text += rng.choice((" #MaisonLumiere #concours", " #MaisonLumiere #giveaway"))
        if kind != "spam":
            text = _roughen(text, lang, rng)
        text = _hashtags(text, kind, lang, network, rng)
        post = _Post(at, network, author, text, lang, kind, spike=spike)
        self._classify(post, tag)
        if network == "reddit":
            self._submission(post)
        elif network == "youtube":
            post.video = self._video_for(lang)
        return post

    def _classify(self, post: _Post, tag: str) -> None:
        kind = post.kind
        if kind in ("question", "complaint"):
            post.topic = tag
        if kind == "insult":
            post.severity = tag
        if kind in ("competitor", "competitor_only"):
            post.sentiment = tag
        else:
            post.sentiment = SENTIMENT.get(kind, "neutral")
        post.brands = {
            "competitor": (BRAND, COMPETITOR),
            "competitor_only": (COMPETITOR,),
            "noise": (),
        }.get(kind, (BRAND,))
        if kind == "spam" and not _BRAND_RE.search(post.text):
            post.brands = ()

    def _submission(self, post: _Post) -> None:
        rng = self.rng
        titles = REDDIT_TITLES.get((post.kind, post.lang))
        post.sub = rng.choice(SUBREDDITS[post.lang])
        if titles and rng.random() < 0.85:
            title = rng.choice(titles)
            post.text = f"{title}\n\n{post.text}"
        post.story = True
        post.slug = _slugify(post.text.split("\n")[0], "_", 50) or "post"

    def _video_for(self, lang: str) -> Video | None:
        # Loose comments sit under older videos (outside the corpus, hence no parent_id);
        # the videos published inside the window get their comments in _Backlog.comments.
        videos = [v for v in self.world.videos if v.lang == lang and v.days_ago is None]
        return self.rng.choice(videos) if videos else None

    def reply(
        self,
        parent: _Post,
        at: int,
        kind: str,
        *,
        author: Author | None = None,
        pool: str = "",
        topic: str = "",
    ) -> _Post:
        rng, lang, network = self.rng, parent.lang, parent.network
        if author is None:
            author = self.author(kind, network, lang)
        sig = parent.sig or rng.choice(SIGNATURES)  # thanks go to whoever signed
        slots = _Slots(rng, network, lang, self.world, sig=sig)
        tag = ""
        if kind == "brand_reply":
            first = parent.author.first if parent.author.role != "bot" else ""
            slots["first"] = f" {first}" if first and rng.random() < 0.8 else ""
            replies = BRAND_REPLIES[lang]
            key = topic or parent.topic or parent.kind
            template = rng.choice(replies.get(key) or replies["complaint"])
        else:
            tag, template = _pick((pool or kind, lang), rng, topic)
        text = _tidy(template.format_map(slots))
        if kind not in ("brand_reply", "spam"):
            text = _roughen(text, lang, rng)
        post = _Post(at, network, author, text, lang, kind, parent=parent, topic=topic or tag)
        if kind == "brand_reply":
            post.sig = sig
        self._classify(post, tag)
        if kind in ("praise", "complaint", "question", "brand_reply", "mention", "insult"):
            # A reply is about what its thread is about, Maison Lumière first.
            post.brands = (BRAND,) if BRAND in parent.brands else parent.brands or (BRAND,)
        if pool == "answer":
            post.sentiment = tag
        post.spike = parent.spike
        post.video = parent.video
        return post


class _Backlog:
    """The month before `now`: everyday chatter, then the events, then the threads."""

    def __init__(self, now: dt.datetime, days: int, seed: int) -> None:
        self.now = _micros(now)
        # Whole seconds, so that no created_at truncated to the second falls before start.
        self.start = -(-(self.now - days * 86_400_000_000) // 1_000_000) * 1_000_000
        self.days = days
        self.rng = random.Random(seed)
        self.world = _world(seed)
        self.writer = _Writer(self.world, self.rng)
        self.posts: list[_Post] = []
        self.taken: set[int] = set()
        self.local_now = now.astimezone(PARIS)
        self.spike_offset = max(1, round(days * 0.3))  # 9 days ago for 30 days
        self.giveaway_offset = round(days * 0.7)  # 21 days ago for 30 days

    # -- time helpers

    def claim(self, at: int) -> int | None:
        """Makes `at` unique (ids derive from it); None when outside the window."""
        if not self.start <= at < self.now:
            return None
        while at in self.taken:
            at += 1
        if at >= self.now:
            return None
        self.taken.add(at)
        return at

    def local(self, days_ago: int, hour: int, minute: int = 0) -> int:
        day = self.local_now.date() - dt.timedelta(days=days_ago)
        moment = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)
        return _micros(moment.astimezone(UTC)) + self.rng.randrange(1_000_000)

    def evening(self, days_ago: float) -> int:
        return self.local(round(days_ago), self.rng.randint(18, 21), self.rng.randrange(60))

    def add(self, post: _Post | None) -> _Post | None:
        if post is None:
            return None
        at = self.claim(post.at)
        if at is None:
            return None
        post.at = at
        if post.parent is not None:
            post.parent.children += 1
        self.posts.append(post)
        return post

    def after(self, parent: _Post, median_minutes: float, business: bool = False) -> int:
        """A reply time after `parent`; the brand's team only answers during the day."""
        delay = self.rng.lognormvariate(math.log(median_minutes), 0.9) * 60_000_000
        at = parent.at + max(40_000_000, int(delay))
        if business:
            local = _moment(at).astimezone(PARIS)
            if local.hour < 8 or local.hour >= 21:
                next_day = local.date() + dt.timedelta(days=local.hour >= 21)
                opening = dt.datetime(next_day.year, next_day.month, next_day.day, 8, tzinfo=PARIS)
                at = _micros(opening.astimezone(UTC)) + self.rng.randrange(3 * 3_600_000_000)
        return at

    # -- the month

    def build(self) -> list[dict[str, Any]]:
        self.ambient()
        self.spike()
        self.giveaway()
        self.influencers()
        self.videos()
        self.hacker_news()
        self.press()
        roots = list(self.posts)
        for post in roots:
            self.thread(post)
        self.inbox_today()
        # By the time as shown (seconds on some networks, milliseconds on others), so that
        # created_at never goes backwards in the output.
        self.posts.sort(key=lambda p: (_shown(p), p.at))
        ids = _Ids()
        return [_render(post, ids) for post in self.posts]

    def ambient(self) -> None:
        """Everyday chatter, hour by hour, with the weekly and daily rhythm."""
        rng, hour = self.rng, 3_600_000_000
        weekday = _normalized(WEEKDAY_HOURS)
        weekend = _normalized(WEEKEND_HOURS)
        day_noise: dict[dt.date, float] = {}
        for slot in range(self.start, self.now, hour):
            local = _moment(slot).astimezone(PARIS)
            day = local.date()
            if day not in day_noise:
                day_noise[day] = rng.uniform(0.85, 1.15)
            shape = weekend if local.weekday() >= 5 else weekday
            lam = ROOTS_PER_DAY * DAY_FACTORS[local.weekday()] * shape[local.hour]
            for _ in range(_poisson(rng, lam * day_noise[day])):
                kind = _weighted(rng, ROOT_KINDS)
                lang = _lang_for(kind, rng)
                network = _network_for(kind, lang, rng)
                self.add(self.writer.root(slot + rng.randrange(hour), kind, lang, network))

    def spike(self) -> None:
        """A defective batch and a stuck carrier: complaints explode, then fade."""
        rng, writer = self.rng, self.writer
        offset = self.spike_offset
        weekday = _normalized(WEEKDAY_HOURS)
        # Extra complaints per day: the evening before, the day itself, then the decay.
        for days_ago, extra, first_hour in (
            (offset + 1, 4, 18),
            (offset, 36, 7),
            (offset - 1, 9, 0),
            (offset - 2, 6, 0),
            (offset - 3, 3, 0),
        ):
            if days_ago < 0:
                continue
            hours = range(first_hour, 24)
            weights = [weekday[h] for h in hours]
            for _ in range(extra):
                hour = rng.choices(hours, weights=weights)[0]
                at = self.local(days_ago, hour, rng.randrange(60))
                lang = "fr" if rng.random() < 0.68 else "en"
                network = _weighted(
                    rng, {"bluesky": 55, "mastodon": 15, "reddit": 12, "youtube": 18}
                )
                post = writer.root(at, "complaint", lang, network, spike=True)
                post.viral = rng.uniform(1.5, 4)
                self.add(post)
        # The copy-paste that activists share once the hashtag appears.
        for _ in range(10):
            days_ago = offset if rng.random() < 0.65 else offset - 1
            at = self.local(days_ago, rng.choice((12, 18, 19, 20, 21, 22)), rng.randrange(60))
            author = self.world.author("bluesky", "fr", rng)
            post = _Post(
                at,
                "bluesky",
                author,
                CRISIS_COPY,
                "fr",
                "complaint",
                "negative",
                topic="delivery",
                campaign="rendu-ma-commande",
                spike=True,
            )
            self.add(post)
        clara = INFLUENCERS["clara"]
        self.add(
            _Post(
                self.local(offset, 19, 42),
                "bluesky",
                clara,
                "Bon... ma Figue & Cèdre de @maisonlumiere.bsky.social fait un tunnel et "
                "ne sent rien, et je vois que je suis loin d'être la seule 😕 Vous allez "
                "faire quoi ?",
                "fr",
                "complaint",
                "negative",
                topic="batch",
                spike=True,
                viral=3.0,
            )
        )
        statement = self.add(
            _Post(
                self.local(offset - 1, 9, 30),
                "bluesky",
                BRAND_ACCOUNTS["bluesky"],
                "Message important 🕯️ Un lot de bougies Figue & Cèdre (lot 0923) a une mèche trop "
                "courte : elles creusent et diffusent mal. Nous les remplaçons toutes, sans retour "
                "à faire. Par ailleurs, un incident chez notre transporteur a bloqué des colis "
                "plusieurs jours : ils repartent, et nous remboursons les frais de port. Pardon à "
                "celles et ceux qui attendent. Écrivez-nous à bonjour@maisonlumiere.example. — "
                "L'équipe Maison Lumière",
                "fr",
                "brand_post",
                "neutral",
                topic="batch",
                spike=True,
                viral=4.0,
            )
        )
        if statement is not None:
            hateful = self.add(writer.reply(statement, self.after(statement, 45), "insult"))
            if hateful is not None:
                hateful.text, hateful.severity = HATEFUL["fr"], "hateful"
        self.add(
            _Post(
                self.local(offset - 2, 20, 5),
                "bluesky",
                clara,
                "Mise à jour : @maisonlumiere.bsky.social m'a recontactée en 2h, bougie "
                "remplacée et frais de port remboursés. Bien géré 👏",
                "fr",
                "praise",
                "positive",
                viral=2.0,
            )
        )
        hannah = self.add(
            _Post(
                self.local(offset - 1, 21, 10),
                "bluesky",
                INFLUENCERS["hannah"],
                "ordered Fig & Cedar from @maisonlumiere.bsky.social for my mum two weeks ago, "
                "still nothing. seeing I'm not alone... not great 😕",
                "en",
                "complaint",
                "negative",
                topic="delivery",
                spike=True,
                viral=2.0,
            )
        )
        if hannah is not None:
            hateful = self.add(writer.reply(hannah, self.after(hannah, 90), "insult"))
            if hateful is not None:
                hateful.text = "@maisonlumiere.bsky.social " + HATEFUL["en"]
                hateful.severity = "hateful"

    def giveaway(self) -> None:
        """A brand giveaway, and the same participation text shared by many accounts."""
        rng, offset = self.rng, self.giveaway_offset
        if offset < 1:
            return
        brand = BRAND_ACCOUNTS["bluesky"]
        launch = self.add(
            _Post(
                self.local(offset, 10, 0),
                "bluesky",
                brand,
                "🎁 CONCOURS 🎁 Pour fêter nos 5 ans, on vous fait gagner 5 coffrets Rituel du "
                "soir ! Pour participer : suivez @maisonlumiere.bsky.social, likez ce post et "
                "partagez le message du concours. Tirage au sort dans 4 jours à 20h. Bonne "
                "chance ✨ #MaisonLumiere #concours",
                "fr",
                "brand_post",
                "positive",
                viral=6.0,
            )
        )
        if launch is None:
            return
        for _ in range(115):
            lang = "fr" if rng.random() < 0.8 else "en"
            network = "bluesky" if rng.random() < 0.8 else "mastodon"
            author = self.world.author(network, lang, rng)
            # Most entries come on the first day, then it tails off.
            at = launch.at + int(rng.expovariate(1 / 20) * 3_600_000_000)
            self.add(
                _Post(
                    at,
                    network,
                    author,
                    GIVEAWAY_COPY[lang],
                    lang,
                    "campaign",
                    "positive",
                    campaign="giveaway",
                )
            )
        for _ in range(28):
            lang = "fr" if rng.random() < 0.85 else "en"
            template = rng.choice(GIVEAWAY_REPLIES[lang])
            text = template.format_map(_Slots(rng, "bluesky", lang, self.world))
            at = launch.at + int(rng.expovariate(1 / 14) * 3_600_000_000) + 60_000_000
            author = self.world.author("bluesky", lang, rng)
            self.add(
                _Post(at, "bluesky", author, text, lang, "campaign", "positive", parent=launch)
            )
        for _ in range(6):  # impostors ride on every giveaway
            bot = self.world.bot("bluesky", rng)
            text = rng.choice(POOLS["spam", "fr"][:1] + POOLS["spam", "en"][-1:])[1]
            at = launch.at + rng.randrange(2 * 86_400_000_000)
            self.add(
                _Post(
                    at,
                    "bluesky",
                    bot,
                    text.format(brand_plain="Maison Lumière"),
                    "en" if "giving" in text else "fr",
                    "spam",
                    campaign="fake-giveaway",
                    parent=launch,
                )
            )
        self.add(
            _Post(
                self.local(offset - 4, 20, 2),
                "bluesky",
                brand,
                "Et les gagnant·es du concours sont... 🥁 Merci à vous toutes et tous pour ces "
                "milliers de participations, on est émus. Les 5 gagnant·es ont reçu un message "
                "privé ✨",
                "fr",
                "brand_post",
                "positive",
                viral=3.0,
            )
        )

    def influencers(self) -> None:
        """Accounts with an audience post several times; their posts draw replies."""
        posts = (
            (
                "juliette",
                0.8,
                "praise",
                "positive",
                "Mon rituel du dimanche soir : bain, masque, et la Fleur d'oranger de "
                "@maisonlumiere.bsky.social 🕯️ (pas sponsorisé, je l'ai achetée moi-même hein)",
            ),
            (
                "juliette",
                0.45,
                "competitor",
                "positive",
                "On me demande souvent mes bougies préférées : Maison Lumière pour la tenue et le "
                "parfum, Cire & Sens pour les jolis pots. Voilà, débat clos 😌",
            ),
            (
                "juliette",
                0.2,
                "mention",
                "neutral",
                "Je vois passer beaucoup de retours sur le lot de Figue & Cèdre de Maison "
                "Lumière... de mon côté aucun souci, mais j'espère qu'ils vont bien gérer",
            ),
            (
                "clara",
                0.9,
                "praise",
                "positive",
                "Nouvelle déco d'automne, et la touche finale : la Thé fumé de "
                "@maisonlumiere.bsky.social sur la table basse 🍂 #MaisonLumiere #slowliving",
            ),
            (
                "clara",
                0.6,
                "mention",
                "positive",
                "Ma sélection cadeaux 100 % lyonnaise est en ligne : céramique de la Croix-Rousse, "
                "chocolats de Saint-Jean et bougies Maison Lumière 🎁",
            ),
            (
                "thomas",
                0.7,
                "mention",
                "positive",
                "Bon plan du week-end : atelier bougie chez Maison Lumière, 35 € les 2h, il reste "
                "des places samedi. J'y étais, c'est top",
            ),
            (
                "thomas",
                0.5,
                "question",
                "neutral",
                "La boutique Maison Lumière de la Croix-Rousse, quelqu'un sait si elle est ouverte "
                "le lundi ?",
            ),
            (
                "thomas",
                0.35,
                "noise",
                "neutral",
                "Fête des Lumières : mes 5 spots pour éviter la foule cette année, thread 🧵",
            ),
            (
                "hannah",
                0.85,
                "praise",
                "positive",
                "Candle haul from Lyon! Maison Lumière's Sandalwood is already my favourite. The "
                "jars are gorgeous too 🕯️",
            ),
            (
                "hannah",
                0.5,
                "competitor",
                "neutral",
                "Maison Lumière vs Cire & Sens, the great French candle debate. Which one should "
                "I review first?",
            ),
            (
                "manon",
                0.75,
                "praise",
                "positive",
                "Belle initiative de @maisonlumiere@piaille.example : on rapporte ses pots vides "
                "en boutique et on a 3 € sur la recharge. Plus de marques comme ça svp 🌱 "
                "#zerodechet",
            ),
            (
                "manon",
                0.15,
                "mention",
                "neutral",
                "Petit rappel après l'histoire du lot de Figue & Cèdre chez Maison Lumière : la "
                "garantie de conformité, ça marche aussi pour les bougies. Gardez vos factures 🌱",
            ),
            (
                "manon",
                0.4,
                "question",
                "neutral",
                "@maisonlumiere@piaille.example vous prévoyez une consigne par la poste pour ceux "
                "qui ne sont pas à Lyon ?",
            ),
            # The competitor's own account, for share of voice; the second post lands the
            # day after the spike, as competitors do.
            (
                "cireetsens",
                0.75,
                "competitor_only",
                "neutral",
                "Notre collection d'hiver est en ligne ✨ Vétiver fumé, Cannelle, Bois flotté. "
                "Coulée à Nantes, comme toujours 🕯️",
            ),
            (
                "cireetsens",
                0.27,
                "competitor_only",
                "neutral",
                "Petit rappel : toutes nos commandes partent sous 48 h, avec un transporteur de "
                "secours si besoin 😉 #CireEtSens",
            ),
        )
        for key, frac, kind, sentiment, text in posts:
            author = INFLUENCERS.get(key, COMPETITOR_ACCOUNT)
            brands = {
                "competitor": (BRAND, COMPETITOR),
                "competitor_only": (COMPETITOR,),
                "noise": (),
            }.get(kind, (BRAND,))
            topic = {"question": "refill" if key == "manon" else "hours"}.get(kind, "")
            self.add(
                _Post(
                    self.evening(frac * self.days),
                    author.network,
                    author,
                    text,
                    author.lang,
                    kind,
                    sentiment,
                    brands,
                    topic=topic,
                    viral=1.5,
                )
            )

    def videos(self) -> None:
        for video in self.world.videos:
            if video.days_ago is None:
                continue
            at = self.local(round(video.days_ago * self.days / 30), 17, 0)
            text = f"{video.title}\n\n{video.body}" if video.body else video.title
            post = _Post(
                at,
                "youtube",
                video.channel,
                text,
                video.lang,
                video.kind,
                video.sentiment,
                video.brands,
                story=True,
                video=video,
                viral=2.0,
            )
            if self.add(post) is not None:
                self.comments(post)

    def comments(self, video: _Post) -> None:
        rng, writer = self.rng, self.writer
        mix = {
            "praise": 40,
            "question": 18,
            "competitor": 12,
            "complaint": 10,
            "spam": 10,
            "insult": 3,
            "mention": 7,
        }
        for _ in range(rng.randint(25, 45)):
            kind = _weighted(rng, mix)
            at = video.at + int(rng.expovariate(1 / 30) * 3_600_000_000) + 120_000_000
            if kind == "spam":
                post = writer.reply(video, at, "spam", author=self.world.bot("youtube", rng))
            else:
                post = writer.reply(video, at, kind)
            if video.brands == (BRAND, COMPETITOR) and kind == "competitor":
                post.brands = video.brands
            added = self.add(post)
            channel = video.author
            if added is not None and channel.role == "influencer" and rng.random() < 0.15:
                # Creators answer a few comments under their own videos.
                self.add(
                    writer.reply(
                        added, self.after(added, 90), "mention", author=channel, pool="creator"
                    )
                )

    def hacker_news(self) -> None:
        """Hacker News rarely talks candles; when it does it is about the shop's tech."""
        threads = (
            (
                0.55,
                "mention",
                "positive",
                "Show HN: The order-tracking page I built for my partner's candle shop\n\nMy "
                "partner runs Maison Lumière, a small candle workshop in Lyon. I replaced the "
                "Shopify tracking widget with a page that polls the carrier and explains delays "
                "in plain French. Feedback welcome.",
                (
                    (
                        "question",
                        "neutral",
                        "Nice. How do you handle carriers without an API? "
                        "Scraping their tracking page?",
                    ),
                    (
                        "praise",
                        "positive",
                        "Bought a candle from them last year, can confirm the "
                        "tracking page is nicer than most big shops'.",
                    ),
                    ("mention", "neutral", "Why not just use AfterShip?"),
                ),
            ),
            (
                max(0.05, (self.spike_offset - 1) / self.days),
                "complaint",
                "negative",
                "Ask HN: How do tiny e-shops survive a carrier meltdown?\n\nOur carrier's "
                "warehouse near Lyon went down for a week. Hundreds of orders stuck, customers "
                "angry on social media (we're Maison Lumière, candles). We also shipped a bad "
                "batch the same week. What would you do differently?",
                (
                    (
                        "mention",
                        "neutral",
                        "Two carriers, always. Route by postcode and switch when one degrades.",
                    ),
                    (
                        "praise",
                        "positive",
                        "I was one of the customers! The Fig & Cedar tunneled, "
                        "but you replaced it within a week. That's more than most do.",
                    ),
                    (
                        "complaint",
                        "negative",
                        "Honestly the silence for the first two days was "
                        "the worst part. A status page would have helped.",
                    ),
                    (
                        "mention",
                        "neutral",
                        "Refund shipping proactively and over-communicate. "
                        "Sounds like you did the first part.",
                    ),
                    ("insult", "negative", "Why is a candle shop on HN"),
                ),
            ),
        )
        rng = self.rng
        for frac, kind, sentiment, text, comments in threads:
            op = self.world.author("hackernews", "en", rng)
            story = self.add(
                _Post(
                    self.evening(frac * self.days),
                    "hackernews",
                    op,
                    text,
                    "en",
                    kind,
                    sentiment,
                    story=True,
                    viral=40.0,
                )
            )
            if story is None:
                continue
            last = story
            for c_kind, c_sentiment, c_text in comments:
                author = self.world.author("hackernews", "en", rng)
                parent = last if rng.random() < 0.3 else story
                reply = _Post(
                    self.after(parent, 50),
                    "hackernews",
                    author,
                    c_text,
                    "en",
                    c_kind,
                    c_sentiment,
                    parent=parent,
                    severity="mild" if c_kind == "insult" else "",
                )
                if self.add(reply) is not None:
                    last = reply

    def press(self) -> None:
        for article in PRESS:
            days_ago = article["days_ago"]
            if days_ago == "spike+1":
                at = self.local(self.spike_offset - 1, 11, 15)
            elif days_ago == "spike+2":
                at = self.local(self.spike_offset - 2, 8, 40)
            else:
                at = self.local(
                    round(float(days_ago) * self.days / 30),
                    self.rng.choice((6, 7, 8, 9, 11, 14)),
                    self.rng.randrange(60),
                )
            site, name, audience = article["site"]
            author = Author(
                "rss",
                site,
                name,
                audience,
                f"https://www.{site}/",
                article["lang"],
                role="press",
                key=site,
            )
            day = _moment(at).date()
            url = f"https://www.{site}/{day:%Y/%m}/{_slugify(article['title'])}/"
            self.add(
                _Post(
                    at,
                    "rss",
                    author,
                    article["text"],
                    article["lang"],
                    article.get("kind", "press"),
                    article["sentiment"],
                    article["brands"],
                    title=article["title"],
                    url=url,
                )
            )

    # -- threads

    def thread(self, post: _Post) -> None:
        """Replies under a root post: the brand, other users, trolls and bots."""
        rng, writer = self.rng, self.writer
        if post.network in ("rss", "hackernews") or (post.story and post.network == "youtube"):
            return  # articles get no replies here; HN threads and videos come with theirs
        if post.kind in ("campaign", "spam", "noise", "press"):
            if post.kind == "noise" and rng.random() < 0.2:
                self.add(writer.reply(post, self.after(post, 30), "noise"))
            return
        if post.network == "reddit":
            self.reddit_comments(post)
            return
        if post.author.role in ("influencer", "brand"):
            for _ in range(rng.randint(1, 3)):  # bots flock to big accounts
                bot = self.world.bot(
                    post.network if post.network in LIVE_NETWORKS else "bluesky", rng
                )
                self.add(writer.reply(post, self.after(post, 20), "spam", author=bot))
        brand_reply = self.brand_reply(post)
        self.chime_in(post)
        if brand_reply is not None:
            self.follow_up(post, brand_reply)

    def brand_reply(self, post: _Post) -> _Post | None:
        rng = self.rng
        chance = BRAND_ANSWERS.get(post.kind, 0.0)
        if post.network not in BRAND_NETWORKS or post.author.role == "brand":
            return None
        if post.kind == "complaint" and post.spike:
            chance = 0.4  # the team is swamped
        if post.lang == "en":
            chance *= 0.8
        if post.network == "youtube":
            chance *= 0.5
        if rng.random() >= chance:
            return None
        median = 240 if post.spike else 75
        at = self.after(post, median, business=True)
        if office_seconds(post.at, at) > 0.85 * FIRST_RESPONSE_SECONDS:
            # The team keeps its promise of an answer within 4 office hours: a late one
            # goes out before, at a time drawn from the post's own (so nothing else moves).
            share = random.Random(post.at).uniform(0.3, 0.8)
            at = office_after(post.at, share * FIRST_RESPONSE_SECONDS)
        return self.add(
            self.writer.reply(post, at, "brand_reply", author=BRAND_ACCOUNTS[post.network])
        )

    def chime_in(self, post: _Post) -> None:
        rng, writer = self.rng, self.writer
        if post.kind == "complaint":
            n = rng.choices((0, 1, 2, 3, 5), weights=(5, 3, 2, 1, 1 if post.spike else 0))[0]
            if post.spike:
                n += rng.randint(0, 2)
            if post.spike:
                topic = {"batch": "batch"}.get(post.topic, "stuck")
            else:
                topic = post.topic if post.topic in ("delivery", "scent", "service") else "general"
            said: set[str] = set()
            for _ in range(n):
                roll = rng.random()
                at = self.after(post, 35)
                if roll < (0.7 if post.spike else 0.45):
                    for _ in range(3):  # "me too" once per thread is enough
                        reply = writer.reply(
                            post, at, "complaint", pool="chime_complaint", topic=topic
                        )
                        if reply.text not in said:
                            break
                    said.add(reply.text)
                elif roll < 0.95:
                    reply = writer.reply(post, at, "mention", pool="chime_support")
                    reply.sentiment = "positive"
                else:
                    reply = writer.reply(post, at, "insult")
                self.add(reply)
        elif post.kind in ("praise", "question", "mention", "competitor") and rng.random() < 0.2:
            reply = writer.reply(post, self.after(post, 60), "mention", pool="chime_support")
            self.add(reply)

    def inbox_today(self) -> None:
        """The last few office hours: questions and complaints not answered yet, two of them
        private, placed in office time before `now` so that, whatever the day and hour, the
        inbox has fresh ones, two « at risk » (over 3 of the 4 hours) and one past its
        target. Drawn last, so the rest of the month does not depend on them."""
        rng = self.rng
        for spec in INBOX_TODAY:
            network, lang = spec["network"], spec["lang"]
            author = self.world.author(network, lang, rng)
            slots = _Slots(rng, network, lang, self.world)
            slots["name"] = author.name
            at = office_before(self.now, spec["hours"] * 3600) - rng.randrange(1, 60_000_000)
            post = _Post(
                at,
                network,
                author,
                spec["text"].format_map(slots),
                lang,
                spec["kind"],
                spec["sentiment"],
                topic=spec["topic"],
                private=bool(spec.get("private")),
            )
            if network == "youtube":
                post.video = self.writer._video_for(lang)
            if self.add(post) is None or not spec.get("follow_up"):
                continue
            later = _Post(
                post.at + rng.randrange(60_000_000, 240_000_000),
                network,
                author,
                spec["follow_up"].format_map(slots),
                lang,
                spec["kind"],
                spec["sentiment"],
                topic=spec["topic"],
                private=post.private,
            )
            self.add(later)

    def follow_up(self, post: _Post, answer: _Post) -> None:
        rng, writer = self.rng, self.writer
        if rng.random() < (0.08 if post.spike else 0.02):
            reply = writer.reply(answer, self.after(answer, 25), "insult")
            self.add(reply)
            return
        if rng.random() >= 0.4:
            return
        waiting = post.kind == "complaint" and rng.random() < (0.45 if post.spike else 0.2)
        kind, pool = ("complaint", "still_waiting") if waiting else ("praise", "thanks")
        self.add(writer.reply(answer, self.after(answer, 30), kind, author=post.author, pool=pool))

    def reddit_comments(self, post: _Post) -> None:
        rng, writer = self.rng, self.writer
        if post.kind not in ("question", "complaint", "competitor", "praise", "mention"):
            return
        count = rng.choices((0, 1, 2, 3, 4, 6), weights=(3, 3, 3, 2, 1, 1))[0]
        parent = post
        for _ in range(count):
            at = self.after(parent, 70)
            if rng.random() < 0.04:
                reply = writer.reply(parent, at, "insult")
            else:
                reply = writer.reply(parent, at, "mention", pool="answer")
                reply.kind = {"positive": "praise", "negative": "complaint"}.get(
                    reply.sentiment, "mention"
                )
                if "Cire & Sens" in reply.text:
                    reply.kind, reply.brands = "competitor", (BRAND, COMPETITOR)
            if self.add(reply) is not None and rng.random() < 0.35:
                parent = reply  # sometimes a sub-thread, not only top-level comments


def _normalized(weights: tuple[float, ...]) -> tuple[float, ...]:
    total = sum(weights)
    return tuple(w / total for w in weights)


# ------------------------------------------------------------------- the brand's office

# The demo's inbox settings (demo/seed.py): Monday to Friday, 9:00-18:00 in Lyon, closed on
# French public holidays; a first answer is due within 4 hours of that time.
OFFICE_HOURS = (9, 18)
FIRST_RESPONSE_SECONDS = 4 * 3600


def _easter(year: int) -> dt.date:
    """Easter Sunday (Gregorian, the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


def french_holidays(year: int) -> list[dt.date]:
    """The eleven public holidays of metropolitan France in `year`."""
    easter = _easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    days = [dt.date(year, month, day) for month, day in fixed]
    days += [easter + dt.timedelta(days=n) for n in (1, 39, 50)]  # Monday, Ascension, Pentecost
    return sorted(days)


@functools.lru_cache(maxsize=8)
def _closed_days(year: int) -> frozenset[dt.date]:
    return frozenset(french_holidays(year))


def _office(day: dt.date) -> tuple[int, int] | None:
    """The day's opening as microseconds (UTC), None when closed."""
    if day.weekday() >= 5 or day in _closed_days(day.year):
        return None
    opens, closes = (
        dt.datetime(day.year, day.month, day.day, hour, tzinfo=PARIS) for hour in OFFICE_HOURS
    )
    return _micros(opens.astimezone(UTC)), _micros(closes.astimezone(UTC))


def office_seconds(start: int, end: int) -> float:
    """Office time between two instants (microseconds), in seconds."""
    total, day = 0, _moment(start).astimezone(PARIS).date()
    while day <= _moment(end).astimezone(PARIS).date():
        span = _office(day)
        if span is not None:
            total += max(0, min(span[1], end) - max(span[0], start))
        day += dt.timedelta(days=1)
    return total / 1e6


def office_before(end: int, seconds: float) -> int:
    """The instant `seconds` of office time before `end` (microseconds)."""
    left, day = int(seconds * 1e6), _moment(end).astimezone(PARIS).date()
    while True:
        span = _office(day)
        if span is not None and span[0] < end:
            available = min(span[1], end) - span[0]
            if left <= available:
                return min(span[1], end) - left
            left -= available
        day -= dt.timedelta(days=1)


def office_after(start: int, seconds: float) -> int:
    """The instant `seconds` of office time after `start` (microseconds)."""
    left, day = int(seconds * 1e6), _moment(start).astimezone(PARIS).date()
    while True:
        span = _office(day)
        if span is not None and span[1] > start:
            available = span[1] - max(span[0], start)
            if left <= available:
                return max(span[0], start) + left
            left -= available
        day += dt.timedelta(days=1)


# Press articles: which site (domain, name, readers), when, which brands; texts in the data file.
PRESS: tuple[dict[str, Any], ...] = _TEXTS["press"]
# What reached the brand in the last office hours and nobody answered yet (the demo inbox's
# « à traiter »): each item is placed that many office hours before `now`.
INBOX_TODAY: tuple[dict[str, Any], ...] = _TEXTS["inbox_today"]


# ------------------------------------------------------------------------------ output

_B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"


def _tid(micros: int, clock: int) -> str:
    """A Bluesky record key (TID): timestamp in microseconds and a 10-bit clock id."""
    value, chars = (micros << 10) | clock, []
    for _ in range(13):
        chars.append(_B32_SORTABLE[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


class _Ids:
    """External ids and URLs per network. Ids derive from the (unique) microsecond of each
    backlog post; live() sets bits that a backlog id never has, so the two never meet."""

    def __init__(self) -> None:
        self.hn_last = 0
        self.rss_seen: set[str] = set()

    def assign(self, post: _Post) -> None:
        net, at = post.network, post.at
        if net == "bluesky":
            rkey = _tid(at, at % 509)  # clock ids below 512 for the backlog
            self.bluesky(post, rkey)
        elif net == "mastodon":
            # Snowflake: milliseconds << 16 | sequence; the sequence stays below 0x8000.
            self.mastodon(post, ((at // 1000) << 16) | ((at % 1000) << 5) | (at % 31))
        elif net == "reddit":
            self.reddit(post, _base36(at * 64))
        elif net == "youtube":
            self.youtube(post, f"backlog:{at}")
        elif net == "hackernews":
            # About one item every three seconds; 45.9M was late 2025.
            item = max(self.hn_last + 1, 45_900_000 + int((at / 1e6 - 1.763e9) * 0.33))
            self.hn_last = item
            post.external_id = str(item)
            post.url = f"https://news.ycombinator.com/item?id={item}"
        else:
            url = post.url
            while url in self.rss_seen:
                url = url.rstrip("/") + "-2/"
            self.rss_seen.add(url)
            post.url = post.external_id = url

    @staticmethod
    def bluesky(post: _Post, rkey: str) -> None:
        post.external_id = f"at://{post.author.key}/app.bsky.feed.post/{rkey}"
        post.url = f"https://bsky.app/profile/{post.author.handle}/post/{rkey}"

    @staticmethod
    def mastodon(post: _Post, snowflake: int) -> None:
        post.external_id = str(snowflake)
        post.url = f"https://{post.author.instance}/@{post.author.key}/{snowflake}"

    @staticmethod
    def reddit(post: _Post, base36: str) -> None:
        root = post.root
        if post.story or post.parent is None:
            post.external_id = f"t3_{base36}"
            post.url = f"https://www.reddit.com/r/{post.sub}/comments/{base36}/{post.slug}/"
        else:
            submission = root.external_id.removeprefix("t3_")
            post.external_id = f"t1_{base36}"
            post.url = (
                f"https://www.reddit.com/r/{root.sub}/comments/{submission}/{root.slug}/{base36}/"
            )

    @staticmethod
    def youtube(post: _Post, token: str) -> None:
        if post.story and post.video is not None:
            post.external_id = post.video.vid
            post.url = f"https://www.youtube.com/watch?v={post.video.vid}"
            return
        comment = _yt_comment_id(token)
        parent = post.parent
        if parent is not None and not parent.story:
            # Replies are "<top-level comment id>.<reply id>", as on YouTube.
            top = parent.external_id.split(".")[0]
            comment = f"{top}.{_token_id(token + ':reply', 22)}"
        vid = post.video.vid if post.video else _token_id("video:none", 11)
        post.external_id = comment
        post.url = f"https://www.youtube.com/watch?v={vid}&lc={comment}"


PRECISION = {"bluesky": "milliseconds", "mastodon": "milliseconds"}


def _shown(post: _Post) -> int:
    """The post's time truncated as created_at shows it, in microseconds."""
    unit = 1000 if post.network in PRECISION else 1_000_000
    return post.at - post.at % unit


def _metrics(post: _Post, rng: random.Random) -> dict[str, int] | None:
    if post.network == "rss":
        return None
    followers = post.author.followers
    rate = ENGAGEMENT.get(post.kind, 0.01) * post.viral * (1.6 if post.spike else 1.0)
    if post.network == "reddit":  # votes come from the subreddit, not the author's followers
        likes = int((4 + followers * 0.02) * rate * 60 * rng.lognormvariate(0, 0.9))
    elif post.network == "hackernews":
        likes = int(rate * 150 * rng.lognormvariate(0, 0.6)) + 1
    else:
        likes = int((followers * rate + 0.6) * rng.lognormvariate(0, 0.6))
    reposts = 0
    if post.network in ("bluesky", "mastodon"):
        reposts = int(likes * rng.uniform(0.04, 0.25))
    replies = max(post.children, int(likes * rng.uniform(0.0, 0.08)))
    return {"likes": likes, "reposts": reposts, "replies": replies}


def _render(post: _Post, ids: _Ids | None) -> dict[str, Any]:
    if ids is not None:  # None: live() has set the ids already
        ids.assign(post)
    rng = random.Random(post.at)  # metrics stay stable for a post whatever else changes
    created = _moment(post.at).isoformat(timespec=PRECISION.get(post.network, "seconds"))
    item: dict[str, Any] = {
        "network": post.network,
        "external_id": post.external_id,
        "url": post.url,
        "author": post.author.public(),
        "text": post.text,
        "created_at": created,
    }
    if post.network not in ("reddit", "hackernews"):  # those APIs give no language
        item["lang"] = post.lang
    if post.parent is not None:
        item["parent_id"] = post.parent.external_id
    metrics = _metrics(post, rng)
    if metrics is not None:
        item["metrics"] = metrics
    if post.title:
        item["title"] = post.title
    if post.private:
        item["private"] = True
    item["_kind"] = post.kind
    item["_lang"] = post.lang
    item["_sentiment"] = post.sentiment
    item["_brands"] = list(post.brands)
    if post.severity:
        item["_severity"] = post.severity
    if post.campaign:
        item["_campaign"] = post.campaign
    return item


# ------------------------------------------------------------------------------- public


def backlog(now: dt.datetime, days: int = 30, seed: int = 7) -> Iterator[dict[str, Any]]:
    """The mentions of the `days` before `now`, oldest first (deterministic for a seed).

    For 30 days: about 2,000-2,500 items, a weekly rhythm with evening peaks, a giveaway
    copy-paste campaign about 21 days ago and a complaint spike about 9 days ago (both
    scale with `days`).
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    return iter(_Backlog(_as_utc(now), days, seed).build())


def live(now: dt.datetime, seed: int, count: int) -> list[dict[str, Any]]:
    """`count` new mentions from the minute before `now`, oldest first.

    Deterministic for (seed, now). Ids come from `now` and the position in the batch, in
    a range the backlog never uses, so calls at different instants never collide with each
    other or with any backlog. At most 32 per call.
    """
    if not 0 <= count <= MAX_LIVE:
        raise ValueError(f"count must be between 0 and {MAX_LIVE}")
    now = _as_utc(now)
    base = _micros(now)
    rng = random.Random(f"live:{seed}:{base}")
    writer = _Writer(_world(seed), rng)
    items = []
    offsets = sorted((rng.randrange(60_000_000) for _ in range(count)), reverse=True)
    for index, offset in enumerate(offsets):
        kind = _weighted(rng, LIVE_KINDS)
        lang = _lang_for(kind, rng)
        network = _network_for(kind, lang, rng)
        post = writer.root(base - offset, kind, lang, network)
        _live_id(post, base, index)
        items.append(_render(post, None))
    return items


def spike(now: dt.datetime, seed: int, count: int) -> list[dict[str, Any]]:
    """A new bad buzz: `count` complaints of the corpus's spike (the burnt-wick story) from the
    minute before `now`, oldest first, for `parvis manage demo_spike`. Ids as live()'s, from
    `now` shifted by one second per 30 items so that batches never collide."""
    items: list[dict[str, Any]] = []
    now = _as_utc(now)
    rng = random.Random(f"spike:{seed}:{_micros(now)}")
    writer = _Writer(_world(seed), rng)
    for start in range(0, count, MAX_LIVE):
        base = _micros(now) - start // MAX_LIVE * 1_000_000
        size = min(MAX_LIVE, count - start)
        offsets = sorted((rng.randrange(60_000_000) for _ in range(size)), reverse=True)
        for index, offset in enumerate(offsets):
            lang = "fr" if rng.random() < 0.8 else "en"
            network = _network_for("complaint", lang, rng)
            post = writer.root(base - offset, "complaint", lang, network, spike=True)
            _live_id(post, base, index)
            items.append(_render(post, None))
    items.sort(key=lambda i: i["created_at"])
    return items


def _live_id(post: _Post, base: int, index: int) -> None:
    if post.network == "bluesky":
        _Ids.bluesky(post, _tid(base, 512 | index))
    elif post.network == "mastodon":
        _Ids.mastodon(post, ((base // 1000) << 16) | 0x8000 | ((base % 1000) << 5) | index)
    elif post.network == "reddit":
        _Ids.reddit(post, _base36(base * 64 + 32 + index))
    else:
        _Ids.youtube(post, f"live:{base}:{index}")


def write_jsonl(path: str | os.PathLike[str] | IO[str], items: Iterable[dict[str, Any]]) -> int:
    """Writes one JSON object per line (UTF-8) to a path or an open text stream."""
    if hasattr(path, "write"):
        return _dump(path, items)  # type: ignore[arg-type]
    with open(path, "w", encoding="utf-8") as stream:  # type: ignore[arg-type]
        return _dump(stream, items)


def _dump(stream: IO[str], items: Iterable[dict[str, Any]]) -> int:
    count = 0
    for item in items:
        stream.write(json.dumps(item, ensure_ascii=False) + "\n")
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the demo listening backlog as JSONL.")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--now", help="ISO 8601 with timezone (default: now)")
    args = parser.parse_args(argv)
    now = dt.datetime.fromisoformat(args.now) if args.now else dt.datetime.now(UTC)
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    with out:
        write_jsonl(out, backlog(now, args.days, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
