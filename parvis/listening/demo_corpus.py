"""A made-up corpus of mentions about Maison Lumière, replayed by the offline demo.

The demo has no network access, so the listening explorer is fed from this generator: a
backlog of about a month (`backlog`) and a trickle of fresh mentions (`live`). Everything
is invented: the authors, texts, sites and ids. It is stdlib only and imports nothing
from Django, so it also runs as a script:

    python -m parvis.listening.demo_corpus > demo.jsonl

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

SCENTS = (
    ("Figue & Cèdre", "Fig & Cedar"),
    ("Fleur d'oranger", "Orange Blossom"),
    ("Thé fumé", "Smoked Tea"),
    ("Tilleul", "Linden"),
    ("Bois de santal", "Sandalwood"),
    ("Pluie sur les pentes", "Rain on the Slopes"),
    ("Feu de cheminée", "Fireside"),
    ("Linge propre", "Clean Linen"),
    ("Jasmin de nuit", "Night Jasmine"),
    ("Vétiver & Ambre", "Vetiver & Amber"),
    ("Pain d'épices", "Gingerbread"),
    ("Marrons glacés", "Candied Chestnut"),
)
PRODUCTS = {
    # With their article: French products are of both genders.
    "fr": (
        "une bougie 180 g",
        "une grande bougie 3 mèches",
        "un coffret découverte",
        "un diffuseur",
        "une brume d'oreiller",
        "des fondants parfumés",
        "une bougie voyage",
        "un coffret Rituel du soir",
    ),
    "en": (
        "180g candle",
        "3-wick candle",
        "discovery set",
        "reed diffuser",
        "pillow mist",
        "wax melts",
        "travel tin",
        "Evening Ritual box",
    ),
}
SLOT_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "price": {"fr": ("38 €", "42 €", "45 €", "36€", "39,90 €"), "en": ("$48", "£39", "€42", "$52")},
    "price_small": {"fr": ("14 €", "16 €", "15€"), "en": ("£15", "$18", "€16")},
    "city": {
        "fr": (
            "Paris",
            "Nantes",
            "Lille",
            "Bordeaux",
            "Marseille",
            "Grenoble",
            "Annecy",
            "Bruxelles",
            "Genève",
            "Villeurbanne",
            "Montpellier",
        ),
        "en": (
            "London",
            "Dublin",
            "Brooklyn",
            "Toronto",
            "Edinburgh",
            "Melbourne",
            "Bristol",
            "Chicago",
        ),
    },
    "country": {
        "fr": ("en Belgique", "en Suisse", "au Canada", "au Luxembourg"),
        "en": ("the UK", "Canada", "the US", "Ireland", "Australia", "Norway"),
    },
    "shop": {
        "fr": (
            "la boutique de la rue Auguste-Comte",
            "l'atelier-boutique de la Croix-Rousse",
            "la boutique du Vieux Lyon",
        ),
        "en": ("their shop in Croix-Rousse", "the Lyon shop", "their little shop in Lyon"),
    },
    "e": {
        "fr": ("🕯️", "✨", "😍", "🥰", "💛", "🤍", "🙌", "🕯️✨", "", ""),
        "en": ("🕯️", "✨", "😍", "🥰", "💛", "🤍", "🙌", "🔥", "", ""),
    },
    "sad": {
        "fr": ("😕", "😤", "🙄", "😡", "😞", "🤦‍♀️", "", "😒"),
        "en": ("😕", "😤", "🙄", "😡", "😞", "🤦‍♀️", "", "😒"),
    },
    "when": {
        "fr": ("la semaine prochaine", "début du mois prochain", "d'ici une dizaine de jours"),
        "en": ("next week", "early next month", "in about ten days"),
    },
}
BRAND_NAMES = {
    "bluesky": (
        "Maison Lumière",
        "Maison Lumière",
        "@maisonlumiere.bsky.social",
        "@maisonlumiere.bsky.social",
        "Maison Lumiere",
        "#MaisonLumiere",
        "maison lumière",
    ),
    "mastodon": (
        "Maison Lumière",
        "Maison Lumière",
        "@maisonlumiere@piaille.example",
        "Maison Lumiere",
        "#MaisonLumiere",
    ),
    "other": (
        "Maison Lumière",
        "Maison Lumière",
        "Maison Lumiere",
        "maison lumière",
        "Maison Lumière",
    ),
}
COMPETITOR_NAMES = {
    "bluesky": (
        "Cire & Sens",
        "Cire & Sens",
        "@cireetsens.bsky.social",
        "Cire et Sens",
        "cire&sens",
    ),
    "other": ("Cire & Sens", "Cire & Sens", "Cire et Sens", "@cireetsens", "cire & sens"),
}
HASHTAGS = {
    "fr": (
        "#bougie",
        "#bougies",
        "#cocooning",
        "#FabriquéÀLyon",
        "#madeinfrance",
        "#slowliving",
        "#cirevegetale",
        "#Lyon",
        "#deco",
    ),
    "en": (
        "#candles",
        "#candlelover",
        "#hygge",
        "#slowliving",
        "#homedecor",
        "#cosy",
        "#madeinfrance",
    ),
}

# Pools are (tag, template). The tag is a topic for questions and complaints (the brand's
# answer depends on it), the sentiment for comparisons, empty otherwise. Slots in braces
# are filled by _Slots.
Pool = tuple[tuple[str, str], ...]


def _plain(*templates: str) -> Pool:
    return tuple(("", t) for t in templates)


POOLS: dict[tuple[str, str], Pool] = {
    ("praise", "fr"): _plain(
        "Je viens d'allumer ma {scent} de chez {brand} et toute la pièce sent bon en 10 "
        "minutes {e}",
        "Troisième commande chez {brand} et toujours aussi contente. La {scent} c'est une tuerie",
        "Offert {product} {brand} à ma mère pour son anniv, elle a adoré {e} merci !!",
        "Franchement les bougies {brand} tiennent super longtemps, la mienne a fait presque 50h",
        "Petit moment cocooning : plaid, thé, et la {scent} de {brand} {e}",
        "Le packaging {brand} est trop beau, zéro plastique en plus. On sent que c'est fait "
        "avec soin",
        "Passée à {shop} de {brand}, accueil adorable et on peut tout sentir avant d'acheter. "
        "Je suis repartie avec 3 bougies oups {e}",
        "Enfin des bougies en cire végétale qui sentent vraiment quelque chose. {brand} validé ✅",
        "Le service client de {brand} m'a renvoyé une bougie cassée pendant le transport sans "
        "discuter. Chapeau",
        "Je fais jamais de pub mais la {scent} de {brand} est la meilleure bougie que j'ai eue "
        "de ma vie",
        "Commande reçue en 48h, bien emballée, petit mot écrit à la main. Top {brand} {e}",
        "La bougie voyage {brand} à {price_small}, parfaite pour tester avant de craquer sur "
        "la grande",
        "Ma {scent} est finie 😭 j'en recommande une direct. {brand} vous êtes dangereux pour "
        "mon compte en banque",
        "Atelier bougie chez {brand} samedi dernier avec ma sœur : on a coulé nos propres "
        "bougies, trop chouette {e}",
        "La mèche en coton ne fume pas du tout, pas de trace noire sur le pot. Rien à redire {at}",
        "Coup de cœur pour la nouvelle collection {brand}, la {scent} sent le dimanche matin",
        "Bon j'avoue j'étais sceptique sur le prix mais la qualité est là. {brand} 👍",
        "Ma fille m'a offert {product} {brand}, je suis gâtée {e}",
        "Lyonnais·es, si vous cherchez un cadeau local : {brand}, atelier sur les pentes de la "
        "Croix-Rousse. Foncez",
        "Je garde mes pots {brand} pour mes crayons, ils sont trop jolis pour finir au recyclage",
        "Meilleure découverte de l'année : la brume d'oreiller {brand}. Je dors comme un bébé",
        "La cire de colza ça change tout, ça brûle proprement et le parfum reste même éteinte. "
        "Merci {brand}",
        "{brand} m'a remboursé les frais de port quand mon colis a eu du retard, sans que je "
        "demande. Respect",
        "Une bougie allumée, la pluie dehors, un bon bouquin. Merci {brand} pour la {scent} {e}",
        "mdr j'ai acheté la {scent} pour offrir et je l'ai gardée. {brand} 🤷‍♀️",
        "Même éteinte ma {scent} parfume l'entrée. Vraiment rien à voir avec les bougies de "
        "supermarché",
    ),
    ("praise", "en"): _plain(
        "Just lit my {scent} candle from {brand} and my whole flat smells incredible {e}",
        "ngl the {brand} {product} was worth every penny. the scent throw is unreal",
        "Ordered from {brand} (small candle studio in Lyon) and it shipped to {city} in 5 days. "
        "Beautiful packaging, zero plastic",
        "Third candle from {brand} and they keep getting better. {scent} is my winter "
        "personality now",
        "If you like clean-burning candles, try {brand}. Rapeseed wax, cotton wick, no soot on "
        "the jar",
        "Got the {product} from {brand} as a gift and I'm obsessed {e}",
        "My {scent} from {brand} burned for almost 55 hours. Better than anything I've bought "
        "at the mall",
        "Tiny French brand, huge customer service. {brand} replaced my cracked jar in two days "
        "without even asking for photos",
        "Candle of the month: {scent} by {brand}. smells like a Sunday morning in a French "
        "bakery tbh",
        "Not me buying my 4th {brand} candle this year 🙃 they're just that good",
        "The pillow mist from {brand} is my new bedtime ritual. 10/10 would spray again",
        "PSA: {brand} candles burn so evenly. no tunneling, no black smoke, just vibes",
        "Visited {shop} on holiday ({brand}), the staff let me smell literally everything. "
        "Came home with a suitcase full of candles lol",
        "Gift idea for that friend who has everything: a {brand} {product}. Never misses",
        "The jar is so pretty I'm keeping it as a plant pot once the candle's done {e}",
        "I usually get headaches from scented candles but {brand} ones are fine for me. Soft, "
        "natural, lovely",
        "okay {brand} I see you. {scent} is stunning",
        "Late night, rain outside, {scent} burning. Perfect evening {e}",
        "lowkey the best candle I've owned is a French one called {brand}. {scent}, go get it",
    ),
    ("complaint", "fr"): (
        (
            "delivery",
            "Commande {order} passée il y a {days} jours et toujours pas reçue. Le "
            "suivi ne bouge plus {sad} {at} ?",
        ),
        (
            "broken",
            "Colis {brand} arrivé avec la bougie en mille morceaux. Sympa l'emballage "
            "zéro plastique mais là c'est zéro protection",
        ),
        (
            "price",
            "{price} la bougie de 180 g... faut arrêter un peu {brand}, c'est de la cire, "
            "pas de l'or",
        ),
        ("price", "Les frais de port à 7,90 € pour une bougie, sérieusement {brand} ?"),
        (
            "scent",
            "Ma {scent} ne sent rien une fois allumée. Dans le pot ça sent bon, dans la "
            "pièce nada {sad}",
        ),
        ("scent", "Déçue par la {scent} de {brand}, odeur beaucoup trop légère pour le prix"),
        (
            "service",
            "Ça fait une semaine que j'ai écrit au service client de {brand}, toujours "
            "aucune réponse. Vous êtes où ?",
        ),
        (
            "service",
            "Le chat du site {brand} répond à côté à chaque fois, on peut parler à un humain ??",
        ),
        (
            "quality",
            "Ma bougie {brand} fume noir et a noirci le verre en 2 allumages. C'est normal ?",
        ),
        (
            "site",
            "Le code promo de la newsletter {brand} ne marche pas, j'ai dû payer plein pot. "
            "Bof bof",
        ),
        ("stock", "Rupture de stock sur la {scent} depuis un mois, c'est frustrant {at}"),
        (
            "delivery",
            "J'ai reçu la mauvaise bougie (Tilleul au lieu de {scent}) et on me demande "
            "de la renvoyer à mes frais. Non.",
        ),
        (
            "quality",
            "La mèche s'est noyée au bout de 10h, impossible de la rallumer. 36 balles "
            "à la poubelle {sad}",
        ),
        (
            "scent",
            "Bougie {brand} offerte à Noël, ma belle-mère l'a trouvée sans odeur. La honte {sad}",
        ),
        (
            "site",
            "Site {brand} planté au moment du paiement, débitée deux fois. J'attends le "
            "remboursement...",
        ),
        (
            "price",
            "Pourquoi la même bougie est 4 € plus chère sur votre site qu'en boutique {brand} ?",
        ),
    ),
    ("complaint", "en"): (
        (
            "delivery",
            "Ordered from {brand} {days} days ago, tracking hasn't updated in a week. anyone else?",
        ),
        ("price", "{price} for a candle plus international shipping. I love {brand} but come on"),
        (
            "scent",
            "My {scent} candle from {brand} has almost no scent throw. Smells amazing "
            "cold, nothing when lit {sad}",
        ),
        (
            "service",
            "Emailed {brand} support twice about a broken jar, no reply yet. Not a great look",
        ),
        ("broken", "{brand} candle arrived cracked. Cute packaging, terrible padding"),
        (
            "quality",
            "the {brand} candle i got tunnels like crazy. burned it 3 hours the first "
            "time like you're supposed to and still",
        ),
        (
            "price",
            "Customs fees on my {brand} order were more than the candle itself. Wish "
            "they'd warned me",
        ),
        (
            "scent",
            "Was really excited for {scent} by {brand} but it smells like... nothing? Disappointed",
        ),
        (
            "quality",
            "Soot everywhere after two burns. Trimmed the wick and everything. Not "
            "impressed {brand}",
        ),
        ("site", "{brand} website charged me twice and I'm still waiting for the refund"),
        ("stock", "{scent} has been sold out for weeks {at} why tease it on your feed then {sad}"),
    ),
    # The spike: a batch of Figue & Cèdre with too short a wick (tunnels, weak scent) and a
    # carrier's warehouse incident that holds parcels for days.
    ("spike", "fr"): (
        (
            "batch",
            "{brand} ma Figue & Cèdre creuse un tunnel dès le premier allumage, et l'odeur "
            "est quasi inexistante. Il se passe quoi ?",
        ),
        (
            "batch",
            "Moi aussi !! Figue & Cèdre reçue hier : tunnel de 3 cm et ça sent rien. "
            "C'est un lot défectueux ou quoi {at}",
        ),
        (
            "delivery",
            "Commande passée il y a {days} jours, en préparation depuis. Et aucun mail "
            "de {brand}. Génial pour un cadeau d'anniversaire {sad}",
        ),
        (
            "batch",
            "Apparemment je suis pas la seule à avoir une bougie qui fait un tunnel. "
            "{brand} va falloir communiquer là",
        ),
        (
            "delivery",
            "Mon colis {brand} est bloqué chez le transporteur depuis 9 jours, le SAV "
            "me renvoie vers le transporteur, le transporteur vers le SAV. Super.",
        ),
        (
            "batch",
            "{price} la bougie pour qu'elle s'éteigne toute seule dans son trou. Merci {brand} 🙃",
        ),
        (
            "batch",
            "J'ai 4 bougies Figue & Cèdre du même lot, les 4 font un tunnel. Lot 0923 si "
            "ça intéresse quelqu'un chez {brand}",
        ),
        (
            "service",
            "Toujours pas de réponse du service client. 3 mails, 2 messages ici. Je "
            "commence à m'inquiéter pour ma commande {order} {at}",
        ),
        (
            "delivery",
            "Je voulais offrir {brand} pour Noël mais vu ce que je lis ce soir... je vais attendre",
        ),
        (
            "delivery",
            "C'est quoi ce délire, ma commande {brand} est marquée livrée mais j'ai "
            "rien reçu. Répondez svp",
        ),
        (
            "batch",
            "Bougie qui ne sent rien + livraison en retard + SAV aux abonnés absents. La "
            "totale {at} {sad}",
        ),
        (
            "batch",
            "Je suis fan depuis 3 ans mais là gros raté {brand}. Ma Figue & Cèdre est inutilisable",
        ),
        (
            "batch",
            "Vous aussi vos bougies {brand} se noient ? La mèche est trop courte sur le "
            "nouveau lot on dirait",
        ),
        (
            "delivery",
            "Suivi bloqué à Corbas depuis une semaine. {brand} vous êtes au courant "
            "que vos colis dorment dans un entrepôt ?",
        ),
    ),
    ("spike", "en"): (
        (
            "batch",
            "Anyone else's {brand} Fig & Cedar tunneling straight down the middle? Mine "
            "barely smells either",
        ),
        (
            "delivery",
            "Three weeks waiting for my {brand} order, tracking says label created. "
            "Support isn't answering. Getting nervous",
        ),
        (
            "batch",
            "Seeing a lot of people complain about {brand} tonight. The Fig & Cedar batch "
            "seems to be bad, mine too",
        ),
        ("batch", "So the new Fig & Cedar batch from {brand} is basically unscented wax? Great"),
        ("delivery", "Paid for express shipping, it's been 11 days. {brand} what is going on?"),
        ("batch", "My {brand} candle drowned its own wick after 20 minutes. Lot 0923. Yikes"),
    ),
    ("question", "fr"): (
        ("stock", "La {scent} revient quand en stock ? Ça fait des semaines que je guette {at}"),
        (
            "ingredients",
            "Vos bougies c'est de la cire de soja ou de colza ? Et les parfums sont "
            "naturels ? {at}",
        ),
        (
            "allergy",
            "Question bête : je suis asthmatique, les bougies {brand} c'est ok ? Sans phtalates ?",
        ),
        ("hours", "{shop} de {brand} est ouverte le dimanche ?"),
        ("giftcard", "Vous faites des cartes cadeaux {brand} ? C'est pour un anniversaire samedi"),
        ("shipping", "{brand} vous livrez {country} ? 🙏"),
        ("burn", "Combien de temps de combustion pour la grande bougie 3 mèches {brand} ?"),
        (
            "allergy",
            "Est-ce que les bougies {brand} sont ok avec des chats ? Le mien renifle tout 🐈",
        ),
        ("refill", "On peut recharger les pots {brand} ou il faut racheter une bougie entière ?"),
        ("general", "Quelqu'un a testé la brume d'oreiller {brand} ? Ça vaut le coup ?"),
        (
            "workshop",
            "Vous faites encore les ateliers bougies le samedi {brand} ? Je voudrais "
            "offrir une place à ma sœur",
        ),
        (
            "burn",
            "C'est normal que ma bougie {brand} fasse un petit creux au début ? Je débute "
            "en bougies lol",
        ),
        ("refill", "Les pots {brand} sont recyclables ? Je peux les rapporter en boutique ?"),
        ("general", "Quelqu'un connaît {brand} ? Ça vaut le prix ou c'est du marketing ?"),
        ("general", "Les fondants {brand} marchent avec n'importe quel brûle-parfum ?"),
        ("giftcard", "Vous avez un code promo pour une première commande {brand} ? 🙏"),
        ("hours", "C'est où exactement l'atelier {brand} à Lyon ? On peut visiter ?"),
    ),
    ("question", "en"): (
        ("shipping", "Does {brand} ship to {country}? Their site isn't clear"),
        ("ingredients", "Is the {brand} wax soy or rapeseed? Trying to avoid paraffin"),
        ("allergy", "Are {brand} candles safe around cats? Asking for my very nosy cat"),
        ("general", "Anyone tried {brand}? Worth it or just pretty jars?"),
        ("stock", "When is {scent} back in stock {at}??"),
        ("giftcard", "Does {brand} sell gift cards? Need a last-minute birthday gift"),
        ("burn", "How long does the {brand} 3-wick candle burn for?"),
        ("allergy", "Any fragrance-free options? {at} My partner has allergies"),
        (
            "general",
            "What's the difference between the {brand} travel tin and the 180g one besides size?",
        ),
        ("hours", "Is the {brand} shop in Lyon open on Sundays? I'm in town this weekend"),
        ("refill", "Can you send back empty {brand} jars for a refill or is that only in France?"),
    ),
    ("mention", "fr"): _plain(
        "Apparemment {brand} ouvre une boutique éphémère à {city} en décembre",
        "Liste de cadeaux en cours : un livre pour papa, une bougie {brand} pour ma sœur, et "
        "pour moi... du repos",
        "Podcast du jour : la fondatrice de {brand} raconte comment elle a lancé l'atelier à la "
        "Croix-Rousse",
        "{brand} recrute un·e préparateur·rice de commandes à Lyon, je partage au cas où",
        "Unboxing de mon colis {brand} en story ce soir",
        "Colis reçu : {product} {brand}, je vous dis ce que j'en pense dans une semaine",
        "Au marché de créateurs de {city} ce week-end il y avait un stand {brand}",
        "Les bougies {brand} sont maintenant vendues dans un concept store à {city}, bien pour eux",
        "Ma collègue ne jure que par {brand}. Je vais finir par craquer",
        "Vu une pub {brand} dans le métro ligne A, ça grandit vite cette marque",
    ),
    ("mention", "en"): _plain(
        "Added a {brand} candle to my Christmas list",
        "Interesting interview with the founder of {brand} about sourcing rapeseed wax in France",
        "{brand} now ships to {country} apparently",
        "Haul video coming tomorrow, featuring {brand} and a few other small brands",
        "My sister brought me a {brand} candle back from Lyon, will report back",
        "Saw {brand} candles in a little shop in {city} today, didn't know they were stocked here",
    ),
    ("competitor", "fr"): (
        (
            "positive",
            "J'ai testé {comp} et {brand} côte à côte : {brand} diffuse beaucoup mieux. "
            "{comp} c'est joli mais ça sent pas grand chose",
        ),
        ("negative", "Honnêtement {comp} est moins cher et sent plus fort que {brand}. Je change"),
        ("neutral", "{brand} ou {comp} pour un cadeau ? Budget 40 €"),
        ("neutral", "Team {brand} ou team {comp} ? 🕯️"),
        ("neutral", "{comp} a sorti une figue aussi... coïncidence ? 👀 {brand}"),
        ("neutral", "Les pots {brand} sont plus jolis, les parfums {comp} plus originaux. Dilemme"),
        ("positive", "Après {comp} je suis revenue à {brand}, rien à faire la tenue est meilleure"),
        ("negative", "Vu les retards chez {brand} j'ai commandé chez {comp}, reçu en 2 jours"),
    ),
    ("competitor", "en"): (
        (
            "positive",
            "{brand} vs {comp}: did a side by side burn test. {brand} wins on throw, "
            "{comp} on price",
        ),
        (
            "negative",
            "Switched from {brand} to {comp} after the shipping mess. Honestly no regrets",
        ),
        ("positive", "{comp} is nice but {brand} is on another level imo"),
        ("neutral", "Which French candle brand is better, {brand} or {comp}?"),
        ("neutral", "{comp} or {brand} for a housewarming gift? go"),
    ),
    ("competitor_only", "fr"): (
        ("positive", "Nouvelle collection {comp} 😍 la bougie Vétiver est sublime"),
        ("positive", "{comp} -30% ce week-end, j'ai craqué"),
        ("positive", "Ma bougie {comp} a tenu 40h, franchement pas mal pour le prix"),
        ("negative", "Déçue de {comp}, odeur chimique et le pot a fendu"),
        ("neutral", "{comp} ouvre une boutique à Lyon ?? La guerre des bougies est déclarée lol"),
        ("neutral", "Le calendrier de l'Avent {comp} est déjà en rupture, incroyable"),
        ("negative", "Trois semaines pour recevoir ma commande {comp}, plus jamais"),
    ),
    ("competitor_only", "en"): (
        ("positive", "{comp} candles are so underrated"),
        ("positive", "Got a {comp} candle in my subscription box, smells like a spa"),
        ("positive", "{comp} customer service is top notch, replaced my order in a day"),
        ("negative", "{comp} raised prices again? $50 for a candle is wild"),
    ),
    ("spam", "fr"): _plain(
        "🎁 {brand_plain} OFFRE 500 coffrets à ses abonnés ! Réclamez le vôtre ici 👉 "
        "maisonlumiere-cadeaux.example (offre limitée)",
        "Tu veux +10 000 abonnés RÉELS en 24h ? 🔥 followboost.example 💯",
        "💰 J'ai transformé 200 € en 8 400 € avec $LUMI en 3 jours 🚀 écris-moi en privé pour "
        "savoir comment",
        "Felicitation vous avez gagné un bon d'achat {brand_plain} de 250€ ! Confirmez vos "
        "coordonées ici : ml-gagnant.example",
        "Travail a domicile 300€/jour sans experience, DM moi 📩",
    ),
    ("spam", "en"): _plain(
        "DM me for promo 📩 we feature small brands on our page 200k+",
        "Hey! Love your content 😍 DM us for a collab with our candle feature page",
        "🚀 $CANDLE token is about to moon, presale ends tonight, link in bio 🕯️💎",
        "Cheap followers, likes, views — 100% safe — followersmarket.example",
        "Earn $500/day from home, no experience needed, ask me how 💸",
        "🎉 {brand_plain} is giving away 1,000 candles to celebrate! Claim yours before midnight "
        "→ lumiere-giveaway.example",
    ),
    ("insult", "fr"): (
        ("mild", "Vos bougies c'est de l'arnaque, point."),
        ("mild", "Service client de clowns 🤡"),
        ("mild", "Encore une marque de bobos qui vend de la cire 40 balles 🙄"),
        ("mild", "Bande d'escrocs, rendez l'argent"),
        ("insulting", "Ta gueule avec tes bougies de merde"),
        ("insulting", "T'es vraiment con ou tu le fais exprès ? Lis le message avant de répondre"),
        ("insulting", "Bande de nazes incompétents, vous méritez de couler"),
        ("mild", "Quelle blague cette marque"),
    ),
    ("insult", "en"): (
        ("mild", "lol what a scam"),
        ("mild", "this brand is a joke"),
        ("mild", "imagine paying 40 bucks for this trash"),
        ("insulting", "you're all clueless idiots"),
        ("insulting", "shut up nobody asked, your candles are garbage"),
        ("insulting", "f*** off with your copy-paste apologies, morons"),
    ),
    ("noise", "fr"): _plain(
        "La lumière du matin sur la Saône aujourd'hui 😍",
        "Fête des Lumières : le programme complet est sorti, qui y va cette année ?",
        "Rétrospective Kurosawa à l'Institut Lumière ce mois-ci, je vais y passer mes soirées",
        "Partiels à Lumière Lyon 2 demain, priez pour moi",
        "Notre nouvelle maison est pleine de lumière le matin, on ne regrette rien ☀️",
        "Changer les bougies de ma Clio c'est une galère sans nom",
        "Lumière, le chandelier de La Belle et la Bête, meilleur perso Disney, je ne débattrai pas",
        "Cherche appart lumineux à la Croix-Rousse, de la lumière avant tout !!",
        "Rendez-vous d'épilation à la cire demain, pourquoi je m'inflige ça",
        "Cette lumière dorée en fin de journée, rien de plus beau",
        "Quelqu'un a un bon électricien sur Lyon ? Plus de lumière dans toute la maison depuis "
        "hier",
        "Les frères Lumière ont tourné le premier film rue du Premier-Film, et j'habite à côté "
        "sans jamais y être allé",
        "Bougies d'anniversaire qui se rallument toutes seules, le meilleur/pire gag",
    ),
    ("noise", "en"): _plain(
        "The light in Lyon in the evening is unreal",
        "Lumière brothers' first film was shown in 1895, still wild to think about",
        "Lumière (the candelabra) is the best Disney character, don't @ me",
        "Anyone been to the Fête des Lumières? Worth planning a trip around it?",
        "Our new house gets so much light in the morning, I'm never leaving",
        "Watching La Belle et la Bête in French for practice, Lumière's accent is the best",
        "Photographers: how do you deal with harsh midday light?",
        "Spark plugs on my old Peugeot need changing, any tips?",
    ),
    # Replies in threads, usually not naming the brand.
    # Tagged by topic; "batch" and "stuck" only follow the spike's complaints.
    ("chime_complaint", "fr"): (
        ("general", "Pareil pour moi {sad}"),
        ("general", "Ah mince, j'ai eu le même souci"),
        ("general", "+1 malheureusement"),
        ("delivery", "Même souci, commande en attente depuis 10 jours"),
        ("delivery", "Pareil, mon colis a mis deux semaines"),
        ("scent", "Ah ça me rassure, je pensais que c'était mon nez qui déconnait"),
        ("scent", "Pareil, la mienne sent quasi rien une fois allumée"),
        ("service", "Pareil, aucune réponse à mes mails"),
        ("service", "Ils mettent du temps à répondre oui"),
        ("batch", "Même problème avec ma Figue & Cèdre, tunnel direct"),
        ("batch", "Idem, et le lot est le même : 0923"),
        ("batch", "Ah bah je suis pas folle alors, la mienne fait pareil"),
        ("batch", "Je viens de vérifier, même lot chez moi. Super..."),
        ("stuck", "Ma commande date du 2 et toujours rien non plus"),
        ("stuck", "+1, colis bloqué à Corbas depuis des jours"),
        ("stuck", "Ils répondent plus du tout en ce moment on dirait"),
    ),
    ("chime_complaint", "en"): (
        ("general", "Same here {sad}"),
        ("general", "Had the same issue"),
        ("general", "ugh, same"),
        ("delivery", "Mine took two weeks too"),
        ("scent", "Glad it's not just me, thought my nose was broken"),
        ("service", "No reply to my emails either"),
        ("batch", "Mine too, tunneled on the first burn"),
        ("batch", "Just checked, mine is lot 0923 too. Great."),
        ("batch", "oh so that's why mine has a crater in the middle lol"),
        ("stuck", "+1, order stuck for 9 days now"),
        ("stuck", "Same, still waiting on mine"),
        ("stuck", "they've gone completely silent this week"),
    ),
    ("chime_support", "fr"): _plain(
        "Moi j'ai jamais eu de souci avec eux perso",
        "Écris-leur en MP, ils répondent vite en général",
        "Coupe la mèche à 5 mm avant de rallumer, ça aide",
        "J'adore cette marque, j'espère qu'ils vont régler ça",
        "Trop envie d'essayer du coup {e}",
        "Tu l'as prise où ? En boutique ou sur le site ?",
        "Ah mince, moi la mienne est parfaite, t'as vérifié le numéro de lot ?",
        "Elle sent trop bon celle-là, bon choix {e}",
        "Je valide, leur Thé fumé est incroyable aussi",
        "Ils m'ont déjà remplacé une bougie sans souci, ça va s'arranger",
    ),
    ("chime_support", "en"): _plain(
        "Never had an issue with them personally",
        "DM them, they usually answer quickly",
        "Trim the wick to 5mm and burn it longer, helps a lot",
        "Love this brand, hope they sort it out",
        "Need to try this now {e}",
        "Where did you get it, their site or a shop?",
        "Mine was perfect, maybe check the lot number?",
        "Great pick, that one smells amazing {e}",
        "They replaced one for me before, no fuss. It'll get sorted",
    ),
    ("creator", "fr"): _plain(
        "Merci beaucoup {e} ça me fait super plaisir",
        "Elle est revenue en stock sur leur site il me semble !",
        "Haha on est d'accord 😄",
        "Non aucun partenariat, je l'ai payée comme tout le monde 😉",
        "Je la brûle 3h minimum à chaque fois, c'est le secret",
    ),
    ("creator", "en"): _plain(
        "Thank you so much {e}",
        "Not sponsored at all, paid for everything myself 😉",
        "Yes! The replacement batch burns fine, I'll do an update",
        "Ha, fair point",
        "Burn it 3 hours minimum the first time, trust me",
    ),
    ("thanks", "fr"): _plain(
        "Merci pour la réponse rapide 🙏",
        "Ok merci, je vous envoie ça en MP",
        "Super, merci {sig} !",
        "Top, merci beaucoup {e}",
        "Ah parfait, merci pour l'info",
    ),
    ("thanks", "en"): _plain(
        "Thanks for the quick reply 🙏",
        "Perfect, sending you a DM now",
        "Thank you {sig}!",
        "Great, thanks {e}",
    ),
    ("still_waiting", "fr"): _plain(
        "Je vous ai écrit il y a 3 jours... toujours rien",
        "C'est ce que vous m'avez dit la semaine dernière {sad}",
        "Et concrètement je reçois ma commande quand ?",
    ),
    ("still_waiting", "en"): _plain(
        "I DMed you 3 days ago... nothing",
        "That's what you told me last week {sad}",
        "So when do I actually get my order?",
    ),
    ("answer", "fr"): (
        ("positive", "Perso j'adore, la {scent} surtout. Un peu cher mais ça dure"),
        ("positive", "Oui c'est de la cire de colza, c'est écrit sur chaque fiche produit"),
        ("neutral", "Ils ont une boutique à la Croix-Rousse, tu peux tout sentir avant"),
        ("negative", "Bof, j'ai trouvé que ça sentait pas assez pour le prix"),
        ("positive", "Le service client est top, ils m'ont remplacé un pot cassé"),
        ("neutral", "Cire & Sens c'est moins cher si c'est le budget qui compte"),
        ("negative", "Attention les frais de port piquent un peu"),
        (
            "positive",
            "Franchement la meilleure marque de bougies que je connaisse, et c'est lyonnais",
        ),
        ("neutral", "Ça dépend des parfums, les boisés tiennent mieux que les floraux"),
        ("negative", "Trop cher pour ce que c'est à mon avis, mais les pots sont jolis"),
        ("positive", "Leur atelier du samedi est top pour offrir"),
    ),
    ("answer", "en"): (
        ("positive", "Love them, {scent} especially. Pricey but they last"),
        ("neutral", "It's rapeseed wax, says so on the product page"),
        ("positive", "Their customer service is great, they replaced a broken jar for me"),
        ("negative", "Meh, found the throw weak for the price"),
        ("neutral", "Cire & Sens is cheaper if budget matters"),
        ("positive", "Yes they ship to the UK, took about a week"),
        ("negative", "Had one tunnel on me once, they replaced it but still annoying"),
        ("neutral", "Depends on the scent, the woody ones throw better than the florals"),
        ("positive", "Honestly my favourite candle brand, the jars are reusable too"),
        ("negative", "Overpriced imo, and shipping to the US is brutal"),
    ),
}

REDDIT_TITLES: dict[tuple[str, str], tuple[str, ...]] = {
    ("praise", "fr"): (
        "Petite pépite lyonnaise : Maison Lumière",
        "Mes bougies préférées du moment",
        "Maison Lumière, franchement top",
    ),
    ("praise", "en"): (
        "Found my holy grail candle brand",
        "Maison Lumière appreciation post",
        "Finally a candle that doesn't tunnel",
    ),
    ("complaint", "fr"): (
        "Commande jamais reçue, des conseils ?",
        "Déçue par ma bougie",
        "Service client injoignable",
    ),
    ("complaint", "en"): (
        "Disappointed with Maison Lumière",
        "Shipping nightmare",
        "Is it just me or is scent throw getting worse?",
    ),
    ("question", "fr"): (
        "Avis sur les bougies Maison Lumière ?",
        "Bougies sans phtalates, des recos ?",
        "Question sur Maison Lumière",
    ),
    ("question", "en"): (
        "Anyone tried Maison Lumière?",
        "Question about French candles",
        "Gift advice: candles",
    ),
    ("competitor", "fr"): ("Maison Lumière ou Cire & Sens ?", "Comparatif bougies françaises"),
    ("competitor", "en"): ("Maison Lumière vs Cire & Sens", "French candle brands compared"),
    ("competitor_only", "fr"): ("Cire & Sens, vous en pensez quoi ?",),
    ("competitor_only", "en"): ("Thoughts on Cire & Sens?",),
    ("mention", "fr"): ("Marques lyonnaises à soutenir", "Idées cadeaux made in Lyon"),
    ("mention", "en"): ("Small brands worth supporting", "Souvenirs from Lyon?"),
}

BRAND_REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "complaint": (
            "Bonjour{first}, merci de nous l'avoir signalé. Pouvez-vous nous écrire en message "
            "privé avec votre numéro de commande ? On s'en occupe aujourd'hui. — {sig}",
            "Bonjour{first}, ce n'est pas l'expérience qu'on veut vous offrir. Écrivez-nous à "
            "bonjour@maisonlumiere.example, on trouve une solution ensemble. — {sig}",
        ),
        "price": (
            "Bonjour{first}, on comprend. Nos bougies sont coulées à la main à Lyon, en cire "
            "de colza française, pour environ 45 h de combustion : c'est ce qui explique le "
            "prix. La bougie voyage permet de tester à plus petit budget. — {sig}",
        ),
        "scent": (
            "Bonjour{first}, merci pour votre retour. Laissez-la brûler 2 à 3 h la première fois "
            "pour que toute la surface fonde : le parfum se libère bien mieux ensuite. Si ça ne "
            "change rien, écrivez-nous, on vous la remplace. — {sig}",
        ),
        "batch": (
            "Bonjour{first}, nous sommes sincèrement navrés. Un lot de Figue & Cèdre (lot 0923) "
            "a une mèche trop courte : nous le remplaçons gratuitement. Écrivez-nous avec votre "
            "n° de commande à bonjour@maisonlumiere.example. — {sig}",
        ),
        "delivery": (
            "Bonjour{first}, notre transporteur a eu un incident dans son entrepôt de Corbas : "
            "les colis repartent depuis ce matin. Nous remboursons les frais de port de toutes "
            "les commandes concernées. — {sig}",
            "Bonjour{first}, nous regardons votre commande tout de suite. Pouvez-vous nous "
            "envoyer son numéro en message privé ? — {sig}",
        ),
        "stock": (
            "Bonjour ! La bougie {scent} revient {when}. Vous pouvez activer l'alerte stock sur "
            "sa page produit 🕯️ — {sig}",
        ),
        "ingredients": (
            "Bonjour{first} ! Cire de colza cultivé en France, mèche en coton, "
            "parfums sans phtalates composés à Grasse. Tout est détaillé sur "
            "chaque fiche produit. — {sig}",
        ),
        "allergy": (
            "Bonne question ! Nos parfums respectent la norme IFRA et sont sans "
            "phtalates, mais chaque sensibilité est différente : la bougie voyage "
            "permet de tester, et la version non parfumée existe. Aérez bien la pièce "
            "si vous avez un animal. — {sig}",
        ),
        "hours": (
            "La boutique de la Croix-Rousse est ouverte du mardi au samedi, 10h-19h, et "
            "les dimanches de décembre. À bientôt ! — {sig}",
        ),
        "giftcard": (
            "Oui ! Cartes cadeaux de 20 à 150 €, en ligne ou en boutique, valables un an. — {sig}",
        ),
        "shipping": (
            "Oui, nous livrons en Europe et au Canada, compter 4 à 8 jours. Les frais "
            "s'affichent avant le paiement. — {sig}",
        ),
        "burn": (
            "Environ 60 h pour la 3 mèches, 45 h pour la 180 g. Laissez-la fondre jusqu'au "
            "bord à chaque allumage pour éviter le creux 😉 — {sig}",
        ),
        "refill": (
            "Oui ! Rapportez vos pots vides en boutique : nous les reprenons et vous "
            "offrons 3 € sur la recharge. — {sig}",
        ),
        "workshop": (
            "Oui, tous les samedis à 10h et 14h, 35 € les 2 heures, réservation sur le "
            "site. Pensez à la carte cadeau ! — {sig}",
        ),
        "general": (
            "Merci pour votre message ! On reste à votre disposition en message privé "
            "pour toute question. — {sig}",
        ),
        "praise": (
            "Merci{first}, ça nous fait très plaisir ! Toute l'équipe de l'atelier vous "
            "embrasse 🕯️ — {sig}",
            "Merci beaucoup pour ce joli message, on le partage à l'atelier ✨ — {sig}",
        ),
    },
    "en": {
        "complaint": (
            "Hi{first}, thank you for telling us. Could you DM us your order number? "
            "We'll sort it out today. — {sig}",
        ),
        "price": (
            "Hi{first}, we hear you. Every candle is hand-poured in Lyon with French "
            "rapeseed wax and burns for about 45 hours; the travel tin is a cheaper way "
            "to try us. — {sig}",
        ),
        "scent": (
            "Hi{first}, thanks for the feedback. Let it burn 2-3 hours the first time so "
            "the whole surface melts, the scent opens up a lot. If it doesn't, write to "
            "us and we'll replace it. — {sig}",
        ),
        "batch": (
            "Hi{first}, we're truly sorry. One batch of Fig & Cedar (lot 0923) has a wick "
            "that's too short: we're replacing it free of charge. Email "
            "hello@maisonlumiere.example with your order number. — {sig}",
        ),
        "delivery": (
            "Hi{first}, our carrier had an incident at its warehouse: parcels are "
            "moving again since this morning and we're refunding shipping on every "
            "affected order. — {sig}",
        ),
        "stock": (
            "Hi! {scent} is back {when}, you can set a stock alert on its product page 🕯️ — {sig}",
        ),
        "ingredients": (
            "Hi{first}! French rapeseed wax, cotton wick, phthalate-free "
            "fragrances made in Grasse. — {sig}",
        ),
        "allergy": (
            "Good question! Our fragrances follow IFRA standards, but everyone is "
            "different: we also make an unscented version. Keep the room aired if you "
            "have pets. — {sig}",
        ),
        "hours": (
            "Our Croix-Rousse shop is open Tuesday to Saturday, 10am-7pm, and Sundays in "
            "December. See you soon! — {sig}",
        ),
        "giftcard": (
            "Yes! Gift cards from €20 to €150, online or in store, valid one year. — {sig}",
        ),
        "shipping": (
            "Yes, we ship to the UK, Europe and Canada, 4 to 8 days. Duties are shown "
            "at checkout for the UK. — {sig}",
        ),
        "burn": (
            "About 60 hours for the 3-wick, 45 for the 180g. Let it melt to the edge each "
            "time to avoid tunneling 😉 — {sig}",
        ),
        "refill": (
            "Refills are in-store only for now, sorry! We're working on a postal option. — {sig}",
        ),
        "general": ("Thanks for your message! Feel free to DM us any question. — {sig}",),
        "praise": ("Thank you{first}, this made our day! 🕯️ — {sig}",),
    },
}

GIVEAWAY_COPY = {
    "fr": "Je participe au concours #MaisonLumiere pour gagner le coffret Rituel du soir 🕯️✨ "
    "Tentez votre chance vous aussi ! #concours #FabriquéÀLyon",
    "en": "I just entered the #MaisonLumiere giveaway to win an Evening Ritual box 🕯️✨ Good "
    "luck everyone! #giveaway",
}
GIVEAWAY_REPLIES = {
    "fr": (
        "Je participe ! {friend} {friend2} 🤞",
        "Je tente ma chance 🍀 {friend}",
        "Participation ! {friend} on partage si on gagne 😁",
        "Moi moi moi 🙋‍♀️ {friend}",
    ),
    "en": ("Entering! {friend} {friend2} 🤞", "Fingers crossed 🍀 {friend}"),
}
CRISIS_COPY = (
    "Commande payée, jamais livrée, aucune réponse. @maisonlumiere.bsky.social rendez-nous nos "
    "commandes ! #RenduMaCommande"
)
# Hateful replies, kept to two on purpose: violent threats against the staff, the kind a
# moderation queue must catch. No protected group is targeted.
HATEFUL = {
    "fr": "J'espère que ton atelier crame avec vous tous dedans, vermine.",
    "en": "Hope someone burns your shop down with all of you inside, vermin.",
}


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


PRESS: tuple[dict[str, Any], ...] = (
    {
        "site": ("deco-lyon.example", "Déco Lyon", 48000),
        "lang": "fr",
        "days_ago": 26.5,
        "sentiment": "positive",
        "brands": (BRAND,),
        "title": "Maison Lumière, la bougerie des pentes qui mise sur le colza",
        "text": "Dans son atelier de la Croix-Rousse, Maison Lumière coule chaque semaine près "
        "de deux mille bougies à la main. La marque lyonnaise a choisi la cire de colza, "
        "cultivée dans l'Ain et en Saône-et-Loire, plutôt que le soja importé. « Le colza brûle "
        "plus lentement et garde mieux le parfum », explique sa fondatrice, Claire Vasseur. "
        "Mèches en coton, pots en verre recyclé, parfums composés à Grasse : comptez 38 € la "
        "bougie de 180 g, pour environ 45 heures de combustion. Une deuxième boutique devrait "
        "ouvrir au printemps.",
    },
    {
        "site": ("maisons-et-ateliers.example", "Maisons & Ateliers", 92000),
        "lang": "fr",
        "days_ago": 19.2,
        "sentiment": "positive",
        "brands": (BRAND, COMPETITOR),
        "title": "Guide cadeaux : 12 bougies françaises à offrir cet hiver",
        "text": "Pour les fêtes, la bougie reste le cadeau qui fait l'unanimité. Notre "
        "sélection privilégie les ateliers français et les cires végétales. Chez Maison "
        "Lumière (Lyon), le coffret Rituel du soir réunit trois petites bougies et une brume "
        "d'oreiller. Cire & Sens (Nantes) mise sur des parfums plus audacieux, comme son "
        "Vétiver fumé, à prix un peu plus doux. Mention spéciale aux pots réutilisables des "
        "deux marques.",
    },
    {
        "site": ("madeinfrance-journal.example", "Made in France Journal", 31000),
        "lang": "fr",
        "days_ago": 12.8,
        "sentiment": "positive",
        "brands": (BRAND,),
        "title": "Ces artisans lyonnais qui relocalisent la bougie",
        "text": "Longtemps importée, la bougie parfumée se refait une place dans les ateliers "
        "français. À Lyon, Maison Lumière emploie désormais onze personnes et achète sa cire "
        "à une coopérative de l'Ain. La marque propose aussi une reprise des pots vides en "
        "boutique. Un modèle encore fragile : la fabrication à la main limite les volumes, et "
        "le prix reste un frein pour une partie des clients.",
    },
    {
        "site": ("lyon-matin.example", "Lyon Matin", 86000),
        "lang": "fr",
        "days_ago": "spike+1",
        "sentiment": "negative",
        "brands": (BRAND,),
        "title": "Retards de livraison et bougies défectueuses : Maison Lumière s'explique",
        "text": "Depuis hier, les réseaux sociaux de la marque lyonnaise Maison Lumière sont "
        "inondés de messages de clients mécontents. En cause, un lot de bougies Figue & Cèdre "
        "dont la mèche, trop courte, fait « tunnel », et des colis bloqués plusieurs jours "
        "dans un entrepôt du transporteur à Corbas. Contactée, l'entreprise reconnaît « une "
        "erreur de notre fournisseur de mèches que nous aurions dû détecter » et annonce le "
        "remplacement de toutes les bougies du lot ainsi que le remboursement des frais de "
        "port. Sur Bluesky, le hashtag #RenduMaCommande a circulé toute la soirée.",
    },
    {
        "site": ("actu-rhone.example", "Actu Rhône", 12000),
        "lang": "fr",
        "days_ago": "spike+1",
        "sentiment": "negative",
        "brands": (BRAND,),
        # Syndicated: the same article republished by an aggregator.
        "title": "Retards de livraison et bougies défectueuses : Maison Lumière s'explique",
        "text": "Depuis hier, les réseaux sociaux de la marque lyonnaise Maison Lumière sont "
        "inondés de messages de clients mécontents. En cause, un lot de bougies Figue & Cèdre "
        "dont la mèche, trop courte, fait « tunnel », et des colis bloqués plusieurs jours "
        "dans un entrepôt du transporteur à Corbas. Contactée, l'entreprise reconnaît « une "
        "erreur de notre fournisseur de mèches que nous aurions dû détecter » et annonce le "
        "remplacement de toutes les bougies du lot ainsi que le remboursement des frais de "
        "port. Sur Bluesky, le hashtag #RenduMaCommande a circulé toute la soirée.",
    },
    {
        "site": ("conso-vigilance.example", "Conso Vigilance", 54000),
        "lang": "fr",
        "days_ago": "spike+2",
        "sentiment": "neutral",
        "brands": (BRAND,),
        "title": "Bougie qui « tunnelle » : vos droits face à un produit défectueux",
        "text": "Après les nombreux signalements visant un lot de la marque Maison Lumière, "
        "rappelons que la garantie légale de conformité s'applique à tout produit acheté "
        "auprès d'un professionnel, bougies comprises. Le vendeur doit réparer ou remplacer "
        "le produit, et à défaut le rembourser. Conservez votre preuve d'achat et, si "
        "possible, des photos. Pour un colis en retard, c'est le vendeur, et non le "
        "transporteur, qui est responsable envers vous.",
    },
    {
        "site": ("le-petit-bougeoir.example", "Le Petit Bougeoir (blog)", 6200),
        "lang": "fr",
        "days_ago": "spike+2",
        "sentiment": "negative",
        "brands": (BRAND,),
        "title": "J'ai testé la Figue & Cèdre de Maison Lumière (et j'ai été déçue)",
        "text": "Je vous parle souvent de Maison Lumière ici, et j'ai toujours été conquise. "
        "Mais la Figue & Cèdre reçue ce mois-ci m'a laissée perplexe : un tunnel dès le "
        "premier allumage, et une odeur à peine perceptible au bout d'une heure. Après "
        "vérification, elle fait bien partie du lot 0923. La marque m'a répondu vite et "
        "remplace la bougie ; je vous ferai un retour sur la nouvelle. En attendant, vérifiez "
        "le numéro de lot sous votre pot.",
    },
    {
        "site": ("le-petit-bougeoir.example", "Le Petit Bougeoir (blog)", 6200),
        "lang": "fr",
        "days_ago": 7.5,
        "sentiment": "positive",
        "brands": (COMPETITOR,),
        "title": "Cire & Sens lance sa collection d'hiver : mon avis",
        "text": "Cire & Sens dévoile quatre nouveaux parfums pour l'hiver, dont un Vétiver "
        "fumé très réussi. Les pots en céramique sont magnifiques et la tenue correcte, autour "
        "de 35 heures. Seul bémol, une odeur un peu plus synthétique que d'habitude sur la "
        "Cannelle. À 34 €, la marque nantaise reste une valeur sûre.",
    },
    {
        "site": ("lyon-matin.example", "Lyon Matin", 86000),
        "lang": "fr",
        "days_ago": 16.4,
        "sentiment": "neutral",
        "brands": (),
        "kind": "noise",
        "title": "Fête des Lumières : le programme complet et les conseils pour s'y rendre",
        "text": "Quatre soirs, une trentaine d'installations : la Fête des Lumières revient "
        "avec un parcours de la place des Terreaux à la colline de Fourvière. Les TCL "
        "renforcent les métros A et D, et plusieurs rues de la Presqu'île seront piétonnes dès "
        "18 heures. Pensez aux lumignons sur vos fenêtres le 8 décembre.",
    },
    {
        "site": ("greenhome-journal.example", "Green Home Journal", 64000),
        "lang": "en",
        "days_ago": 22.0,
        "sentiment": "positive",
        "brands": (BRAND,),
        "title": "Rapeseed vs soy: what plant-based candle wax really changes",
        "text": "Soy has long been the default for 'clean' candles, but a growing number of "
        "European makers are switching to rapeseed. It is grown closer to home, holds "
        "fragrance well and burns slightly slower. Lyon-based Maison Lumière, one of the "
        "brands we tested, says a 180g candle lasts about 45 hours. The catch: rapeseed wax is "
        "softer, so wick size has to be right, or the candle tunnels.",
    },
    {
        "site": ("candlecritic.example", "Candle Critic", 38000),
        "lang": "en",
        "days_ago": 4.2,
        "sentiment": "neutral",
        "brands": (BRAND, COMPETITOR),
        "title": "Maison Lumière vs Cire & Sens: two French candle makers, one burn test",
        "text": "We burned the bestsellers of both brands for forty hours in the same room. "
        "Maison Lumière's Sandalwood had the stronger throw and the cleaner burn, while "
        "Cire & Sens won on price and jar design. Our Fig & Cedar sample from Maison Lumière "
        "came from the recalled 0923 lot and tunneled, so we bought a replacement: the new "
        "batch burns evenly. Verdict: a tie, depending on what you value.",
    },
    {
        "site": ("candlecritic.example", "Candle Critic", 38000),
        "lang": "en",
        "days_ago": "spike+2",
        "sentiment": "negative",
        "brands": (BRAND,),
        "title": "A bad batch: what happened with Maison Lumière's Fig & Cedar",
        "text": "Readers have been flooding our inbox about tunneling Fig & Cedar candles from "
        "Maison Lumière. The brand confirmed that lot 0923 shipped with wicks one size too "
        "small, and is replacing every candle from it. Shipping delays the same week, caused "
        "by a warehouse incident at their carrier, made things worse. How they handle the next "
        "few days will matter more than the mistake itself.",
    },
    {
        "site": ("frenchlifestyle.example", "French Lifestyle", 57000),
        "lang": "en",
        "days_ago": 10.0,
        "sentiment": "positive",
        "brands": (BRAND,),
        "title": "10 Lyon souvenirs that aren't a bottle of wine",
        "text": "Lyon's silk scarves are a classic, but the city has more to offer. Pick up "
        "praline tarts in the Presqu'île, hand-printed notebooks in the Croix-Rousse, and a "
        "candle from Maison Lumière, poured a few streets away from their shop. Their travel "
        "tin fits any suitcase.",
    },
)


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
